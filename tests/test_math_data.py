"""Math benchmark loaders: offline local files, errors naming file and line, the pinned Hub path."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from elastic_bench.harness.benchmarks import BENCHMARKS
from elastic_bench.tasks.math import data
from elastic_bench.tasks.math.data import DataError, load_problems, read_local

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
if not DATA_DIR.is_dir():
    DATA_DIR = Path("/work/shared/data")
needs_data = pytest.mark.skipif(not DATA_DIR.is_dir(), reason="shared benchmark data not present")


def write_jsonl(path: Path, rows: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_jsonl_records_are_normalised(tmp_path: Path) -> None:
    f = write_jsonl(
        tmp_path / "aime2025" / "test.jsonl",
        [
            {"problem": "P1", "answer": "070"},
            {
                "prompt": "P2\nPlease reason step by step, and put your final answer within \\boxed{}.",
                "answer": 5,
            },
        ],
    )
    recs = read_local("aime25", f)
    assert [r["answer"] for r in recs] == ["70", "5"]
    assert [r["problem"] for r in recs] == ["P1", "P2"]
    assert recs[0]["id"] == "aime25-0" and recs[0]["source"] == str(f)


def test_gsm8k_gold_after_hashes_and_math_gold_from_solution(tmp_path: Path) -> None:
    g = write_jsonl(tmp_path / "g.jsonl", [{"question": "Q", "answer": "Work <<1+1=2>>\n#### 1,234"}])
    assert read_local("gsm8k", g)[0]["answer"] == "1234"
    m = write_jsonl(
        tmp_path / "m.jsonl", [{"problem": "Q", "solution": "So $\\boxed{\\frac{1}{2}}$.", "idx": 3}]
    )
    rec = read_local("math", m)[0]
    assert rec["answer"] == "\\frac{1}{2}" and rec["id"] == "3"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"problem": "P", "answer": ', "invalid JSON"),
        ('{"problem": "P"}', "no answer"),
        ('{"answer": "3"}', "no problem text"),
        ('["P", "3"]', "expected a JSON object"),
        ('{"problem": "P", "answer": ""}', "no answer"),
    ],
)
def test_bad_jsonl_line_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    f = write_jsonl(tmp_path / "x.jsonl", [{"problem": "ok", "answer": "1"}, "", line])
    with pytest.raises(DataError, match=re.escape(message)) as err:
        read_local("aime24", f)
    text = str(err.value)
    assert text.startswith(f"{f}:3: ") and message in text and "\n" not in text


def test_bad_record_in_json_array_names_its_line(tmp_path: Path) -> None:
    f = tmp_path / "x.json"
    f.write_text(
        '[\n  {"problem": "a", "answer": "1"},\n  {"problem": "b", "answer": "2"},\n  {"problem": "c"}\n]\n'
    )
    with pytest.raises(DataError, match=r"x\.json:4: no answer"):
        read_local("math500", f)
    f.write_text('[\n  {"problem": "a", "answer": "1"},\n  {"problem": "b" "answer": "2"}\n]')
    with pytest.raises(DataError, match=r"x\.json:3: invalid JSON"):
        read_local("math500", f)


def test_duplicate_ids_and_missing_files(tmp_path: Path) -> None:
    f = write_jsonl(
        tmp_path / "d.jsonl",
        [{"id": 1, "problem": "a", "answer": "1"}, {"id": 1, "problem": "b", "answer": "2"}],
    )
    with pytest.raises(DataError, match=r"d\.jsonl:2: duplicate id"):
        read_local("aime24", f)
    with pytest.raises(DataError, match="no such file"):
        read_local("aime24", tmp_path / "nope.jsonl")
    with pytest.raises(DataError, match="no data file for aime24"):
        load_problems("aime24", data_dir=tmp_path / "empty")


def test_data_dir_from_environment_and_count_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_jsonl(
        tmp_path / "aime2024" / "test.jsonl", [{"problem": f"P{i}", "answer": str(i)} for i in range(30)]
    )
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    assert len(load_problems("aime24")) == 30
    write_jsonl(tmp_path / "aime2025" / "test.jsonl", [{"problem": "P", "answer": "1"}])
    with pytest.raises(DataError, match="1 problems, expected 30"):
        load_problems("aime25")
    assert len(load_problems("aime25", check_count=False)) == 1


def test_gaokao_answer_pasted_into_the_question_is_recovered(tmp_path: Path) -> None:
    f = write_jsonl(
        tmp_path / "g.jsonl",
        [
            {"question": "Which one?(A) $1$(B) $2$Answer: A", "answer": ""},
            {"question": "Compute the probability.answers: $\\frac{3}{10}$", "answer": ""},
            {"question": "Q", "answer": "$48$, $384$"},
        ],
    )
    recs = read_local("gaokao", f)
    assert [r["answer"] for r in recs] == ["A", "\\frac{3}{10}", "48, 384"]
    assert recs[0]["problem"] == "Which one?(A) $1$(B) $2$" and "answers" not in recs[1]["problem"]


def test_hub_path_uses_pinned_id_and_revision(monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets

    calls = []

    def fake_load_dataset(path, name=None, split=None, revision=None):
        calls.append((path, name, split, revision))
        return [{"question": "Q", "answer": "x\n#### 7"}]

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    recs = load_problems("gsm8k")
    src = BENCHMARKS["gsm8k"].hub
    assert calls == [("openai/gsm8k", "main", "test", src.revision)]
    assert recs[0]["answer"] == "7" and recs[0]["source"] == f"hf:openai/gsm8k@{src.revision}"
    calls.clear()
    load_problems("math")
    assert len(calls) == 7 and {c[0] for c in calls} == {"EleutherAI/hendrycks_math"}


#: benchmarks with data files of their own (not generated, not a combination of others)
DATA_BENCHMARKS = [b for b in BENCHMARKS.values() if b.family == "math" and not b.components]
#: alternative copies in the shared data's layout (``<folder>/<file>``; flat ``<name>.jsonl`` files
#: are another layout the shared data does not use)
ALTERNATES = [(b.name, rel) for b in DATA_BENCHMARKS for rel in b.local_files[1:] if "/" in rel]


def test_every_benchmark_has_sources() -> None:
    assert {b.name for b in DATA_BENCHMARKS} >= {"gsm8k", "math500", "aime24", "aime25", "amc23", "gaokao"}
    for bench in DATA_BENCHMARKS:
        assert bench.hub is not None and bench.local_files and bench.expected_count, bench.name
    with pytest.raises(DataError, match="toy"):
        load_problems("toy")
    with pytest.raises(DataError, match="aime"):
        load_problems("aime")  # aime24 + aime25: the task combines them


@needs_data
@pytest.mark.parametrize(
    ("bench", "count"),
    [
        ("gsm8k", 1319),
        ("math500", 500),
        ("aime24", 30),
        ("aime25", 30),
        ("amc23", 40),
        ("gaokao", 385),
        ("math", 5000),
    ],
)
def test_real_data_counts(bench: str, count: int) -> None:
    recs = load_problems(bench, data_dir=DATA_DIR)
    assert len(recs) == count == BENCHMARKS[bench].expected_count
    assert all(r["problem"] and r["answer"] for r in recs)
    assert len({r["id"] for r in recs}) == count


@needs_data
@pytest.mark.parametrize(("bench", "rel"), ALTERNATES)
def test_alternative_copies_agree_with_the_default_files(bench: str, rel: str) -> None:
    assert (DATA_DIR / rel).is_file(), f"{rel} is in the registry but not in the shared data"
    default = [r["answer"] for r in load_problems(bench, data_dir=DATA_DIR)]
    alt = [r["answer"] for r in read_local(bench, DATA_DIR / rel)]
    if bench == "gaokao":  # the O1-Pruner copy words 9 of 385 answers differently ("48,384")
        assert len(alt) == len(default)
        assert sum((Counter(alt) & Counter(default)).values()) >= 0.95 * len(default)
    else:
        assert sorted(alt) == sorted(default), rel
