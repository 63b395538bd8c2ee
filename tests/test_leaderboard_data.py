"""Leaderboard data layer: loading (skipping bad files), tables (AES, AUC), Pareto, charts, samples, exports."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from elastic_bench.harness.analysis import aes
from elastic_bench.harness.results import entry_filename, load_result, validate_submission_bytes
from elastic_bench.leaderboard_app.analysis import (
    Filters,
    auc_of,
    budget_table,
    default_models,
    filter_entries,
    pareto_frontier,
    pareto_frontiers,
    points_of,
    summary_table,
)
from elastic_bench.leaderboard_app.charts import curves_figure, pareto_figure
from elastic_bench.leaderboard_app.data import _entry_rows, load_entry, load_leaderboard, scan_results
from elastic_bench.leaderboard_app.export import figure_html, table_csv
from elastic_bench.leaderboard_app.launch import app_command
from elastic_bench.leaderboard_app.published import published_results
from elastic_bench.leaderboard_app.samples import (
    SamplesError,
    line_offsets,
    read_record,
    resolve_samples,
    responses,
    sample_files,
    split_generation,
)
from tests.factories import make_result, write_result, write_samples

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    d = tmp_path / "results"
    write_result(make_result("base", budgets=(256, 512, 1024), accuracies=(0.3, 0.5, 0.6), seed=1), d)
    write_result(
        make_result(
            "short", budgets=(256, 512, 1024), accuracies=(0.4, 0.5, 0.6), tokens=(150, 300, 500), seed=2
        ),
        d / "sub",
    )
    write_result(make_result("trunc", strategy="truncate", budgets=(256, 512), seed=3), d)
    write_result(make_result("other-bench", benchmark="aime", seed=4), d)
    write_result(make_result("paper", kind="reported", with_ci=False, seed=5), d / "reported")
    (d / "corrupt.json").write_text("{oops", encoding="utf-8")
    (d / "foreign.json").write_text(json.dumps({"results": {"gsm8k": {}}}), encoding="utf-8")
    (d / "notes.txt").write_text("ignored")
    (d / "samples").mkdir()
    (d / "samples" / "results_2026.json").write_text("{}")  # lm-eval output copied with samples: not scanned
    (d / "runs" / "m__elastic_toy__1").mkdir(parents=True)  # `elastic-bench run`'s raw lm-eval outputs
    (d / "runs" / "m__elastic_toy__1" / "results_2026.json").write_text("{}")
    return d


def test_load_skips_corrupt_and_foreign_files(results_dir: Path) -> None:
    data = load_leaderboard(results_dir)
    assert sorted(data.entries["model_name"]) == ["base", "other-bench", "paper", "short", "trunc"]
    skipped = {s.path: s.reason for s in data.skipped}
    assert set(skipped) == {"corrupt.json", "foreign.json"}
    assert skipped["corrupt.json"].startswith("not JSON")
    assert "schema_version" in skipped["foreign.json"]
    assert data.benchmarks == ["aime", "toy"]
    assert len(data.points) == 3 + 3 + 2 + 3 + 3
    assert data.entries.set_index("model_name").loc["paper", "series"].endswith("(reported)")


def test_scan_stamps_change_with_files(results_dir: Path) -> None:
    before = scan_results(results_dir)
    assert "sub/reproduced__short__elastic_toy.json" in {s[0] for s in before}
    assert scan_results(results_dir) == before
    target = results_dir / "corrupt.json"
    write_result(make_result("fixed", seed=9), results_dir, name="corrupt.json")
    os.utime(target, ns=(1, 1))
    after = scan_results(results_dir)
    assert after != before
    data = load_leaderboard(results_dir, after)
    assert "fixed" in set(data.entries["model_name"])
    assert [s.path for s in data.skipped] == ["foreign.json"]
    assert scan_results(results_dir / "missing") == ()


def test_series_labels_are_unique_per_benchmark(tmp_path: Path) -> None:
    write_result(make_result("m", task_group="elastic_toy"), tmp_path)
    write_result(make_result("m", task_group="elastic_toy_v2"), tmp_path)
    data = load_leaderboard(tmp_path)
    assert data.entries["series"].is_unique


def test_filters_and_tables(results_dir: Path) -> None:
    data = load_leaderboard(results_dir)
    f = Filters(benchmark="toy")
    entries = filter_entries(data.entries, f)
    assert len(entries) == 4
    assert len(filter_entries(data.entries, Filters("toy", kinds=("reproduced",)))) == 3
    assert len(filter_entries(data.entries, Filters("toy", strategies=("truncate",)))) == 1
    assert len(filter_entries(data.entries, Filters("toy", models=("base", "short")))) == 2
    points = points_of(data.points, entries)

    base_entry = data.entries.set_index("model_name").loc["base", "entry"]
    base_points = data.points[data.points["entry"] == base_entry]
    table = budget_table(points, base_points, "formula")
    short = table[table["model"] == "short · elastic"].set_index("budget")
    # every budget is measured against the base's largest budget (it has no unconstrained point)
    expected = aes(0.6, base_points.iloc[-1]["mean_total_tokens"], 0.4, 150.0)
    assert short.loc["t=00256", "AES"] == pytest.approx(expected, abs=1e-3)
    base_rows = table[table["model"] == "base · elastic"].set_index("budget")
    assert base_rows.loc["t=01024", "AES"] == pytest.approx(0.0)
    assert base_rows.loc["t=00256", "AES"] < 0  # less accurate than the base point
    # a budget the base did not run still gets an AES (against the base's point)
    trunc_points = data.points[data.points["model_name"] == "trunc"]
    against_trunc = budget_table(points, trunc_points, "formula").set_index(["model", "budget"])
    assert not pd.isna(against_trunc.loc[("short · elastic", "t=01024"), "AES"])

    summary = summary_table(entries, data.points, base_entry, "formula").set_index("model")
    assert summary.loc["short · elastic", "AUC"] == pytest.approx(
        auc_of(data.points[data.points["model_name"] == "short"]), abs=1e-4
    )
    assert summary.loc["trunc · truncate", "budgets"] == 2
    assert summary.loc["base · elastic", "AES_vs_base"] == pytest.approx(0.0)
    assert list(summary["kind"])[:3] == ["reproduced"] * 3  # reproduced first, reported after


def test_pareto_frontier() -> None:
    pts = pd.DataFrame(
        {
            "mean_total_tokens": [100, 200, 150, 300, 300, 50],
            "accuracy": [0.3, 0.5, 0.2, 0.5, 0.7, 0.1],
        }
    )
    front = pareto_frontier(pts)
    assert list(front.index) == [5, 0, 1, 4]
    assert front["accuracy"].is_monotonic_increasing
    assert pareto_frontier(pts.iloc[0:0]).empty


def test_default_models_limits_large_sets(tmp_path: Path) -> None:
    for i in range(15):
        write_result(
            make_result(f"m{i:02d}", accuracies=(0.1, 0.2, 0.3 + i / 100), n_problems=100, k=1, seed=i),
            tmp_path,
        )
    write_result(make_result("paper", kind="reported", seed=99, accuracies=(0.1, 0.1, 0.1)), tmp_path)
    data = load_leaderboard(tmp_path)
    chosen = default_models(data.entries, data.points, limit=5)
    assert set(chosen) == {"m14", "m13", "m12", "m11", "m10", "paper"}


def test_curves_figure_traces_and_escaping(results_dir: Path) -> None:
    write_result(make_result("<b>evil</b>", seed=7), results_dir)
    data = load_leaderboard(results_dir)
    entries = filter_entries(data.entries, Filters("toy"))
    fig = curves_figure(points_of(data.points, entries))
    roles = [(t.meta["role"], t.meta["kind"]) for t in fig.data]
    # 4 reproduced entries with CI: band + curve each; the reported one has no CI: curve only
    assert roles.count(("curve", "reproduced")) == 4
    assert roles.count(("ci", "reproduced")) == 4
    assert roles.count(("curve", "reported")) == 1
    assert ("ci", "reported") not in roles
    reported = next(t for t in fig.data if (t.meta["role"], t.meta["kind"]) == ("curve", "reported"))
    assert reported.line.dash == "dash"
    assert fig.layout.xaxis.type == "log"
    names = [t.name for t in fig.data]
    assert "&lt;b&gt;evil&lt;/b&gt; · elastic" in names
    assert not any("<b>evil" in n for n in names)
    assert len(curves_figure(points_of(data.points, entries), show_ci=False).data) == 5
    fronts = {"reproduced": pareto_frontier(data.points[data.points["kind"] == "reproduced"])}
    assert any(t.meta["role"] == "frontier" for t in pareto_figure(data.points, fronts).data)


def test_exports(results_dir: Path) -> None:
    table = pd.DataFrame({"model": ["=HYPERLINK(1)", "ok"], "x": [1, 2]})
    csv = table_csv(table).decode()
    assert "'=HYPERLINK(1)" in csv
    data = load_leaderboard(results_dir)
    html_doc = figure_html(curves_figure(data.points[data.points["benchmark"] == "toy"]))
    assert "<html>" in html_doc[:100] and "Plotly.newPlot" in html_doc


def test_answer_sources_and_timeouts_in_tables_and_hover(results_dir: Path) -> None:
    data = load_leaderboard(results_dir)  # files written before the rates existed: no rate columns
    entries = filter_entries(data.entries, Filters("toy"))
    points = points_of(data.points, entries)
    assert points["boxed_rate"].isna().all()
    for table in (budget_table(points, None), summary_table(entries, data.points, None)):
        assert not {"boxed_%", "fallback_%", "grade_timeout_%"} & set(table.columns)
    assert "answers boxed" not in str(curves_figure(points).data[-1].customdata)

    # a result file whose points carry the rates (model_copy: whether or not BudgetPoint declares them)
    rates = {"boxed_rate": 0.75, "fallback_rate": 0.125, "timeout_rate": 0.0}
    result = make_result("rated", budgets=(256, 512))
    result = result.model_copy(update={"points": [p.model_copy(update=rates) for p in result.points]})
    rows = _entry_rows("rated.json", result)[1]
    assert [(r["boxed_rate"], r["fallback_rate"], r["timeout_rate"]) for r in rows] == [
        (0.75, 0.125, 0.0)
    ] * 2

    short = points["model_name"] == "short"
    points = points.assign(
        boxed_rate=points["boxed_rate"].mask(short, 0.75),
        timeout_rate=points["timeout_rate"].mask(short, 0.0),
    )
    table = budget_table(points, None).set_index("model")
    assert list(table.loc["short · elastic", "boxed_%"]) == [75.0] * 3
    assert table.loc["base · elastic", "boxed_%"].isna().all()
    assert "grade_timeout_%" in table and "fallback_%" not in table
    summary = summary_table(entries, points, None).set_index("model")
    assert summary.loc["short · elastic", "boxed_%"] == 75.0 and "fallback_%" not in summary
    hover = curves_figure(points[short]).data[-1].customdata
    assert "answers boxed 75.0 %, fallback n/a %" in hover[0][-1] and "grading timeouts 0.0 %" in hover[0][-1]


def test_samples_reading(tmp_path: Path) -> None:
    result = make_result(samples_file="samples/run.jsonl")
    entry = write_result(result, tmp_path)
    write_samples(result, tmp_path / "samples" / "run.jsonl", n_docs=3)
    path = resolve_samples(tmp_path, entry.name, "samples/run.jsonl")
    files = sample_files(path, [p.task for p in result.points])
    assert set(files) == {p.task for p in result.points}
    offsets = line_offsets(path)
    assert len(offsets) == 3
    record = read_record(path, offsets[1])
    assert record["doc_id"] == 1
    gen = split_generation(responses(record)[0])
    assert gen.has_marker and gen.answer == "The answer is \\boxed{1}." and gen.thinking.endswith("Done.")
    assert split_generation("no marker here").answer == ""
    with pytest.raises(SamplesError, match="outside"):
        resolve_samples(tmp_path / "inner", "x.json", "../../etc/passwd")
    with pytest.raises(SamplesError, match="does not exist"):
        resolve_samples(tmp_path, entry.name, "samples/missing.jsonl")


def test_samples_folder_maps_tasks(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    tasks = ["elastic_toy_t00256", "elastic_toy_t02560", "elastic_toy_unconstrained"]
    for t in tasks:
        (folder / f"samples_{t}_2026-01-01T00-00-00.jsonl").write_text("{}\n")
    files = sample_files(folder, tasks)
    assert {t: f.name.split("_2026")[0] for t, f in files.items()} == {t: f"samples_{t}" for t in tasks}


def test_load_entry_refuses_paths_outside(results_dir: Path) -> None:
    assert load_entry(results_dir, "sub/reproduced__short__elastic_toy.json").model_name == "short"
    with pytest.raises(ValueError, match="outside"):
        load_entry(results_dir / "sub", "../reproduced__base__elastic_toy.json")


def test_published_rows_match_the_papers() -> None:
    results = {(r.model_name, r.task_group): r for r in published_results()}
    assert all(r.kind == "reported" and r.source for r in results.values())
    marco = results[("Marco-o1-7B + O1-Pruner", "o1_pruner_table2_math")].points[0]
    assert (marco.accuracy, marco.mean_total_tokens) == (0.775, 657.0)
    e1 = results[("E1-Math-1.5B", "e1_model_card_aime24")]
    assert e1.benchmark == "aime24"  # the card evaluates AIME 2024 only, not the aime (2024 + 2025) sweep
    assert [round(p.accuracy * 100, 1) for p in e1.points] == [13.5, 17.5, 24.8, 27.9, 35.0]
    assert [p.mean_total_tokens for p in e1.points] == [1340, 1799, 2650, 3377, 6825]
    assert e1.points[-1].label == "unconstrained"
    # Elastic Reasoning's MATH500 comparison with L1 (PUBLISHED.md)
    math500 = {m: results[(m, "e1_paper_math500")].points[0] for m in ("E1-Math-1.5B", "L1-Exact", "L1-Max")}
    assert {m: (round(p.accuracy * 100, 1), p.mean_total_tokens) for m, p in math500.items()} == {
        "E1-Math-1.5B": (83.6, 1619.0),
        "L1-Exact": (79.9, 1959.0),
        "L1-Max": (83.6, 1796.0),
    }
    # O1-Pruner's Table 2 AES for Marco-o1 MATH (0.58) follows from the shipped numbers (paper convention)
    base = results[("Marco-o1-7B", "o1_pruner_table2_math")].points[0]
    value = aes(
        base.accuracy,
        base.mean_total_tokens,
        marco.accuracy,
        marco.mean_total_tokens,
        convention="paper_table",
    )
    assert value == pytest.approx(0.58, abs=0.01)


def test_published_rows_are_the_shipped_files_and_pass_submission() -> None:
    """The one check of the published rows: each validates as a submission, the shipped file under
    results/reported is exactly it, and no shipped reported file is stale."""
    published = published_results()
    assert published
    shipped = REPO / "results" / "reported"
    for result in published:
        assert validate_submission_bytes(result.model_dump_json().encode(), name=result.entry_id()) == result
        assert load_result(shipped / entry_filename(result)) == result
    assert {p.name for p in shipped.glob("*.json")} == {entry_filename(r) for r in published}


def test_app_command_passes_results_dir(tmp_path: Path) -> None:
    cmd = app_command(tmp_path, port=8765)
    assert cmd[1:4] == ["-m", "streamlit", "run"]
    assert cmd[4].endswith("leaderboard_app/main.py")
    assert cmd[cmd.index("--server.port") + 1] == "8765"
    assert cmd[-2:] == ["--results-dir", str(tmp_path.resolve())]


#: the shared PUBLISHED.md (O1-Pruner's Table 2) as the data files were transcribed from it
TABLE2 = Path(__file__).resolve().parent / "fixtures" / "docs" / "PUBLISHED.md"


def test_every_o1_pruner_table2_row_is_a_reported_entry() -> None:
    """Each (model, method, benchmark) cell of PUBLISHED.md's Table 2 is shipped with the same numbers."""
    section = TABLE2.read_text()
    benches = {"MATH": "math", "GSM8K": "gsm8k", "GaoKao": "gaokao"}
    header, cells = None, {}
    for line in section.splitlines():
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cols) != 5 or set(cols[0]) <= {"-"}:
            continue
        if cols[0] == "model":
            header = cols
            continue
        model = (
            cols[0]
            if cols[1] == "base"
            else f"{cols[0]} + {'fast-solving prompt' if cols[1] == 'fast' else cols[1]}"
        )
        for name, cell in zip(header[2:], cols[2:], strict=True):
            acc, length = (float(v) for v in cell.split("/"))
            cells[(model, benches[name])] = (acc, length)
    assert len(cells) == 2 * 5 * 3
    shipped = {
        (r.model_name, r.benchmark): (round(r.points[0].accuracy * 100, 1), r.points[0].mean_total_tokens)
        for r in published_results()
        if r.task_group.startswith("o1_pruner_table2")
    }
    assert shipped == cells


def test_a_series_keeps_its_colour_when_entries_are_added() -> None:
    from elastic_bench.leaderboard_app.charts import series_colors

    few = series_colors(["alpha · elastic", "beta · elastic"])
    many = series_colors(["aardvark · elastic", "alpha · elastic", "beta · elastic", "zeta · force"])
    assert (
        few["alpha · elastic"] == many["alpha · elastic"] and few["beta · elastic"] == many["beta · elastic"]
    )
    assert len(set(series_colors([f"model-{i}" for i in range(40)]).values())) > 15  # spread over the palette


def test_charts_carry_a_title_and_keep_the_legend_off_the_plot(results_dir: Path) -> None:
    from datetime import date

    from elastic_bench.leaderboard_app.charts import FRONTIER_COLOR

    data = load_leaderboard(results_dir)
    points = data.points[data.points["benchmark"] == "toy"]
    for fig in (curves_figure(points), pareto_figure(points, pareto_frontiers(points, ["reproduced"]))):
        title = fig.layout.title.text
        assert "toy" in title and date.today().isoformat() in title
        assert fig.layout.legend.orientation == "h" and fig.layout.legend.y < 0  # below, not beside
    frontier = [
        t
        for t in pareto_figure(points, pareto_frontiers(points, ["reproduced"])).data
        if t.meta["role"] == "frontier"
    ]
    assert frontier and all(t.line.color == FRONTIER_COLOR != "black" for t in frontier)


def test_each_entry_is_scored_against_its_own_base_named_in_the_table(tmp_path: Path) -> None:
    """The AES base of every retrained model is the model it was trained from, followed down a chain
    (L1-Max trained on L1-Exact trained on the base), never the longest-thinking entry; on the
    committed elastic_toy entries that is the tiny reasoner; a published row's is its table's."""
    from tests.test_comparison import base_result, trained

    results = tmp_path / "results" / "reproduced"
    write_result(base_result(), results)
    write_result(
        trained("base (L1-Exact)", "l1_exact", (0.2, 0.5, 0.9), (60, 200, 220), sha="e" * 64), results
    )
    write_result(
        trained("base (L1-Max)", "l1_max", (0.3, 0.5, 0.9), (50, 150, 160), base_sha="e" * 64, sha="f" * 64),
        results,
    )
    chained = load_leaderboard(tmp_path / "results")
    table = summary_table(chained.entries, chained.points, None).set_index("model")
    assert table.loc["base (L1-Max) · elastic", "AES_base"] == (
        "base (L1-Max) · elastic ← base (L1-Exact) · elastic ← base · elastic"
    )
    data = load_leaderboard(Path(__file__).resolve().parents[1] / "results")
    toy = data.entries[data.entries["benchmark"] == "toy"]
    table = summary_table(toy, data.points, None).set_index("model")
    base = toy.loc[toy["model_name"] == "tiny_reasoner", "entry"].iloc[0]
    against_base = summary_table(toy, data.points, base).set_index("model")
    for method in ("SFT", "DPO", "O1-Pruner", "Elastic", "L1-Exact", "L1-Max"):
        model = f"tiny_reasoner ({method}) · elastic"
        assert table.loc[model, "AES_base"].endswith("← tiny_reasoner · elastic")
        assert table.loc[model, "AES_vs_base"] == pytest.approx(against_base.loc[model, "AES_vs_base"])
    assert pd.isna(table.loc["tiny_reasoner · elastic", "AES_vs_base"])  # the base has no base of its own
    assert "pick an AES base" in table.loc["tiny_reasoner · elastic", "AES_base"]
    math500 = data.entries[data.entries["benchmark"] == "math500"]
    published = summary_table(math500, data.points, None).set_index("model")
    row = published.loc["R1-7B + ThinkPrune-3K · LC-R1 table"]
    assert "(the base row of LC-R1 table)" in row["AES_base"] and row["AES_vs_base"] == row["AES_in_table"]


def test_a_picked_base_never_scores_code_judged_otherwise(tmp_path: Path) -> None:
    from tests.test_code_results import _code_result

    write_result(_code_result("hidden-a", "lcb", "hidden", 0.5, semantics="lcb"), tmp_path)
    write_result(_code_result("hidden-b", "lcb", "hidden", 0.6, semantics="lcb"), tmp_path)
    write_result(_code_result("public-c", "lcb", "public", 0.7, semantics="lcb"), tmp_path)
    data = load_leaderboard(tmp_path)
    base = data.entries.loc[data.entries["model_name"] == "hidden-a", "entry"].iloc[0]
    table = summary_table(data.entries, data.points, base).set_index("model")
    assert not pd.isna(table.loc["hidden-b · elastic", "AES_vs_base"])
    public = table.loc["public-c · elastic [public tests only]"]
    assert pd.isna(public["AES_vs_base"]) and "judged otherwise" in public["AES_base"]


def _luminance(color: str) -> float:
    channels = [int(color.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_the_frontier_line_reads_on_the_light_and_the_dark_theme() -> None:
    from elastic_bench.leaderboard_app.charts import FRONTIER_COLOR

    # Streamlit's backgrounds: light #ffffff, dark #0e1117; WCAG asks 3:1 for graphics
    for background in ("#ffffff", "#0e1117"):
        lighter, darker = sorted((_luminance(FRONTIER_COLOR), _luminance(background)), reverse=True)
        assert (lighter + 0.05) / (darker + 0.05) >= 3.0, background


def test_exported_figures_are_named_and_titled_after_benchmark_models_and_date(results_dir: Path) -> None:
    from datetime import date

    from elastic_bench.leaderboard_app.charts import chart_alt, chart_config, figure_filename, plain_title

    data = load_leaderboard(results_dir)
    today = date.today().isoformat()
    few = data.points[data.points["model_name"].isin(["base", "short"])]
    title = plain_title(curves_figure(few))
    assert title == f"Accuracy vs tokens · toy · base · elastic, short · elastic · {today}"
    many = data.points[data.points["benchmark"] == "toy"]
    n = many["series"].nunique()
    assert n > 3 and plain_title(curves_figure(many)) == f"Accuracy vs tokens · toy · {n} entries · {today}"
    config = chart_config(title)
    assert config["toImageButtonOptions"]["filename"] == figure_filename(title)
    assert figure_filename(title).startswith(
        "accuracy_vs_tokens_toy_base_elastic"
    ) and today in figure_filename(title)
    assert chart_alt(curves_figure(few)).startswith(title + ". 2 series. accuracy (%) against mean tokens")
