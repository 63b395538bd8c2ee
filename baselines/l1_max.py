"""L1-Max: GRPO with ``r = 1[correct] * clip(alpha * (N - n) + delta, 0, 1)`` and "Think for maximum N
tokens." (see baselines.l1)."""

from elastic_bench.baselines.l1 import CONFIG_CLASS, ON_POLICY, make_trainer, no_references

FORCED = {"l1_kind": "max"}
__all__ = ["CONFIG_CLASS", "FORCED", "ON_POLICY", "make_trainer", "no_references"]
