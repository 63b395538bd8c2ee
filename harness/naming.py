"""Names shared across the harness: budgeting strategies and filesystem-safe file names.

Each fact is defined here once; the result schema, the strategies, the backends, ``submit`` and
the CLI import it.
"""

from __future__ import annotations

#: strategies :class:`~elastic_bench.harness.strategies.BudgetedGenerator` runs: E1 separate
#: budgeting, one-phase truncation, s1 budget forcing, the budget stated in the prompt (L1 / TALE),
#: O1-Pruner's fast-solving prompt
ELASTIC = "elastic"
TRUNCATE = "truncate"
FORCE = "force"
PROMPT = "prompt"
FAST = "fast"
RUNNABLE_STRATEGIES: tuple[str, ...] = (ELASTIC, TRUNCATE, FORCE, PROMPT, FAST)
#: every strategy a result file may state (published rows may have used no budget at all)
STRATEGY_NAMES: tuple[str, ...] = (*RUNNABLE_STRATEGIES, "none")
#: strategies that stop thinking at the budget (a result's mean thinking cannot exceed it)
THINK_CAPPED_STRATEGIES: tuple[str, ...] = (ELASTIC, TRUNCATE, FORCE)

_SAFE_PUNCTUATION = "-_."


def safe_filename(text: str) -> str:
    """``text`` with every character other than a letter, digit, ``-``, ``_`` or ``.`` made ``_``."""
    return "".join(c if c.isalnum() or c in _SAFE_PUNCTUATION else "_" for c in text)
