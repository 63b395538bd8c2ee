"""The Baselines page in a real browser (headless Chromium via Playwright): a base and three
retrained methods on one chart, the Acc/Len/AES/AUC table with each method's training cost, and
O1-Pruner's published Table 2 comparison on its own benchmark. Skips without Playwright/Chromium;
the app process is stopped by its PID in teardown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from elastic_bench.leaderboard_app.published import published_results
from tests.browser import chromium_page, served_app
from tests.factories import write_result
from tests.test_comparison import base_result, trained

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

CURVES_JS = (
    "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
    ".map(p => (p.data || []).filter(t => t.meta && t.meta.role === 'curve').map(t => t.name))"
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("app_baselines")
    results = root / "results"
    write_result(base_result(name="tiny"), results / "reproduced")
    for i, (method, label) in enumerate((("sft", "SFT"), ("dpo", "DPO"), ("o1_pruner", "O1-Pruner"))):
        acc = (0.1 + 0.1 * i, 0.6, 0.99)
        write_result(
            trained(f"tiny + {label}", method, acc, (70, 180 - 20 * i, 200 - 30 * i)), results / "reproduced"
        )
    for r in published_results():
        if r.benchmark == "math":
            write_result(r, results / "reported")
    with served_app(results, root) as url:
        yield url


@pytest.fixture
def page(app) -> Iterator:
    with chromium_page(1400, 1400) as pg:
        yield pg


def test_baselines_page_compares_methods_with_their_base(app, page, tmp_path: Path) -> None:
    page.goto(f"{app}/baselines")
    page.get_by_text("tiny and its retrained baselines (elastic_toy)").wait_for()
    page.wait_for_function(f"({CURVES_JS})().length === 1 && ({CURVES_JS})()[0].length === 4")
    names = page.evaluate(CURVES_JS)[0]
    assert sorted(names) == [
        "tiny + DPO · elastic",
        "tiny + O1-Pruner · elastic",
        "tiny + SFT · elastic",
        "tiny · elastic",
    ]
    table = page.locator('[data-testid="stTable"]').first
    text = table.inner_text()
    for header in ("Acc_%", "Len_think", "AES", "AUC", "train_steps", "train_tokens", "train_seconds"):
        assert header in text
    rows = [
        [c.inner_text().strip() for c in r.locator("th, td").all()] for r in table.locator("tbody tr").all()
    ]
    assert len(rows) == 4 and rows[0][:3] == ["tiny", "base", "100.0"]
    assert all(
        r[-4:] == ["12", "3456", "789", "42"] for r in rows[1:]
    )  # each method's training cost beside it
    assert rows[0][-4:] == ["n/a"] * 4  # the base was not trained
    page.screenshot(path=str(tmp_path / "baselines.png"), full_page=True)

    # the published comparison (O1-Pruner's Table 2) on its own benchmark: base + 4 methods, twice
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="MATH", exact=False).first.click()
    page.get_by_text("Marco-o1-7B and methods applied to it, as published").wait_for()
    page.wait_for_function(f"({CURVES_JS})().map(c => c.length).join() === '5,5'", timeout=20_000)
    marco = page.locator('[data-testid="stTable"]').first.inner_text()
    assert "Marco-o1-7B + O1-Pruner" in marco and "0.58" in marco  # the paper's AES 0.58 (its convention)
