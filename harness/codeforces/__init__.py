"""The Codeforces rating of a model as CodeElo computes it, offline from cached contest standings."""

from __future__ import annotations

from elastic_bench.harness.codeforces._rating import (
    codeforces_rating,
    contest_of,
    model_rank,
    model_score,
    percentile,
    rate_contest,
    rating_from_rank,
)
from elastic_bench.harness.codeforces._standings import (
    DEFAULT_BASE_URL,
    DEFAULT_DELAY_S,
    CodeforcesError,
    ContestStandings,
    FetchReport,
    cache_file,
    default_cache_dir,
    fetch_standings,
    load_standings,
)

__all__ = [
    "CodeforcesError",
    "ContestStandings",
    "DEFAULT_BASE_URL",
    "DEFAULT_DELAY_S",
    "FetchReport",
    "cache_file",
    "codeforces_rating",
    "contest_of",
    "default_cache_dir",
    "fetch_standings",
    "load_standings",
    "model_rank",
    "model_score",
    "percentile",
    "rate_contest",
    "rating_from_rank",
]
