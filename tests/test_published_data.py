"""The published numbers' data files (leaderboard_app/published/tables/*.yaml) against the documents they
were transcribed from (copies in tests/fixtures/docs), and the reported entries built from them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from elastic_bench.leaderboard_app.published import (
    DOCUMENTS,
    VERSIONS,
    DataFileError,
    cited_lines,
    literature_pairs,
    load_table,
    load_tables,
    published_results,
    table_results,
    uncovered_pairs,
    value_problems,
)

HERE = Path(__file__).resolve().parent
FIXTURE_DOCS = HERE / "fixtures" / "docs"
SHARED_DOCS = HERE.parent.parent / "shared" / "docs"
TABLES = load_tables()


def _doc(name: str) -> str:
    return (FIXTURE_DOCS / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.table)
def test_every_value_comes_from_its_source_row(table) -> None:
    assert value_problems(table, _doc(table.document)) == []


def test_every_number_pair_of_the_literature_is_an_entry_once() -> None:
    """Each accuracy/token pair LITERATURE.md prints for AIME, MATH500, GSM8K, AMC, LiveCodeBench (and
    AIME 2025 in 'Other') is taken by exactly one value of the data files; every numbered row but 15 (a
    'solve rate' on an unspecified dataset mix) is transcribed."""
    doc = _doc("LITERATURE.md")
    assert uncovered_pairs(TABLES, doc) == []
    rows = {
        int(line.split("|")[1]) for t in TABLES if t.document == "LITERATURE.md" for line in cited_lines(t)
    }
    assert set(range(1, 73)) - rows == {15}


def test_a_value_off_its_row_or_cell_is_caught() -> None:
    table = load_table(HERE.parent / "leaderboard_app" / "published" / "tables" / "adaptthink_t1.yaml")
    dast = next(r for r in table.rows if r.model == "R1-1.5B + DAST")
    swapped = dast.values["math500"].model_copy(update={"quote": "77.2/586", "acc": "77.2", "tokens": "586"})
    bad = table.model_copy(
        update={
            "rows": [
                r if r is not dast else r.model_copy(update={"values": {"math500": swapped}})
                for r in table.rows
            ]
        }
    )
    [problem] = value_problems(bad, _doc("LITERATURE.md"))  # the GSM8K cell's numbers under MATH500
    assert problem == "adaptthink_t1: R1-1.5B + DAST [math500]: '77.2/586' is not in '83.0/2428'"
    # a multi-model row: the right numbers, but the other model's part of the cell
    mm = next(r for r in table.rows if r.model == "R1-1.5B + RFTMixThinking")
    bad = table.model_copy(update={"rows": [mm.model_copy(update={"part": 0})]})
    assert len(value_problems(bad, _doc("LITERATURE.md"))) == 3
    # a pair left out of the data files
    assert uncovered_pairs([bad], _doc("LITERATURE.md"))[:1] != []


def test_entries_carry_the_printed_numbers_and_their_provenance() -> None:
    for table in TABLES:
        results = {(r.model_name, r.task_group): r for r in table_results(table)}
        for row in table.rows:
            for version, value in row.values.items():
                r = results[(row.model, f"{table.table}_{version}")]
                [p] = r.points
                assert r.benchmark == VERSIONS[version].page
                assert r.reported_source.benchmark_version == VERSIONS[version].label
                assert r.reported_source.k == table.k.get(version) and p.k == (table.k.get(version) or 1)
                if value.acc is not None:
                    assert p.accuracy == pytest.approx(float(value.acc) / 100)
                expected = None if value.tokens is None else float(value.tokens.replace(",", ""))
                assert p.mean_total_tokens == expected
            for version, curve in row.curves.items():
                r = results[(row.model, f"{table.table}_{version}")]
                assert [p.label for p in r.points] == [c.label for c in curve]
                for p, c in zip(r.points, curve, strict=True):
                    assert p.accuracy == pytest.approx(float(c.acc) / 100)
                    answer = float(c.answer_tokens) if c.answer_tokens else 0.0
                    if c.tokens is not None:  # thinking + printed answer tokens, where given
                        assert p.mean_total_tokens == float(c.tokens) + answer


def test_base_rows_come_from_the_same_table() -> None:
    """AdaptThink's re-implemented DAST is compared with AdaptThink's own R1-1.5B row, not another
    source's; the delta sweep (Table 2) with Table 1's."""
    by_key = {(r.reported_source.table, r.model_name, r.benchmark): r for r in published_results()}
    dast = by_key[("adaptthink_t1", "R1-1.5B + DAST", "math500")].reported_source
    assert (dast.base_row, dast.base_table, dast.badge, dast.evaluated_by) == (
        "R1-1.5B",
        None,
        "secondary",
        "reimplementation",
    )
    assert by_key[("adaptthink_t1", "R1-1.5B", "math500")].points[0].mean_total_tokens == 4887.0
    sweep = by_key[("adaptthink_t2", "R1-1.5B + AdaptThink (δ sweep)", "math500")]
    assert (sweep.reported_source.base_table, sweep.reported_source.budget_meaning) == (
        "adaptthink_t1",
        "reward_knob",
    )
    assert [p.label for p in sweep.points] == ["δ=0", "δ=0.01", "δ=0.02", "δ=0.075", "δ=0.1"]


def test_per_budget_series_are_curves() -> None:
    by_key = {
        (r.reported_source.table, r.model_name): r for r in published_results() if r.benchmark == "aime24"
    }
    forced = by_key[("s1_table12", "s1-32B token-conditional + forced end of thinking")]
    assert [p.thinking_budget for p in forced.points] == [1024, 2048, 4096, 8192, 16384]
    assert [(p.mean_think_tokens, p.mean_answer_tokens) for p in forced.points][:2] == [
        (1024, 15),
        (2048, 15),
    ]
    assert forced.reported_source.tokens_counted == "response"  # thinking + the printed answer tokens
    free = by_key[("s1_table12", "s1-32B token-conditional, no intervention")]
    assert free.reported_source.tokens_counted == "thinking"
    assert free.reported_source.budget_meaning == "soft_prompt_target"


def test_accuracy_only_rows_are_entries_without_token_counts() -> None:
    only = [r for r in published_results() if all(p.mean_total_tokens is None for p in r.points)]
    tables = Counter(r.reported_source.table for r in only)
    assert set(tables) == {
        "r1_readme", "deepscaler_readme", "l1_table3", "s1_table1", "kimi_k15_table3", "e1_paper",
    }  # fmt: skip
    assert all(p.accuracy is not None or p.codeforces is not None for r in only for p in r.points)


def test_a_data_file_error_names_the_file(tmp_path: Path) -> None:
    source = HERE.parent / "leaderboard_app" / "published" / "tables" / "thinkless_repro.yaml"
    (tmp_path / "renamed.yaml").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(DataFileError, match="renamed.yaml: table id 'thinkless_repro' must be the file name"):
        load_table(tmp_path / "renamed.yaml")
    text = source.read_text(encoding="utf-8").replace("aime24", "aime2030")
    (tmp_path / "thinkless_repro.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError, match="unknown benchmark version 'aime2030'"):
        load_table(tmp_path / "thinkless_repro.yaml")


def test_adding_a_paper_is_one_file(tmp_path: Path) -> None:
    (tmp_path / "new_paper_t1.yaml").write_text(
        """table: new_paper_t1
label: New T1
citation: A new paper (arXiv 2601.00001), Table 1
document: LITERATURE.md
tokens_counted: response
k: {math500: 4}
columns: {math500: MATH500}
rows:
  - model: R1-1.5B
    row: base
    line: "| 99 | base | – | – | 80.0/4000 | – | – | – | – | NEW |"
    evaluated_by: re-evaluation
    base_model: DeepSeek-R1-Distill-Qwen-1.5B
    values: {math500: "80.0/4000"}
  - model: R1-1.5B + New
    row: New
    line: "| 100 | New | R1-1.5B | – | 81.5/2000 | – | – | – | – | NEW |"
    evaluated_by: authors
    base: R1-1.5B
    values: {math500: "81.5/2000"}
""",
        encoding="utf-8",
    )
    [base, new] = published_results(tmp_path)
    assert (new.benchmark, new.task_group, new.reported_source.badge) == (
        "math500",
        "new_paper_t1_math500",
        "authors",
    )
    assert new.reported_source.base_row == "R1-1.5B" and new.points[0].k == 4


def test_the_transcribed_lines_are_still_in_the_shared_documents() -> None:
    """The fixtures are copies of ../shared/docs: every line the data files cite is still there."""
    if not SHARED_DOCS.is_dir():
        pytest.skip("../shared/docs is not present")
    for name in DOCUMENTS:
        shared = " ".join((SHARED_DOCS / name).read_text(encoding="utf-8").split())
        for table in (t for t in TABLES if t.document == name):
            for line in cited_lines(table):
                assert " ".join(line.split()) in shared, f"{table.table}: {line[:60]}"


def test_literature_pairs_reads_aime_2025_from_other() -> None:
    header = ["#", "Method / setting", "Base", "AIME24", "MATH500", "GSM8K", "AMC", "LCB", "Other", "Src"]
    line = "| 9 | x | same | – | 70.6/583 | – | †49.7/801 | – | AIME‡ 10.6/983; Oly 36.9/913 | L1 |"
    assert literature_pairs(line, header) == ["70.6/583", "49.7/801", "10.6/983"]
