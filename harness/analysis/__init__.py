"""Numbers from result files, shared by the CLI and the app: avg@k with bootstrap CIs, token
statistics, AES and AUC, per-budget summaries, the comparison of retrained models with their base and
the paired comparison of two entries (paired bootstrap, McNemar) and ranks with paired-test bounds.
"""

from __future__ import annotations

from elastic_bench.harness.analysis._comparison import (
    COLUMNS,
    budget_accuracy_frame,
    comparison_frame,
)
from elastic_bench.harness.analysis._cost import (
    COST_COLUMNS,
    Prices,
    cost_frame,
    point_tokens_per_correct,
    sweep_throughput,
)
from elastic_bench.harness.analysis._metrics import (
    AES_CONVENTIONS,
    ANSWER_RATES,
    AESConvention,
    Estimate,
    PairedDiff,
    TokenStats,
    aes,
    aes_base_point,
    answer_rates,
    auc_log_budget,
    avg_at_k,
    bootstrap_ci,
    paired_bootstrap_diff,
    pass_at_k,
    per_problem_means,
    token_stats,
    tokens_per_correct,
)
from elastic_bench.harness.analysis._paired import (
    BudgetComparison,
    ComparisonError,
    compare_entries,
    mcnemar_exact,
    solved,
)
from elastic_bench.harness.analysis._ranking import (
    RANK_ALPHA,
    RankBounds,
    mcnemar_critical,
    rank_with_bounds,
)
from elastic_bench.harness.analysis._summary import (
    ReportError,
    base_point,
    pick_base,
    point_aes,
    summary_frame,
    sweep_auc,
)

__all__ = [
    "COST_COLUMNS",
    "Prices",
    "cost_frame",
    "point_tokens_per_correct",
    "sweep_throughput",
    "BudgetComparison",
    "ComparisonError",
    "compare_entries",
    "mcnemar_exact",
    "RANK_ALPHA",
    "RankBounds",
    "mcnemar_critical",
    "rank_with_bounds",
    "solved",
    "AESConvention",
    "AES_CONVENTIONS",
    "ANSWER_RATES",
    "COLUMNS",
    "Estimate",
    "PairedDiff",
    "ReportError",
    "TokenStats",
    "aes",
    "aes_base_point",
    "answer_rates",
    "auc_log_budget",
    "avg_at_k",
    "base_point",
    "bootstrap_ci",
    "budget_accuracy_frame",
    "comparison_frame",
    "paired_bootstrap_diff",
    "pass_at_k",
    "per_problem_means",
    "pick_base",
    "point_aes",
    "summary_frame",
    "sweep_auc",
    "token_stats",
    "tokens_per_correct",
]
