"""The ranking, shareable links, small screens and screen-reader names, in a real browser (headless
Chromium via Playwright) over a temporary results directory: 14 reproduced entries on the toy benchmark
(more than the chart shows by default), two of them identical and one far behind. Checks: the ranking
lists every entry with rank bounds and shared ranks for ties, its search and filters; a link with the
view in its query reproduces it (and a reload keeps it); at 390 px the y axis title is whole and the
legend sits under the plot; charts carry an aria-label, tables a caption. Skips without
Playwright/Chromium; the app process is stopped by its PID in teardown."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from tests.browser import chromium, new_page, served_app
from tests.factories import make_result, write_result

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

CHART_JS = (
    "() => { const p = document.querySelector('.js-plotly-plot'); return !!(p && p.data && p.data.length); }"
)
#: the 12 models the chart shows by default are the best by peak accuracy: m00 and m01 (worst) are left out
N_MODELS = 12


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("app_ranking")
    results = root / "results"
    for i in range(N_MODELS):
        acc = 0.3 + 0.05 * i
        write_result(
            make_result(f"m{i:02d}", accuracies=[acc - 0.2, acc - 0.1, acc], n_problems=40, seed=i), results
        )
    twin = {"accuracies": [0.5, 0.7, 0.9], "n_problems": 40, "seed": 77}
    write_result(make_result("twin-a", **twin), results)
    write_result(make_result("twin-b", strategy="truncate", **twin), results)
    with served_app(results, root) as url:
        yield url, results


@pytest.fixture(scope="module")
def browser(app) -> Iterator:
    with chromium() as b:
        yield b


def _page(browser, width: int = 1280):
    return new_page(browser, width, 1000, accept_downloads=True)


def _ranking_csv(page) -> list[dict]:
    with page.expect_download() as download:
        page.get_by_role("button", name="Download ranking (CSV)").click()
    return list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))


def test_the_ranking_lists_every_entry_with_bounds_ties_and_a_search(app, browser) -> None:
    url, _ = app
    page = _page(browser)
    page.goto(f"{url}/leaderboard?benchmark=toy")
    page.wait_for_function(CHART_JS)
    page.get_by_role("tab", name="Ranking").click()
    charted = page.evaluate(
        "() => document.querySelector('.js-plotly-plot').data.filter(t => t.meta.role === 'curve').length"
    )
    assert charted == 12  # the chart shows 12 of the 14 ...
    page.get_by_text("Table: 14 of the 14 entries").wait_for()  # ... the ranking ranks all 14
    rows = _ranking_csv(page)
    assert len(rows) == 14
    by_model = {r["model"].split(" · ")[0]: r for r in rows}
    # identical results share a rank and its range (not 1 and 2)
    assert by_model["twin-a"]["rank"] == by_model["twin-b"]["rank"] == "1"
    assert by_model["twin-a"]["rank_range"] == by_model["twin-b"]["rank_range"]
    for r in rows:
        assert int(r["best_rank"]) <= int(r["rank"]) <= int(r["worst_rank"]), r
    # m00 (50% vs the twins' 90% on 40 problems) is significantly worse than the twins: its best rank > 1
    assert int(by_model["m00"]["best_rank"]) > 1 and int(by_model["m00"]["significantly_better"]) >= 2

    page.get_by_role("textbox", name="Search the ranking").fill("twin")
    page.get_by_role("textbox", name="Search the ranking").press("Enter")
    page.get_by_text("Table: 2 of the 14 entries").wait_for()
    assert {r["model"].split(" · ")[0] for r in _ranking_csv(page)} == {"twin-a", "twin-b"}
    page.get_by_role("textbox", name="Search the ranking").fill("")
    page.get_by_role("textbox", name="Search the ranking").press("Enter")
    page.get_by_text("Table: 14 of the 14 entries").wait_for()
    strategy = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Strategy").last
    strategy.click()
    page.get_by_role("option", name="truncate").click()
    page.get_by_text("Table: 1 of the 14 entries").wait_for()
    page.context.close()


def test_a_copied_url_reproduces_the_view_and_a_reload_keeps_it(app, browser) -> None:
    url, results = app
    base = next(p.relative_to(results).as_posix() for p in results.glob("*m05*.json"))
    query = urlencode(
        [
            ("benchmark", "toy"),
            ("models", "m03"),
            ("models", "twin-a"),
            ("base", base),
            ("budget", "t=00512"),
            ("tab", "Ranking"),
        ]
    )
    page = _page(browser)
    page.goto(f"{url}/leaderboard?{query}")
    page.wait_for_function(CHART_JS)
    names = page.evaluate(
        "() => document.querySelector('.js-plotly-plot').data.filter(t => t.meta.role === 'curve').map(t => t.name)"
    )
    assert sorted(n.split(" · ")[0] for n in names) == ["m03", "twin-a"]
    aes_base = page.get_by_role("combobox", name="AES base model")
    assert aes_base.input_value() == "m05 · elastic"  # the AES base picked in the link
    page.get_by_text("Table: 14 of the 14 entries on this benchmark at t=00512").wait_for()
    assert page.get_by_role("combobox", name="Rank at").input_value() == "t=00512"
    for part in (
        "models=m03",
        "models=twin-a",
        f"base={quote(base, safe='')}",
        "budget=t%3D00512",
        "tab=Ranking",
    ):
        assert part in page.url, (part, page.url)
    colors = page.evaluate(
        "() => Object.fromEntries(document.querySelector('.js-plotly-plot').data"
        ".filter(t => t.meta.role === 'curve').map(t => [t.name, t.line.color]))"
    )
    page.reload()
    page.wait_for_function(CHART_JS)
    page.get_by_text("Table: 14 of the 14 entries on this benchmark at t=00512").wait_for()
    assert aes_base.input_value() == "m05 · elastic"

    # the model page opens the entry its link names, and its curve has the colour the leaderboard gave it
    twin = next(p.relative_to(results).as_posix() for p in results.glob("*twin-a*.json"))
    page.goto(f"{url}/model?{urlencode({'benchmark': 'toy', 'entry': twin})}")
    page.wait_for_function(CHART_JS)
    assert page.get_by_role("combobox", name="Entry").input_value() == "twin-a · elastic"
    [(name, color)] = page.evaluate(
        "() => document.querySelector('.js-plotly-plot').data.filter(t => t.meta.role === 'curve')"
        ".map(t => [t.name, t.line.color])"
    )
    assert colors[name] == color
    page.context.close()


def test_on_a_phone_the_axis_title_is_whole_and_charts_and_tables_are_labelled(app, browser) -> None:
    url, _ = app
    page = _page(browser, width=390)
    page.goto(f"{url}/leaderboard?benchmark=toy&tab=Ranking")
    page.wait_for_function(CHART_JS)
    page.wait_for_function("() => !!document.querySelector('.js-plotly-plot .ytitle')")
    box = page.evaluate(
        """() => {
        const plot = document.querySelector('.js-plotly-plot');
        const r = (el) => { const b = el.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
        return {plot: r(plot), ytitle: r(plot.querySelector('.ytitle')), legend: r(plot.querySelector('.legend')),
                yticks: r(plot.querySelector('.yaxislayer-above')),
                xaxis: r(plot.querySelector('.xtitle')), text: plot.querySelector('.ytitle').textContent};
    }"""
    )
    plot, ytitle = box["plot"], box["ytitle"]
    assert box["text"] == "accuracy (%)"
    # the whole y axis title lies inside the plot's div (a fixed margin clipped it at its left edge)
    assert plot[0] <= ytitle[0] and ytitle[2] <= plot[2] and plot[1] <= ytitle[1] and ytitle[3] <= plot[3], (
        box
    )
    assert ytitle[3] - ytitle[1] > 50  # drawn rotated, at full length
    # the tick labels too, right of the title (a fixed narrow margin pushed them out and under it)
    assert plot[0] <= box["yticks"][0] and ytitle[2] <= box["yticks"][0] + 1, box
    assert box["legend"][1] >= box["xaxis"][1]  # the legend sits under the plot, not beside it
    # every chart has an accessible name, starting with its title
    label = (
        page.locator(".js-plotly-plot")
        .first.locator("xpath=ancestor-or-self::*[@aria-label][1]")
        .get_attribute("aria-label")
    )
    assert label and label.startswith("Accuracy vs tokens · toy")
    page.get_by_text("Table: 14 of the 14 entries").wait_for()  # the ranking's caption
    page.context.close()
