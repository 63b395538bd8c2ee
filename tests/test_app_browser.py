"""The Streamlit app in a real browser (headless Chromium via Playwright).

Starts the app on a free 127.0.0.1 port over a temporary results directory (three reproduced
entries, one reported entry, one corrupt file, and on MATH500 published entries of three source
tables) and checks: the page loads; the curve has the expected traces; a filter changes them; the
corrupt file's warning is visible; the upload page rejects a malformed file with its reason and
accepts a valid one; published entries show their provenance badges and a chart mixing token
counting conventions warns; a checkpoint submitted on the Submit page is queued, evaluated by a worker
and shown on the Queue page, and a verified entry is labelled and filtered. Skips without Playwright or Chromium. The app process is stopped by its
PID in teardown.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from elastic_bench.leaderboard_app.published import published_results
from tests.browser import chromium, new_page, served_app
from tests.factories import make_result, write_result

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

TINY = Path(__file__).resolve().parent.parent / "models" / "tiny_reasoner" / "checkpoint"
TRACES_JS = "() => { const p = document.querySelectorAll('.js-plotly-plot')[0]; return p && p.data ? p.data.length : -1; }"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("app")
    results = root / "results"
    # three reproduced entries with CI bands (2 traces each), one reported without CI (1 trace)
    write_result(make_result("alpha", seed=1), results)
    write_result(make_result("beta", seed=2, tokens=(150, 300, 600)), results)
    write_result(make_result("gamma", strategy="truncate", seed=3), results)
    write_result(make_result("paper-model", kind="reported", with_ci=False, seed=4), results / "reported")
    (results / "corrupt.json").write_text("{definitely not json", encoding="utf-8")
    for r in published_results():  # s1 counts thinking tokens, L1 and AdaptThink the whole response
        if (
            r.benchmark == "math500"
            and r.reported_source.table in PUBLISHED_TABLES
            and "7B" not in r.model_name
        ):
            write_result(r, results / "reported")
    with served_app(results, root) as url:
        yield url, results


@pytest.fixture(scope="module")
def browser(app) -> Iterator:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    pg = new_page(browser, 1400, 1200)
    yield pg
    pg.context.close()


#: the published tables put on MATH500 (1.5B and 32B rows): 3 + 6 + 10 entries, s1 counting thinking
#: tokens, L1 and AdaptThink the whole response
PUBLISHED_TABLES = {"s1_table14", "l1_table1", "adaptthink_t1"}


def _traces(page) -> int:
    return page.evaluate(TRACES_JS)


def test_leaderboard_curves_filter_and_warning(app, page, tmp_path: Path) -> None:
    url, _ = app
    page.goto(url)
    page.wait_for_function(f"({TRACES_JS})() > 0")
    page.wait_for_timeout(300)
    assert _traces(page) == 3 * 2 + 1
    meta = page.evaluate(
        "() => document.querySelectorAll('.js-plotly-plot')[0].data.map(t => [t.meta.role, t.meta.kind])"
    )
    assert meta.count(["curve", "reproduced"]) == 3 and meta.count(["curve", "reported"]) == 1
    # the corrupt file is skipped with a visible warning naming it
    warning = page.get_by_text("Skipped 1 file in the results directory")
    assert warning.is_visible()
    assert page.get_by_text("corrupt.json: not JSON").is_visible()
    page.screenshot(path=str(tmp_path / "leaderboard.png"), full_page=True)

    # the Pareto tab renders its own chart with the frontier
    page.get_by_role("tab", name="Pareto frontier").click()
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length === 2")
    roles = page.evaluate("() => document.querySelectorAll('.js-plotly-plot')[1].data.map(t => t.meta.role)")
    assert "frontier" in roles
    page.screenshot(path=str(tmp_path / "pareto.png"), full_page=True)

    # filter: hide the reported entries -> one trace fewer
    page.get_by_role("button", name="Reported (published)").click()
    page.wait_for_function(f"({TRACES_JS})() === 6")
    # filter: drop the elastic strategy -> only the truncate entry is left (band + curve)
    page.get_by_role("button", name="Reported (published)").click()
    page.wait_for_function(f"({TRACES_JS})() === 7")
    strategy = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first
    strategy.get_by_role("button", name="Remove elastic").click()
    page.wait_for_function(f"({TRACES_JS})() === 2")


def test_upload_rejects_then_accepts(app, page, tmp_path: Path) -> None:
    url, results = app
    bad = tmp_path / "bad.json"
    raw = json.loads(make_result("uploaded", seed=8).model_dump_json())
    raw["points"][0]["label"] = "t=99999"
    bad.write_text(json.dumps(raw), encoding="utf-8")
    good = write_result(make_result("uploaded", seed=8), tmp_path, name="good.json")

    page.goto(f"{url}/submit")
    uploader = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    uploader.wait_for(state="attached")
    uploader.set_input_files(str(bad))
    page.get_by_text("Rejected: this file is not a valid result file.").wait_for()
    assert page.get_by_text("label says budget 99999 but thinking_budget is 256").is_visible()
    assert not list(results.rglob("*uploaded*"))

    uploader.set_input_files(str(good))
    page.get_by_text("Valid reproduced result with 3 budget points.").wait_for()
    page.get_by_role("button", name="Add to leaderboard").click()
    page.get_by_text("Added to the leaderboard.").wait_for()
    stored = results / "reproduced" / "reproduced__uploaded__elastic_toy.json"
    assert stored.is_file()

    # the new entry shows up on the leaderboard (mtime-keyed cache picks it up)
    page.goto(url)
    page.wait_for_function(f"({TRACES_JS})() === 9")


def test_published_entries_show_provenance_and_comparability_warnings(app, page) -> None:
    url, _ = app
    page.goto(url)
    page.wait_for_function(f"({TRACES_JS})() > 0")
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="math500 · MATH500 (500)").click()
    page.wait_for_function(f"({TRACES_JS})() === 19")
    names = page.evaluate("() => document.querySelectorAll('.js-plotly-plot')[0].data.map(t => t.name)")
    assert "R1-1.5B + DAST · AdaptThink T1 [secondary]" in names
    assert "s1-32B · s1 T14 [authors]" in names
    # the badges: AdaptThink's base row and 8 re-implemented baselines, L1's 3 reference models
    assert page.get_by_text("secondary · 12").is_visible() and page.get_by_text("authors · 7").is_visible()
    warning = page.get_by_text("Token counts on this chart are not counted the same way")
    assert warning.is_visible()
    assert "thinking tokens only: s1 T14; the whole response: AdaptThink T1, L1 T1" in warning.inner_text()
    # one table: one convention, no warning
    page.get_by_role("combobox", name="Source table", exact=True).click()
    page.keyboard.type("L1 T1")
    page.get_by_role("option", name="L1 T1", exact=True).click()
    page.wait_for_function(f"({TRACES_JS})() === 6")
    assert not page.get_by_text("Token counts on this chart are not counted the same way").count()


def test_a_checkpoint_submitted_in_the_app_is_queued_evaluated_and_shown(app, page, tmp_path: Path) -> None:
    """The Checkpoint tab queues the tiny reasoner (and refuses a folder that is not a model in one line);
    ``elastic-bench worker --once`` evaluates it (a smoke test: two problems per budget); the Queue page
    shows it finished. A verified entry is labelled on the leaderboard and the evaluation filter hides it."""
    url, results = app
    page.goto(f"{url}/submit")
    page.get_by_role("tab", name="Checkpoint (verified)").click()
    model = page.get_by_label("Checkpoint", exact=True)
    model.fill(str(tmp_path))
    page.get_by_role("button", name="Queue for evaluation").click()
    page.get_by_text(f"Refused: {tmp_path}: not a model folder: it lacks config.json").wait_for()
    model.fill(str(TINY))
    page.get_by_role("button", name="Queue for evaluation").click()
    page.get_by_text("Queued req-00001: tiny_reasoner on toy.").wait_for()
    page.screenshot(path=str(tmp_path / "checkpoint.png"), full_page=True)

    page.goto(f"{url}/queue")
    page.get_by_text("1 pending").wait_for()
    worker = subprocess.run(
        [sys.executable, "-m", "elastic_bench.harness.cli", "worker", "--once", "--limit", "2"]
        + ["--results-dir", str(results), "--model_args", "threads=1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert worker.returncode == 0, worker.stdout + worker.stderr
    page.get_by_text("1 finished").wait_for(timeout=20_000)  # the page refreshes itself
    # its (partial, --limit) run folder is named once the page has rendered the finished request
    page.get_by_text("runs/elastic-hf__elastic_toy__").first.wait_for(timeout=20_000)

    page.goto(url)
    page.wait_for_function(f"({TRACES_JS})() > 0")
    page.wait_for_timeout(300)
    before = _traces(page)  # the partial smoke run never becomes an entry
    write_result(_verified(make_result("delta", seed=5)), results / "verified", "verified__delta.json")
    page.goto(url)
    page.wait_for_function(f"({TRACES_JS})() === {before + 2}")
    names = page.evaluate("() => document.querySelectorAll('.js-plotly-plot')[0].data.map(t => t.name)")
    assert "delta · elastic (verified)" in names
    page.get_by_role("button", name="Self-reported").click()  # verified ones only (and the published one)
    page.wait_for_function(f"({TRACES_JS})() === 3")
    page.get_by_role("button", name="Verified (by the leaderboard)").click()
    page.get_by_role("button", name="Self-reported").click()
    page.wait_for_function(f"({TRACES_JS})() === {before}")


def _verified(result):
    from elastic_bench.harness.results import Verification

    verification = Verification(
        request_id="req-00042",
        protocol_version="toy-0123456789",
        requested_model="models/delta",
        worker="host:1",
        evaluated_at="2026-01-01T00:00:00Z",
    )
    return result.model_copy(update={"verification": verification})
