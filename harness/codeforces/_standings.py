"""The Codeforces standings cache: one ``standings_<contestId>.json`` per contest, filled from the API.

Each file holds the API-shaped ``result`` of ``contest.standings`` (official rows only,
``showUnofficial=false``; each row's ``problemResults`` dropped, the rating does not use them and
they are most of the size) under ``standings`` and the ``result`` of ``contest.ratingChanges`` under
``rating_changes``. Ratings are computed offline from these files (``harness.codeforces``).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_BASE_URL = "https://codeforces.com/api"
CACHE_ENV = "ELASTIC_BENCH_CODEFORCES_CACHE"
DEFAULT_DELAY_S = 2.0  # Codeforces asks for at most one API call per 2 seconds
_RETRYABLE_HTTP = {429, 500, 502, 503, 504}


class CodeforcesError(ValueError):
    """Bad Codeforces input (contest ids, cache files, problem results); the message is one line."""


class _Retryable(Exception):
    """A transient failure (network, 5xx, call limit): try again after a backoff."""


@dataclass
class ContestStandings:
    """A cached contest: the ``contest.standings`` result and the ``contest.ratingChanges`` result."""

    contest_id: int
    standings: dict[str, Any]
    rating_changes: list[dict[str, Any]]


@dataclass
class FetchReport:
    """What :func:`fetch_standings` did per contest."""

    fetched: list[int] = field(default_factory=list)
    cached: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    requests: int = 0


def default_cache_dir() -> Path:
    """``$ELASTIC_BENCH_CODEFORCES_CACHE``, else ``$XDG_CACHE_HOME`` (or ``~/.cache``)/elastic-bench/codeforces."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "elastic-bench" / "codeforces"


def cache_file(cache_dir: str | Path, contest_id: int) -> Path:
    """Path of one contest's cache file."""
    return Path(cache_dir) / f"standings_{int(contest_id)}.json"


def load_standings(cache_dir: str | Path, contest_id: int) -> ContestStandings | None:
    """The cached standings of a contest, or None when it is not cached."""
    path = cache_file(cache_dir, contest_id)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ContestStandings(int(contest_id), dict(data["standings"]), list(data["rating_changes"]))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise CodeforcesError(
            f"{path}: not a standings cache file ({exc}); delete it and fetch again"
        ) from None


def _slim(standings: dict[str, Any]) -> dict[str, Any]:
    rows = [{k: v for k, v in row.items() if k != "problemResults"} for row in standings.get("rows", [])]
    return {**standings, "rows": rows}


def _get_result(url: str, timeout: float) -> Any:
    """One API call: its ``result``; ``_Retryable`` for transient trouble, CodeforcesError for a refusal."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (http(s) base URL)
            body = response.read()
    except urllib.error.HTTPError as exc:  # the API answers FAILED with HTTP 400 and a JSON body
        if exc.code in _RETRYABLE_HTTP:
            raise _Retryable(f"HTTP {exc.code}") from None
        body = exc.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise _Retryable(str(getattr(exc, "reason", exc))) from None
    try:
        payload = json.loads(body)
    except json.JSONDecodeError:
        raise _Retryable("answer is not JSON") from None
    if payload.get("status") == "OK" and "result" in payload:
        return payload["result"]
    comment = str(payload.get("comment") or payload.get("status") or "no status")
    if "limit exceeded" in comment.lower():
        raise _Retryable(comment)
    raise CodeforcesError(comment)


def fetch_standings(
    contest_ids: Iterable[int],
    cache_dir: str | Path | None = None,
    base_url: str = DEFAULT_BASE_URL,
    *,
    delay_s: float = DEFAULT_DELAY_S,
    retries: int = 4,
    backoff_s: float = 4.0,
    timeout_s: float = 60.0,
    log: Callable[[str], None] | None = None,
) -> FetchReport:
    """Fill the cache for ``contest_ids`` from the Codeforces API, one request at a time.

    Contests already cached are skipped (a rerun resumes). Requests are ``delay_s`` apart; a
    transient failure is retried ``retries`` times, waiting ``backoff_s * 2**attempt``. A contest
    the API refuses (``status`` FAILED, e.g. unknown or unrated) is reported in ``failed`` and
    not cached; the others go on. Files are written atomically.
    """
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    report = FetchReport()
    last_call = [float("-inf")]

    def call(method: str, **params: Any) -> Any:
        url = f"{base_url.rstrip('/')}/{method}?{urllib.parse.urlencode(params)}"
        for attempt in range(retries + 1):
            time.sleep(max(0.0, last_call[0] + delay_s - time.monotonic()))
            last_call[0] = time.monotonic()
            report.requests += 1
            try:
                return _get_result(url, timeout_s)
            except _Retryable as exc:
                if attempt == retries:
                    raise CodeforcesError(f"{method}: {exc} (gave up after {retries + 1} tries)") from None
                if log:
                    log(f"{method} contest {params.get('contestId')}: {exc}; retrying")
                time.sleep(backoff_s * 2**attempt)
        raise AssertionError("unreachable")

    for cid in dict.fromkeys(int(c) for c in contest_ids):
        path = cache_file(directory, cid)
        if path.is_file():
            report.cached.append(cid)
            continue
        try:
            standings = call("contest.standings", contestId=cid, showUnofficial="false")
            changes = call("contest.ratingChanges", contestId=cid)
        except CodeforcesError as exc:
            report.failed[cid] = str(exc)
            if log:
                log(f"contest {cid}: {exc}")
            continue
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(
            json.dumps({"standings": _slim(standings), "rating_changes": changes}), encoding="utf-8"
        )
        os.replace(tmp, path)
        report.fetched.append(cid)
        if log:
            log(f"contest {cid}: {len(standings.get('rows', []))} rows, {len(changes)} rating changes")
    return report
