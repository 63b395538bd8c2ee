"""The paired comparison page in a real browser (headless Chromium via Playwright), over copies of the
committed tiny-reasoner base and Elastic entries with their logged samples: a link with the pair and
budget in its query opens that comparison with the numbers ``elastic-bench compare`` prints, and a
disagreeing problem's link opens B's generation in the sample browser. Skips without
Playwright/Chromium; the app process is stopped by its PID in teardown."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from elastic_bench.harness.analysis import compare_entries
from elastic_bench.harness.results import load_result
from tests.browser import chromium_page, served_app
from tests.factories import committed_entry

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

ROOT = Path(__file__).resolve().parents[1] / "results"
BASE = "reproduced/reproduced__tiny_reasoner__elastic_toy.json"
ELASTIC = "reproduced/" + committed_entry(ROOT / "reproduced", "Elastic").name


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("app_compare")
    results = root / "results"
    for entry in (BASE, ELASTIC):
        (results / entry).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / entry, results / entry)
        samples = load_result(ROOT / entry).samples_file
        shutil.copytree((ROOT / entry).parent / samples, (results / entry).parent / samples)
    with served_app(results, root) as url:
        yield url, results


@pytest.fixture
def page(app) -> Iterator:
    with chromium_page(1280, 1400) as pg:
        yield pg


def test_a_shared_link_opens_the_comparison_with_the_cli_numbers(app, page, tmp_path: Path) -> None:
    url, results = app
    [row] = compare_entries(
        load_result(results / BASE), load_result(results / ELASTIC), 128,
        path_a=results / BASE, path_b=results / ELASTIC,
    )  # fmt: skip
    expected = f"{100 * row.delta_accuracy:+.1f} [{100 * row.ci_low:+.1f}, {100 * row.ci_high:+.1f}]"
    at_128 = [
        next(p.accuracy for p in load_result(results / e).points if p.thinking_budget == 128)
        for e in (BASE, ELASTIC)
    ]
    assert (
        row.delta_accuracy == pytest.approx(at_128[1] - at_128[0])
        and row.ci_low < row.delta_accuracy < row.ci_high
    )
    page.goto(f"{url}/compare?benchmark=toy&a={quote(BASE)}&b={quote(ELASTIC)}&budget={quote('t=00128')}")
    page.get_by_text(expected).wait_for()
    table = page.locator('[data-testid="stTable"]').first.inner_text()
    assert f"{row.mcnemar_p:.3g}" in table and f"{row.b_only} / {row.a_only}" in table
    think = f"{row.delta_think_tokens:+.1f} [{row.think_ci[0]:+.1f}, {row.think_ci[1]:+.1f}]"
    assert think in table
    assert "budget=t%3D00128" in page.url and quote(ELASTIC, safe="") in page.url  # the URL keeps the view
    page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)

    # a disagreeing problem links to B's generation in the sample browser
    page.get_by_text(f"t=00128: {len(row.disagreements)} problems where they disagree").click()
    first = row.disagreements[0]
    with page.context.expect_page() as opened:  # markdown links open a new tab
        page.get_by_role("link", name="B's generation").first.click()
    sample = opened.value
    sample.get_by_text("Sample browser").wait_for()
    elastic = load_result(results / ELASTIC)
    [sfile] = ((results / ELASTIC).parent / elastic.samples_file).glob("samples_elastic_toy_t00128_*.jsonl")
    # B's run at t=00128 (its own samples file), on the disagreeing problem
    sample.get_by_text(f"doc_id {elastic.problem_ids.index(first)} · file {sfile.name}").wait_for()


def test_the_leaderboard_scores_each_entry_against_its_own_base_and_the_csv_names_it(app, page) -> None:
    url, _ = app
    page.goto(f"{url}/leaderboard")  # the leaderboard's own path opens it (it answered "Page not found")
    page.get_by_text("Efficient-reasoning leaderboard").wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download table (CSV)").first.click()
    csv = Path(download.value.path()).read_text(encoding="utf-8")
    assert "AES_base" in csv.splitlines()[0]
    # the retrained model against the model it was trained from, by default (not the longest thinker)
    assert "tiny_reasoner (Elastic) · elastic ← tiny_reasoner · elastic" in csv
