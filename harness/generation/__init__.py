"""Budgeted generation: the backend-neutral generation contract, the budget strategies and
the shared-prefix sweep, and the response a backend hands to a task (text plus token accounting).
"""

from __future__ import annotations

from elastic_bench.harness.generation._budget import (
    ANSWER_CUE,
    BUDGET_WORDINGS,
    FAST_INSTRUCTION,
    L1_WORDINGS,
    MAX_WAITS,
    WAIT,
    Budget,
    budget_instruction,
    budget_sentence,
)
from elastic_bench.harness.generation._contract import (
    BackendError,
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
    BudgetedGenerator,
    BudgetedRequest,
    BudgetedResult,
)

__all__ = [
    "ANSWER_CUE",
    "BUDGET_WORDINGS",
    "BackendError",
    "Budget",
    "BudgetedGenerator",
    "BudgetedRequest",
    "BudgetedResult",
    "Counter",
    "ElasticResponse",
    "FAST_INSTRUCTION",
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
