"""Trainer validation: each trainer run on the smallest task where its objective is learnable,
with start and end figures and an acceptance bar (``elastic-bench validate-trainer METHOD``).

Environments: ``budget`` (L1-Exact, L1-Max: budget following) and ``entropy`` (SFT, DPO,
O1-Pruner: length reduction with realistic sampling entropy).
"""

from __future__ import annotations

from elastic_bench.baselines.validate.cli import add_validate_parser, environment_of

#: every method with a validation environment, in the order the issue lists them
VALIDATION_METHODS = ("l1_exact", "l1_max", "sft", "dpo", "o1_pruner")

__all__ = ["VALIDATION_METHODS", "add_validate_parser", "validate_trainer"]


def validate_trainer(method: str, **kw) -> dict:
    """Run ``method``'s validation environment end to end (``quick``, ``work_dir``); returns its report."""
    return environment_of(method).validate(method, **kw)
