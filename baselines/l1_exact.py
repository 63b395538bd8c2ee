"""L1-Exact: GRPO with ``r = 1[correct] - alpha * |N - n|`` and "Think for N tokens." (see baselines.l1)."""

from elastic_bench.baselines.l1 import CONFIG_CLASS, ON_POLICY, make_trainer, no_references

FORCED = {"l1_kind": "exact"}
__all__ = ["CONFIG_CLASS", "FORCED", "ON_POLICY", "make_trainer", "no_references"]
