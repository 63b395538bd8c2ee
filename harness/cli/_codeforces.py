"""``elastic-bench codeforces fetch-standings`` fills the standings cache; ``codeforces rating`` rates a
model offline from it (CodeElo's method, ``harness.codeforces``)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from elastic_bench.harness.codeforces import (
    DEFAULT_BASE_URL,
    DEFAULT_DELAY_S,
    CodeforcesError,
    default_cache_dir,
    fetch_standings,
)


def parse_contest_ids(spec: str) -> list[int]:
    """Contest ids from ``1971,1972`` or a file: a JSON list of contest or problem ids
    (metadata_cf.json: ``["1971A", ...]``) or whitespace/comma separated ids."""
    path = Path(spec)
    text = path.read_text(encoding="utf-8") if path.is_file() else spec
    try:
        items = [str(x) for x in json.loads(text)] if path.is_file() and text.lstrip()[:1] == "[" else None
    except json.JSONDecodeError as exc:
        raise CodeforcesError(f"{spec}: not a JSON list ({exc.msg})") from None
    tokens = items if items is not None else [t for t in re.split(r"[\s,]+", text) if t]
    ids: list[int] = []
    for token in tokens:
        match = re.fullmatch(r"(\d+)([A-Z][A-Z0-9]*)?", token.strip())
        if not match:
            raise CodeforcesError(f"not a contest or problem id: {token!r}")
        ids.append(int(match.group(1)))
    if not ids:
        raise CodeforcesError(f"no contest ids in {spec!r}")
    return list(dict.fromkeys(ids))


def add_codeforces_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``codeforces fetch-standings`` on an argparse ``subparsers`` object."""
    p = subparsers.add_parser("codeforces", help="Codeforces rating data (standings cache)")
    sub = p.add_subparsers(dest="codeforces_command", required=True)
    f = sub.add_parser(
        "fetch-standings",
        help="download contest standings and rating changes into the cache (skips cached contests)",
    )
    f.add_argument(
        "--contests",
        required=True,
        help="contest ids (1971,1972) or a file of contest/problem ids, e.g. metadata_cf.json",
    )
    f.add_argument("--cache-dir", default=None, help=f"cache folder (default: {default_cache_dir()})")
    f.add_argument("--base-url", default=DEFAULT_BASE_URL, help="Codeforces API base URL")
    f.add_argument("--delay", type=float, default=DEFAULT_DELAY_S, help="seconds between requests")
    r = sub.add_parser(
        "rating",
        help="rate per-problem results offline from the cache (JSON: {problem_id: bool | [bool per sample]})",
    )
    r.add_argument("results", help="JSON file {problem_id: bool or [bool per sample]}, e.g. 1971A")
    r.add_argument("--cache-dir", default=None, help=f"cache folder (default: {default_cache_dir()})")
    r.add_argument(
        "--ratings", default=None, help="histogram of rated users (ratings_2024.json) for the percentile"
    )
    r.add_argument("--mode", choices=["per_sample", "attempts"], default="per_sample")
    p.set_defaults(func=run_codeforces)
    return p


def _read_json(path: str, what: str) -> object:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CodeforcesError(f"{path}: {what} is not JSON ({exc.msg})") from None


def _rating(args: argparse.Namespace) -> int:
    from elastic_bench.harness.codeforces import codeforces_rating

    results = _read_json(args.results, "results")
    if not isinstance(results, dict):
        raise CodeforcesError(f"{args.results}: expected an object {{problem_id: outcomes}}")
    if "schema_version" in results:
        raise CodeforcesError(
            f"{args.results} is a result file; rating takes {{problem_id: bool or [bool per sample]}} "
            "(a Codeforces sweep's result file carries its rating already)"
        )
    histogram = _read_json(args.ratings, "ratings histogram") if args.ratings else None
    cache_dir = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    rating = codeforces_rating(results, cache_dir, histogram=histogram, mode=args.mode)
    print(json.dumps(rating.to_dict(), indent=1))
    if rating.rating is None:
        print(f"rating unavailable: {rating.unavailable_reason}", file=sys.stderr)
        return 1
    return 0


def run_codeforces(args: argparse.Namespace) -> int:
    """Run a ``codeforces`` sub-command; 1 when some contest could not be fetched or rated."""
    if args.codeforces_command == "rating":
        return _rating(args)
    if args.codeforces_command != "fetch-standings":
        raise CodeforcesError(f"unknown codeforces command {args.codeforces_command!r}")
    ids = parse_contest_ids(args.contests)
    cache_dir = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    report = fetch_standings(
        ids,
        cache_dir,
        args.base_url,
        delay_s=args.delay,
        log=lambda line: print(line, file=sys.stderr),
    )
    print(
        f"{cache_dir}: {len(report.fetched)} fetched, {len(report.cached)} already cached, "
        f"{len(report.failed)} failed ({report.requests} requests)"
    )
    for cid, reason in report.failed.items():
        print(f"  contest {cid}: {reason}")
    return 1 if report.failed else 0
