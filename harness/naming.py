"""Names shared across the harness: budgeting strategies and filesystem-safe file names.

Each fact is defined here once; the result schema, the strategies, the backends, ``submit`` and
the CLI import it.
"""

from __future__ import annotations

#: strategies :class:`~elastic_bench.harness.strategies.BudgetedGenerator` runs
ELASTIC = "elastic"
TRUNCATE = "truncate"
RUNNABLE_STRATEGIES: tuple[str, ...] = (ELASTIC, TRUNCATE)
#: every strategy a result file may state (published baselines add s1 forcing, prompt budgets, none)
FORCE = "force"
STRATEGY_NAMES: tuple[str, ...] = (*RUNNABLE_STRATEGIES, FORCE, "prompt", "none")
#: strategies that stop thinking at the budget (a result's mean thinking cannot exceed it)
THINK_CAPPED_STRATEGIES: tuple[str, ...] = (ELASTIC, TRUNCATE, FORCE)

_SAFE_PUNCTUATION = "-_."


def safe_filename(text: str) -> str:
    """``text`` with every character other than a letter, digit, ``-``, ``_`` or ``.`` made ``_``."""
    return "".join(c if c.isalnum() or c in _SAFE_PUNCTUATION else "_" for c in text)
