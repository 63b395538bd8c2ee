"""Budgeted generation: the backend-neutral generation contract, the budget strategies and
the shared-prefix sweep, and the response a backend hands to a task (text plus token accounting).
"""

from __future__ import annotations

from elastic_bench.harness.generation._contract import (
    Counter,
    GenerationCall,
    GenerationOutput,
    Sampling,
    TokenGenerator,
    stable_seed,
)
from elastic_bench.harness.generation._response import (
    ElasticResponse,
    TokenAccounting,
    accounting,
)
from elastic_bench.harness.generation._strategies import (
    ANSWER_CUE,
    L1_WORDINGS,
    MAX_WAITS,
    WAIT,
    Budget,
    BudgetedGenerator,
    BudgetedRequest,
    BudgetedResult,
    budget_instruction,
    budget_sentence,
)

__all__ = [
    "ANSWER_CUE",
    "Budget",
    "BudgetedGenerator",
    "BudgetedRequest",
    "BudgetedResult",
    "Counter",
    "ElasticResponse",
    "GenerationCall",
    "GenerationOutput",
    "L1_WORDINGS",
    "MAX_WAITS",
    "Sampling",
    "TokenAccounting",
    "TokenGenerator",
    "WAIT",
    "accounting",
    "budget_instruction",
    "budget_sentence",
    "stable_seed",
]
