"""Codeforces rating (CodeElo's method): rating_from_rank by hand, scoring/rank, the standings cache
fetched from a local API server (unrated, disqualified and FAILED contests), the CLI, and the
"unavailable, never estimated" rule."""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from elastic_bench.harness.cli import add_codeforces_parser, parse_contest_ids
from elastic_bench.harness.codeforces import (
    CodeforcesError,
    cache_file,
    codeforces_rating,
    contest_of,
    fetch_standings,
    load_standings,
    model_rank,
    model_score,
    percentile,
    rate_contest,
    rating_from_rank,
)


def expected_rank(r: float, ratings: list[float]) -> float:
    return 1 + sum(1 / (1 + 10 ** ((r - ri) / 400)) for ri in ratings)


# ------------------------------------------------------------------ rating_from_rank by hand
@pytest.mark.parametrize(
    ("ratings", "rank", "want"),
    [
        # one participant at 1500; at r = 1500: 1 + 1/(1 + 10^0) = 1 + 1/2 = 1.5
        ([1500], 1.5, 1500.0),
        # one participant at 1500; at r = 1100: 1/(1 + 10^(-400/400)) = 1/(1 + 0.1) = 10/11 -> rank 21/11
        ([1500], 21 / 11, 1100.0),
        # 1400 and 1600; at r = 1500 with x = 10^0.25: 1/(1 + x) + 1/(1 + 1/x) = 1/(1+x) + x/(1+x) = 1 -> rank 2
        ([1400, 1600], 2.0, 1500.0),
        # 1000 and 1400; at r = 1400: 1/(1 + 10^1) + 1/(1 + 10^0) = 1/11 + 1/2 -> rank 1 + 1/11 + 1/2 = 35/22
        ([1000, 1400], 35 / 22, 1400.0),
        # 1500 twice; at r = 1100 each term is 10/11 (as above) -> rank 1 + 20/11 = 31/11
        ([1500, 1500], 31 / 11, 1100.0),
    ],
)
def test_rating_from_rank_hand_computed(ratings, rank, want):
    assert rating_from_rank(ratings, rank) == pytest.approx(want, abs=1e-4)


def test_rating_from_rank_is_decreasing_in_rank_and_solves_the_equation():
    rng = random.Random(7)
    ratings = [rng.uniform(800, 3000) for _ in range(300)]
    ranks = [1, 1.5, 2, 5, 10, 15, 40, 100, 150, 250, 299.5, 301, 400]
    solved = [rating_from_rank(ratings, k) for k in ranks]
    assert all(a >= b for a, b in zip(solved, solved[1:], strict=False)), solved  # worse rank, lower rating
    # ranks the bracket [0, max + 100] can reach: strictly decreasing, and the equation holds
    top, bottom = expected_rank(max(ratings) + 100, ratings), expected_rank(0, ratings)
    inner = [(k, r) for k, r in zip(ranks, solved, strict=True) if top < k < bottom]
    assert [k for k, _ in inner] == [15, 40, 100, 150, 250, 299.5]
    assert all(a[1] > b[1] for a, b in zip(inner, inner[1:], strict=False))
    for k, r in inner:
        assert expected_rank(r, ratings) == pytest.approx(k, abs=1e-5)
    # outside it: the bracket's edges
    assert solved[0] == solved[1] == max(ratings) + 100 and solved[-1] == solved[-2] == 0


def codeelo_integer_bisection(ratings: list[float], rank: float) -> int:
    """CodeElo's own loop (calc_rating.py): integers on [0, max + 100], keeps the last l with seed >= rank."""
    lo, hi = 0, int(max(ratings)) + 100
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if expected_rank(mid, ratings) < rank:
            hi = mid
        else:
            lo = mid
    return lo


def test_rating_from_rank_agrees_with_codeelo_to_one_point():
    rng = random.Random(3)
    ratings = [float(rng.randint(0, 3500)) for _ in range(250)]
    for rank in (1, 2, 17, 120, 249, 250):
        # CodeElo keeps the integer just below the root (hi - 1 at the top edge)
        assert 0 <= rating_from_rank(ratings, rank) - codeelo_integer_bisection(ratings, rank) <= 1.0


def test_rating_from_rank_edges_and_bad_input():
    # ahead of everyone (rank <= 1): no finite solution, CodeElo's bracket top max + 100
    assert rating_from_rank([1500, 1700], 1) == pytest.approx(1800)
    # behind everyone (rank >= n + 1 = 3): bracket bottom min(0, min r_i)
    assert rating_from_rank([1500, 1700], 3) == pytest.approx(0)
    assert rating_from_rank([-50, 1700], 3) == pytest.approx(-50)
    with pytest.raises(ValueError, match="needs at least one participant rating"):
        rating_from_rank([], 1)
    with pytest.raises(ValueError, match="ratings and rank must be finite numbers"):
        rating_from_rank([1500], math.nan)


# --------------------------------------------------------------------- scoring and rank
def test_model_score_icpc_and_points():
    icpc = [{"contestId": 7, "index": "A"}, {"contestId": 7, "index": "B"}]
    # A accepted on the 3rd attempt: 1 solved, 2 failed tries x 10 minutes; B never
    assert model_score(icpc, {"7A": [False, False, True], "7B": [False]}) == (1.0, 20)
    points = [
        {"contestId": 7, "index": "A", "points": 500.0},
        {"contestId": 7, "index": "B", "points": 1000.0},
    ]
    # A first try: 500; B on the 2nd try: 1000 - 50 = 950; no time decay (submitted at minute 0)
    assert model_score(points, {"7A": [True], "7B": [False, True]}) == (1450.0, 0)
    # never below zero: 11 failed tries before an accepted one on a 500 problem
    assert model_score(points, {"7A": [False] * 11 + [True]}) == (0.0, 0)


def test_model_rank_counts_participants_not_behind():
    rows = [{"points": 3, "penalty": 50}, {"points": 2, "penalty": 10}, {"points": 2, "penalty": 30}]
    assert model_rank(rows, 2, 10) == 2  # the 3-pointer and the tie on penalty count ahead
    assert model_rank(rows, 2, 9) == 1
    assert model_rank(rows, 4, 0) == 0


def test_contest_of_and_contest_id_parsing(tmp_path):
    assert contest_of("1971A") == 1971 and contest_of("1983F1") == 1983
    with pytest.raises(CodeforcesError, match="not a Codeforces problem id: 'A1971'"):
        contest_of("A1971")
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps(["1971A", "1971B", "1972C"]))
    assert parse_contest_ids(str(meta)) == [1971, 1972]
    assert parse_contest_ids("2000, 2001 2000") == [2000, 2001]
    with pytest.raises(CodeforcesError, match="not a contest or problem id: '19x'"):
        parse_contest_ids("19x")


def test_percentile_counts_users_strictly_below():
    hist = {"1000": 2, "1500": 1, "2000": 1}
    assert percentile(1500, hist) == 50.0  # the two at 1000 of four users
    assert percentile(1500.5, hist) == 75.0
    assert percentile(999, hist) == 0.0


# --------------------------------------------------------------- a local Codeforces API
def row(handle: str, points: float, penalty: int) -> dict:
    party = {"contestId": 0, "members": [{"handle": handle}], "participantType": "CONTESTANT"}
    return {
        "party": party,
        "rank": 0,
        "points": points,
        "penalty": penalty,
        "problemResults": [{"points": 1}],
    }


def change(handle: str, old: int) -> dict:
    return {"contestId": 0, "handle": handle, "rank": 0, "oldRating": old, "newRating": old}


# 1001, ICPC-style: a disqualified row and an unrated row sit high in the standings and have no
# rating change; only alice, bob and erin are rated participants.
ICPC = {
    "standings": {
        "contest": {"id": 1001, "name": "Educational Round", "type": "ICPC"},
        "problems": [{"contestId": 1001, "index": "A"}, {"contestId": 1001, "index": "B"}],
        "rows": [
            row("cheater", 2, 5),  # disqualified: absent from ratingChanges
            row("alice", 2, 30),
            row("newbie_unrated", 1, 10),  # unrated: absent from ratingChanges
            row("bob", 1, 20),
            row("erin", 0, 0),
        ],
    },
    "changes": [change("alice", 1700), change("bob", 1500), change("erin", 1300)],
}
# 1002, points-based (problems carry points)
POINTS = {
    "standings": {
        "contest": {"id": 1002, "name": "Round (Div. 2)", "type": "CF"},
        "problems": [
            {"contestId": 1002, "index": "A", "points": 500.0},
            {"contestId": 1002, "index": "B", "points": 1000.0},
        ],
        "rows": [row("p1", 1400, 0), row("p2", 900, 0), row("p3", 450, 0), row("p4", 0, 0)],
    },
    "changes": [change("p1", 2000), change("p2", 1600), change("p3", 1400), change("p4", 1200)],
}
# 1005, ICPC-style and big enough for CodeElo's floor (> 200 rated): 100 rows with 3 solved, 100 with
# 2, 50 with 1, penalties 0..249 in order, ratings 2000 - 4 i; plus an unrated 3-solver at the top
BIG_RATINGS = [2000 - 4 * i for i in range(250)]
BIG = {
    "standings": {
        "contest": {"id": 1005, "name": "Div. 3", "type": "ICPC"},
        "problems": [{"contestId": 1005, "index": x} for x in "ABC"],
        "rows": [row("ghost", 3, 0)] + [row(f"u{i}", 3 - i // 100, i) for i in range(250)],
    },
    "changes": [change(f"u{i}", r) for i, r in enumerate(BIG_RATINGS)],
}
FAILED_COMMENT = "contestId: Contest with id 1003 has not started"


class FakeCodeforces(BaseHTTPRequestHandler):
    hits: Counter = Counter()
    times: list[float] = []
    contests = {1001: ICPC, 1002: POINTS, 1004: ICPC, 1005: BIG}
    flaky_left = {1004: 1}  # 1004 answers 503 once, then as 1001

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        method = url.path.rsplit("/", 1)[-1]
        cid = int(urllib.parse.parse_qs(url.query)["contestId"][0])
        FakeCodeforces.hits[(method, cid)] += 1
        FakeCodeforces.times.append(time.monotonic())
        if FakeCodeforces.flaky_left.get(cid, 0) > 0 and method == "contest.standings":
            FakeCodeforces.flaky_left[cid] -= 1
            return self._send(503, {"status": "FAILED", "comment": "busy"})
        if cid not in self.contests:
            return self._send(400, {"status": "FAILED", "comment": FAILED_COMMENT})
        data = self.contests[cid]
        result = data["standings"] if method == "contest.standings" else data["changes"]
        return self._send(200, {"status": "OK", "result": result})

    def _send(self, code, payload):
        body = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def api():
    FakeCodeforces.hits = Counter()
    FakeCodeforces.times = []
    FakeCodeforces.flaky_left = {1004: 1}
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeCodeforces)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()
    server.server_close()


def fetch(ids, cache, base):
    return fetch_standings(ids, cache, base, delay_s=0, backoff_s=0, retries=2)


def test_fetch_fills_cache_reuses_it_and_reports_failed_contests(api, tmp_path):
    report = fetch([1001, 1002, 1003, 1004], tmp_path, api)
    assert report.fetched == [1001, 1002, 1004] and report.cached == []
    assert report.failed == {1003: FAILED_COMMENT}
    assert not cache_file(tmp_path, 1003).exists()
    hits = FakeCodeforces.hits
    assert hits[("contest.standings", 1004)] == 2  # one 503, one retry
    assert hits[("contest.ratingChanges", 1003)] == 0  # a refusal is not retried nor followed up
    assert sum(hits.values()) == report.requests == 2 + 2 + 1 + 3

    cached = load_standings(tmp_path, 1001)
    assert [r["party"]["members"][0]["handle"] for r in cached.standings["rows"]][:2] == ["cheater", "alice"]
    assert all("problemResults" not in r for r in cached.standings["rows"])
    assert cached.rating_changes == ICPC["changes"]

    before = sum(hits.values())
    again = fetch([1001, 1002, 1003, 1004], tmp_path, api)
    assert again.cached == [1001, 1002, 1004] and again.fetched == []
    assert sum(hits.values()) - before == 1  # only the failed 1003 is asked again
    assert all(
        hits[(m, c)] <= 2 for m in ("contest.standings", "contest.ratingChanges") for c in (1001, 1002)
    )


def test_fetch_is_polite_one_request_at_a_time_with_a_delay(api, tmp_path):
    fetch_standings([1001, 1002], tmp_path, api, delay_s=0.2)
    gaps = [b - a for a, b in zip(FakeCodeforces.times, FakeCodeforces.times[1:], strict=False)]
    assert len(gaps) == 3 and min(gaps) >= 0.19


def test_rating_excludes_unrated_and_disqualified_rows(api, tmp_path):
    fetch([1001], tmp_path, api)
    # A accepted on the 3rd attempt: 1 solved, penalty 20. Rated rows not behind it: alice (2 solved)
    # and bob (1 solved, penalty 20 <= 20): rank 2. Counting the disqualified and unrated rows would
    # give rank 4; their absence from ratingChanges is what removes them.
    got = rate_contest(
        1001,
        load_standings(tmp_path, 1001),
        {"1001A": [False, False, True]},
        mode="attempts",
        min_participants=1,
    )
    assert got.participants == 3 and got.sample_ranks == [2] and got.sample_scores == [1.0]
    assert got.rating == pytest.approx(rating_from_rank([1700, 1500, 1300], 2))
    assert expected_rank(got.rating, [1700, 1500, 1300]) == pytest.approx(2, abs=1e-6)
    # CodeElo needs more than 200 rated participants by default
    small = rate_contest(1001, load_standings(tmp_path, 1001), {"1001A": True})
    assert small.rating is None and "3 rated participants" in small.unavailable_reason


def test_per_sample_mode_averages_single_attempt_ratings(api, tmp_path):
    fetch([1001], tmp_path, api)
    standings = load_standings(tmp_path, 1001)
    # sample 0 solves A (score 1, penalty 0: only alice ahead, rank 1 -> bracket top 1800);
    # sample 1 solves nothing (alice, bob and erin at 0/0 count ahead: rank 3)
    got = rate_contest(1001, standings, {"1001A": [True, False], "1001B": [False, False]}, min_participants=1)
    ratings = [1700, 1500, 1300]
    assert got.sample_ranks == [1, 3]
    assert got.sample_ratings == pytest.approx([1800, rating_from_rank(ratings, 3)])
    assert got.rating == pytest.approx((1800 + rating_from_rank(ratings, 3)) / 2)
    with pytest.raises(CodeforcesError, match="problems have different sample counts"):
        rate_contest(1001, standings, {"1001A": [True, False], "1001B": [False]}, min_participants=1)
    with pytest.raises(CodeforcesError, match="1001A: outcomes must be booleans per sample"):
        rate_contest(1001, standings, {"1001A": 0.5}, min_participants=1)


def test_overall_rating_from_the_fetched_cache(api, tmp_path):
    fetch([1001, 1002, 1003], tmp_path, api)
    results = {
        "1001A": [False, False, True],
        "1002A": [False, True],  # 500 - 50 = 450: p1, p2 and p3 (450, tie) ahead -> rank 3
        "1002B": [False, False],
        "1003A": [True],  # 1003 was refused by the API: listed, not rated
    }
    hist = {"1000": 1, "1500": 2, "3000": 1}
    got = codeforces_rating(results, tmp_path, histogram=hist, mode="attempts", min_participants=1)
    by_id = {c.contest_id: c for c in got.contests}
    assert by_id[1002].sample_scores == [450.0] and by_id[1002].sample_ranks == [3]
    assert by_id[1003].rating is None and by_id[1003].unavailable_reason == "no standings cached"
    want = (rating_from_rank([1700, 1500, 1300], 2) + rating_from_rank([2000, 1600, 1400, 1200], 3)) / 2
    assert got.rating == pytest.approx(want) and got.contests_rated == 2
    assert got.percentile == percentile(want, hist)
    assert got.to_dict()["contests"][2]["unavailable_reason"] == "no standings cached"


def test_rating_unavailable_with_empty_cache(tmp_path):
    got = codeforces_rating({"1971A": [True], "1972B": [False]}, tmp_path / "empty")
    assert got.rating is None and got.percentile is None
    assert "no usable standings for any of 2 contest(s)" in got.unavailable_reason
    assert [c.unavailable_reason for c in got.contests] == ["no standings cached"] * 2
    assert json.loads(json.dumps(got.to_dict()))["rating"] is None


def test_cli_fetch_standings(api, tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="elastic-bench")
    add_codeforces_parser(parser.add_subparsers(dest="command"))
    meta = tmp_path / "metadata_cf.json"
    meta.write_text(json.dumps(["1001A", "1001B", "1002A"]))
    cache = tmp_path / "cache"
    argv = ["codeforces", "fetch-standings", "--contests", str(meta), "--cache-dir", str(cache)]
    args = parser.parse_args([*argv, "--base-url", api, "--delay", "0"])
    assert args.func(args) == 0
    assert "2 fetched, 0 already cached, 0 failed (4 requests)" in capsys.readouterr().out
    assert sorted(p.name for p in cache.iterdir()) == ["standings_1001.json", "standings_1002.json"]

    args = parser.parse_args([*argv[:3], "1001,1003", *argv[4:], "--base-url", api, "--delay", "0"])
    assert args.func(args) == 1  # 1003 failed
    out = capsys.readouterr().out
    assert "0 fetched, 1 already cached, 1 failed (1 requests)" in out and FAILED_COMMENT in out


def test_cli_rating_offline_from_the_cache(api, tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="elastic-bench")
    add_codeforces_parser(parser.add_subparsers(dest="command"))
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"1001A": [False, False, True], "1001B": [False, False, False]}))
    cache = tmp_path / "cache"
    args = parser.parse_args(
        ["codeforces", "rating", str(results), "--cache-dir", str(cache), "--mode", "attempts"]
    )
    assert args.func(args) == 1  # nothing cached yet: unavailable, not estimated
    assert json.loads(capsys.readouterr().out)["rating"] is None
    fetch([1001], cache, api)
    # the CLI keeps CodeElo's 200-participant floor: the 3-participant fake contest stays unrated
    assert args.func(args) == 1
    assert "3 rated participants" in capsys.readouterr().out
    # 1005 has 250 rated rows; A and B solved first try (2 solved, penalty 0): the 100 three-solvers
    # are ahead and every two-solver has more penalty, so rank 100 (the unrated 'ghost' does not count)
    results.write_text(json.dumps({"1005A": [True], "1005B": [True], "1005C": [False]}))
    fetch([1005], cache, api)
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["contests"][0]["sample_ranks"] == [100] and out["contests"][0]["participants"] == 250
    assert out["rating"] == pytest.approx(rating_from_rank(BIG_RATINGS, 100))
    assert out["percentile"] is None and out["contests_rated"] == 1


def test_corrupt_cache_file_is_a_one_line_error(tmp_path):
    cache_file(tmp_path, 5).write_text("{not json")
    with pytest.raises(CodeforcesError, match="standings_5.json"):
        load_standings(tmp_path, 5)


# ----------------------------------------------------------- the shared CodeElo data, if here
def _shared_codeforces() -> Path | None:
    root = Path(__file__).resolve().parents[1]
    for base in (
        os.environ.get("ELASTIC_BENCH_SHARED"),
        root / "shared",
        root.parent / "shared",
        "/work/shared",
    ):
        if base and (Path(base) / "data" / "codeforces" / "ratings_2024.json").is_file():
            return Path(base) / "data" / "codeforces"
    return None


@pytest.mark.skipif(_shared_codeforces() is None, reason="shared Codeforces data not present")
def test_shared_histogram_gives_e1s_published_percentile():
    data = _shared_codeforces()
    hist = json.loads((data / "ratings_2024.json").read_text())
    # E1-Code-14B's published Codeforces result: rating 1987, 96.0 percentile (CodeElo rounds to 0.1)
    assert round(percentile(1987, hist), 1) == 96.0
    ids = parse_contest_ids(str(data / "metadata_cf.json"))
    assert len(ids) == 57 and len(json.loads((data / "metadata_cf.json").read_text())) == 408
