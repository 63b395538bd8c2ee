"""The code-task fields of a sweep point, from its per-problem sample metrics.

A code task's ``process_results`` reports, per problem, the share of its k samples per final test
verdict (``verdict_<reason>``) and ``pass_bits`` (bit j set when sample j passed). From them a point
gets ``test_verdicts`` (samples per verdict), ``pass_at_k`` (the unbiased estimate for k = 1, 2, 4, ...
up to the samples per problem) and, for Codeforces, the CodeElo rating computed offline from the
standings cache: ``unavailable`` with the reason when no standings are cached, never estimated.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from elastic_bench.harness.analysis import pass_at_k
from elastic_bench.harness.protocol import TEST_VERDICTS
from elastic_bench.harness.results import CodeforcesRating

#: where the 2024 ratings histogram is looked for (under a data directory) for the percentile
RATINGS_FILE = "codeforces/ratings_2024.json"


def _ks(k: int) -> list[int]:
    return sorted({j for j in (1, 2, 4, 8, 16, 32, 64) if j <= k} | {k})


def code_fields(
    values: dict[str, np.ndarray], k: int, ids: list[str], meta: dict[str, Any]
) -> dict[str, Any]:
    """``test_verdicts``, ``pass_at_k`` and (Codeforces) ``codeforces`` of one point; {} for non-code."""
    if not any(f"verdict_{v}" in values for v in TEST_VERDICTS):
        return {}
    out: dict[str, Any] = {
        "test_verdicts": {
            v: int(round(float(values[f"verdict_{v}"].sum()) * k))
            for v in TEST_VERDICTS
            if f"verdict_{v}" in values
        }
    }
    passed = np.rint(values["acc"] * k).astype(int)
    out["pass_at_k"] = {j: float(np.mean([pass_at_k(k, int(c), j) for c in passed])) for j in _ks(k)}
    if meta.get("benchmark") == "codeforces" and "pass_bits" in values:
        bits = values["pass_bits"].astype(np.int64)
        results = {pid: [bool((int(b) >> j) & 1) for j in range(k)] for pid, b in zip(ids, bits, strict=True)}
        out["codeforces"] = codeforces_record(results, meta)
    return out


def codeforces_record(results: dict[str, list[bool]], meta: dict[str, Any]) -> CodeforcesRating:
    """The CodeElo rating from the standings cache, or why it is unavailable."""
    from elastic_bench.harness.codeforces import CodeforcesError, codeforces_rating, default_cache_dir

    cache = default_cache_dir()
    histogram = None
    for root in (meta.get("data_dir"), os.environ.get("ELASTIC_BENCH_DATA_DIR")):
        if root and (Path(root) / RATINGS_FILE).is_file():
            histogram = json.loads((Path(root) / RATINGS_FILE).read_text(encoding="utf-8"))
            break
    try:
        rating = codeforces_rating(results, cache, histogram=histogram)
    except CodeforcesError as exc:
        return CodeforcesRating(unavailable=str(exc))
    if rating.rating is None:
        return CodeforcesRating(unavailable=rating.unavailable_reason or "no standings cached")
    contests = [str(c.contest_id) for c in rating.contests if c.rating is not None]
    return CodeforcesRating(rating=rating.rating, percentile=rating.percentile, contests=contests)
