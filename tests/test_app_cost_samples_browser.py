"""The cost page and the sample browser in a real browser (headless Chromium via Playwright), over a
copy of the committed results plus one copy of the tiny-reasoner base entry recorded on other hardware.

Cost: a chart with its Pareto frontier; dollars per correct answer appear when a price is entered and
scale with it; wall-clock figures of two machines get a chart each; every committed benchmark renders.
Samples: the thinking box holds only the thinking (the cut marked), the answer box only the solution;
each filter and the search keep the problems the result files say, and live in the URL. Skips without
Playwright/Chromium; the app process is stopped by its PID in teardown."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from elastic_bench.harness.analysis import compare_entries
from elastic_bench.harness.results import load_result, save_result
from elastic_bench.leaderboard_app.samples import (
    CUT_MARK,
    doc_rows,
    filter_docs,
    line_offsets,
    right_by_problem,
)
from tests.browser import chromium_page, served_app
from tests.factories import committed_entry

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

ROOT = Path(__file__).resolve().parents[1] / "results"
BASE = "reproduced/reproduced__tiny_reasoner__elastic_toy.json"
ELASTIC = "reproduced/" + committed_entry(ROOT / "reproduced", "Elastic").name
OTHER_HW = "reproduced/tiny_reasoner_on_h100.json"
H100 = "GPU: NVIDIA H100 80GB HBM3"
PLOTS = "document.querySelectorAll('.js-plotly-plot')"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("app_cost")
    results = root / "results"
    shutil.copytree(ROOT, results)
    copy = load_result(ROOT / BASE)
    copy.model_name = "tiny_reasoner on an H100"
    copy.samples_file = None
    copy.reproducibility.hardware = H100
    copy.reproducibility.wall_time_seconds = 0.5
    save_result(copy, results / OTHER_HW)
    with served_app(results, root) as url:
        yield url, results


@pytest.fixture
def page(app) -> Iterator:
    with chromium_page(1280, 1400) as pg:
        yield pg


def _traces(page, i: int = 0) -> list[dict]:
    return page.evaluate(f"() => {PLOTS}[{i}].data.map(t => ({{role: t.meta.role, x: t.x, name: t.name}}))")


def test_cost_chart_has_a_frontier_and_dollars_follow_the_price(app, page) -> None:
    url, results = app
    page.goto(f"{url}/cost?benchmark=toy&axis=tokens")
    page.get_by_text("Cost per correct answer").first.wait_for()
    page.wait_for_function(f"{PLOTS}.length === 1 && {PLOTS}[0].data")
    roles = [t["role"] for t in _traces(page)]
    assert "frontier" in roles and roles.count("points") == 8  # 7 committed sweeps + the H100 copy

    # no price yet: no dollars, and the page says why
    page.goto(f"{url}/cost?benchmark=toy&axis=dollars")
    page.get_by_text("enter a price per million tokens").first.wait_for()
    assert page.evaluate(f"{PLOTS}.length") == 0
    price = page.get_by_label("$ per million output tokens")
    price.fill("2")
    price.press("Enter")
    page.wait_for_function(f"{PLOTS}.length === 1 && {PLOTS}[0].data")
    base = load_result(results / BASE)
    point = next(p for p in base.points if p.label == "t=00128")
    expected = 2.0 * point.tokens_per_correct / 1e6
    xs = [
        x for t in _traces(page) if t["role"] == "points" and "tiny_reasoner · " in t["name"] for x in t["x"]
    ]
    assert any(abs(x - expected) < 1e-12 for x in xs)
    assert "out=2" in page.url and "axis=dollars" in page.url  # the price lives in the URL
    page.goto(f"{url}/cost?benchmark=toy&axis=dollars&out=4")  # ... and a link reopens it
    page.wait_for_function(f"{PLOTS}.length === 1 && {PLOTS}[0].data")
    xs = [
        x for t in _traces(page) if t["role"] == "points" and "tiny_reasoner · " in t["name"] for x in t["x"]
    ]
    assert any(abs(x - 2 * expected) < 1e-12 for x in xs)


def test_wall_clock_figures_are_ranked_per_hardware(app, page) -> None:
    url, _ = app
    page.goto(f"{url}/cost?benchmark=toy&axis=seconds")
    page.get_by_text("ran on 2 different machines").wait_for()
    page.wait_for_function(f"{PLOTS}.length === 2 && {PLOTS}[1].data")
    titles = page.evaluate(f"() => Array.from({PLOTS}).map(p => p.layout.title.text)")
    assert any(H100 in t for t in titles) and any("AMD EPYC" in t for t in titles)
    for i, title in enumerate(titles):  # each chart holds one machine's entries, with its own frontier
        names = [t["name"] for t in _traces(page, i) if t["role"] == "points"]
        assert ("tiny_reasoner on an H100 · elastic" in names) == (H100 in title)
        assert "frontier" in [t["role"] for t in _traces(page, i)]


def test_each_kind_of_committed_benchmark_renders_the_cost_page(app, page) -> None:
    """One benchmark of each shape in the browser (every committed entry's figures are checked without
    one in test_cost.py): reproduced toy, published math, code with pass@k, rating-only Codeforces."""
    url, results = app
    committed = {load_result(p).benchmark for p in results.rglob("reported/*.json")} | {"toy"}
    benchmarks = ["toy", "math500", "lcb", "codeforces"]
    assert set(benchmarks) <= committed
    for benchmark in benchmarks:
        page.goto(f"{url}/cost?benchmark={benchmark}")
        page.locator("[data-testid='stDataFrame']").first.wait_for()  # the table, rendered last
        assert page.locator("[data-testid='stException']").count() == 0, benchmark
    # rating-only Codeforces entries: no chart, a reason
    page.goto(f"{url}/cost?benchmark=codeforces")
    page.get_by_text("no accuracy (a rating-only result)").first.wait_for()


def _code_boxes(page) -> list[str]:
    return page.locator("[data-testid='stCode']").all_inner_texts()


def _open(page, url: str, **params: str) -> None:
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
    page.goto(f"{url}/samples?{query}")
    page.get_by_text("doc_id ").first.wait_for()


def test_samples_thinking_answer_split_and_cut_marker(app, page) -> None:
    url, _ = app
    # doc 0 at t=128: the budget cut the thinking, and the solution writes the marker again
    _open(page, url, benchmark="toy", entry=BASE, budget="t=00128", doc="0")
    page.locator("[data-testid='stCode']").filter(has_text=CUT_MARK).wait_for()
    page.get_by_text("the grader read the part after the last one").wait_for()
    boxes = _code_boxes(page)
    thinking = next(b for b in boxes if CUT_MARK in b)
    assert thinking.rstrip().endswith("</think> appended ──")
    assert "\\boxed" not in thinking and thinking.count("</think>") == 1  # only in the cut line
    answer = boxes[boxes.index(thinking) + 1]
    assert answer.startswith("The result is \\boxed{") and "Operation 1" not in answer

    # a thinking that ended on its own has no cut line
    _open(page, url, benchmark="toy", entry=BASE, budget="unconstrained", doc="0")
    page.get_by_text("Thinking ended on its own").wait_for()
    page.get_by_text("Raw record (JSON)").wait_for()
    assert not any(CUT_MARK in b for b in _code_boxes(page))


def _expected(results: Path, which: str, query: str = "", b: str | None = None) -> int:
    result = load_result(results / BASE)
    [sfile] = ((results / BASE).parent / result.samples_file).glob("samples_elastic_toy_t00128_*.jsonl")
    rows = doc_rows(sfile, line_offsets(sfile), result.problem_ids)
    b_right = right_by_problem(load_result(results / b), 128) if b else None
    return len(filter_docs(rows, which, query, b_right))


def test_samples_filters_search_and_url(app, page) -> None:
    url, results = app
    common = {"benchmark": "toy", "entry": BASE, "budget": "t=00128"}
    for which in ("correct", "incorrect", "truncated"):
        n = _expected(results, which)
        assert 0 < n < 200, which
        _open(page, url, **common, filter=which)
        page.get_by_text(f"Problem ({n} of 200 match)").wait_for()
    # disagreeing with B: exactly the problems the comparison page lists
    [row] = compare_entries(load_result(results / BASE), load_result(results / ELASTIC), 128)
    assert _expected(results, "disagree", b=ELASTIC) == len(row.disagreements) > 0
    _open(page, url, **common, filter="disagree", b=ELASTIC)
    page.get_by_text(f"Problem ({len(row.disagreements)} of 200 match)").wait_for()
    # (B from the URL, not the first option: another B disagrees on a different number of problems)
    first_b = sorted(p.relative_to(results).as_posix() for p in results.glob("reproduced/*.json"))[0]
    assert _expected(results, "disagree", b=first_b) != len(row.disagreements)

    # search by problem id, then by text, in the browser; the URL follows
    _open(page, url, **common)
    pid = load_result(results / BASE).problem_ids[5]
    search = page.get_by_label("Search problem id or text")
    search.fill(pid)
    search.press("Enter")
    page.get_by_text("Problem (1 of 200 match)").wait_for()
    page.wait_for_url(re.compile(rf"q={pid}"))
    assert "doc=5" in page.url
    n = _expected(results, "all", "start with 42")
    search.fill("Start with 42")
    search.press("Enter")
    page.get_by_text(f"Problem ({n} of 200 match)").wait_for()
    page.locator("[data-testid='stRadio'] label").filter(has_text=re.compile(r"^incorrect$")).click()
    page.get_by_text(f"Problem ({_expected(results, 'incorrect', 'start with 42')} of 200 match)").wait_for()
    page.wait_for_url(re.compile(r"filter=incorrect"))
