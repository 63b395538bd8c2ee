"""Training-run families, duplicate weights and published method names in a real browser (headless
Chromium via Playwright), on a copy of the committed results: the Baselines page draws the committed
eval-on-save family beside its method's comparison, a copy of the base uploaded under another name
is refused naming the base, and published comparison rows name their method, not "base". Skips
without Playwright/Chromium; the app process is stopped by its PID in teardown."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import chromium_page, served_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

COMMITTED = Path(__file__).resolve().parents[1] / "results"
BASE_ENTRY = COMMITTED / "reproduced" / "reproduced__tiny_reasoner__elastic_toy.json"
FAMILY_JS = (
    "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
    ".filter(p => (p.data || []).some(t => t.meta && t.meta.role === 'family')).length"
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("app_families")
    results = root / "results"
    for part in ("reproduced", "reported", "families"):  # the committed entries, without their samples
        if (COMMITTED / part).is_dir():
            shutil.copytree(COMMITTED / part, results / part)
    with served_app(results, root, timeout=60.0) as url:
        yield url, results


@pytest.fixture
def page(app) -> Iterator:
    with chromium_page(1280, 1400, 45_000) as pg:
        yield pg


def test_baselines_page_draws_the_committed_family(app, page, tmp_path: Path) -> None:
    url, _ = app
    page.goto(f"{url}/baselines?benchmark=toy")
    page.get_by_text("tiny_reasoner and its retrained baselines").first.wait_for()
    page.get_by_text("Training-run family: training run").first.wait_for()
    page.wait_for_function(f"({FAMILY_JS})() >= 1")
    panels = page.evaluate(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(p => (p.data || [])"
        ".filter(t => t.meta && t.meta.role === 'family').map(t => t.meta.panel))"
    )
    assert set(panels) == {"accuracy_pct", "mean_think_tokens", "aes"}
    assert page.get_by_text("Family checkpoints are not ranked as separate entries").first.is_visible()
    page.screenshot(path=str(tmp_path / "families.png"), full_page=True)


def test_published_rows_name_their_method(app, page) -> None:
    url, _ = app
    page.goto(f"{url}/baselines?benchmark=math")
    page.get_by_text("Marco-o1-7B and methods applied to it, as published").first.wait_for()
    table = page.locator('[data-testid="stTable"]').first
    table.wait_for()
    rows = [
        [c.inner_text().strip() for c in r.locator("th, td").all()] for r in table.locator("tbody tr").all()
    ]
    methods = [r[1] for r in rows]
    assert methods[0] == "base" and "base" not in methods[1:], methods
    assert "O1-Pruner" in methods and "SFT" in methods


def test_duplicate_weights_upload_is_refused(app, page, tmp_path: Path) -> None:
    url, results = app
    raw = json.loads(BASE_ENTRY.read_text(encoding="utf-8"))
    raw["model_name"] = "my_new_model"
    raw.pop("samples_file", None)
    copy = tmp_path / "copy.json"
    copy.write_text(json.dumps(raw), encoding="utf-8")

    page.goto(f"{url}/submit")
    uploader = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    uploader.wait_for(state="attached")
    uploader.set_input_files(str(copy))
    page.get_by_text("Its weights are those of the existing entry 'tiny_reasoner'").wait_for()
    page.get_by_role("button", name="Add to leaderboard").click()
    page.get_by_text("Not added.").wait_for()
    reason = page.locator('[data-testid="stCode"]').last.inner_text()
    assert "has the weights of the existing entry 'tiny_reasoner'" in reason, reason
    assert not list(results.rglob("*my_new_model*"))
