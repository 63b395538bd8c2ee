"""The code benchmarks: registry entries, loaders (offline copies, Hub shape), prompts, answer
extraction, the code grader's verdicts and `elastic-bench grade` on code records."""

from __future__ import annotations

import base64
import json
import pickle
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from elastic_bench.harness.benchmarks import get_benchmark, resolve_benchmark
from elastic_bench.harness.grading import (
    CodeGrader,
    GradeItem,
    GradeOptions,
    extract_code,
    grader_for,
    parse_reference,
    reference_json,
)
from elastic_bench.harness.sandbox import Limits
from elastic_bench.tasks.code import data
from elastic_bench.tasks.code.data import DataError, fn_name_of, load_code_problems

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
if not DATA_DIR.is_dir():
    DATA_DIR = Path("/work/shared/data")
needs_data = pytest.mark.skipif(
    not (DATA_DIR / "livecodebench").is_dir(), reason="shared code data not present"
)
BIN = Path(sys.executable).parent


def test_registry_entries() -> None:
    lcb, cf = get_benchmark("livecodebench"), get_benchmark("elastic_codeforces_t02048")
    assert (lcb.name, cf.name) == ("lcb", "codeforces") and resolve_benchmark("codeelo") == "codeforces"
    assert lcb.grader == cf.grader == "code" and lcb.expected_count == 279 and cf.expected_count == 408
    assert lcb.hub.id == "livecodebench/code_generation_lite" and lcb.hub.config == "release_v5"
    assert (lcb.metadata["contest_date_from"], lcb.metadata["contest_date_to"]) == (
        "2024-08-01",
        "2025-02-01",
    )
    for b in (lcb, cf):
        s = b.sweep
        assert (s.temperature, s.top_p, s.do_sample, s.strategy) == (0.6, 0.95, True, "elastic")
    assert (lcb.sweep.repeats, cf.sweep.repeats) == (4, 8)
    assert cf.task_names[-1] == "elastic_codeforces_unconstrained" and len(cf.task_names) == 5
    assert isinstance(grader_for("lcb"), CodeGrader)


@needs_data
def test_offline_copies_load_with_ids_formats_and_public_tests() -> None:
    lcb = load_code_problems("lcb", data_dir=DATA_DIR)
    assert len(lcb) == 279 and lcb[0]["id"] == "abc365_b" and {r["test_set"] for r in lcb} == {"public"}
    functional = [r for r in lcb if r["fn_name"]]
    assert len(functional) == 104 and functional[0]["fn_name"] == "shortestDistanceAfterQueries"
    assert all("2024-08-01" <= r["contest_date"] < "2025-02-01" for r in lcb)
    cf = load_code_problems("codeforces", data_dir=DATA_DIR)
    assert (
        len(cf) == 408
        and (cf[0]["id"], cf[-1]["id"]) == ("1971A", "2036G")
        and not any(r["fn_name"] for r in cf)
    )
    assert len({r["contest_id"] for r in cf}) == 57


@needs_data
def test_rendered_prompts_equal_qwq_s_livecodebench_prompts() -> None:
    from elastic_bench.tasks.prompts import render_code

    rows = load_code_problems("lcb", data_dir=DATA_DIR)
    qwq = [
        json.loads(x)
        for x in (DATA_DIR / "livecodebench/qwq_livecodebench_v5.jsonl").read_text().splitlines()
    ]
    for rec, ref in zip(rows, qwq, strict=True):
        assert render_code(rec["problem"], rec["starter_code"]).replace("\r", "") == ref["prompt"].replace(
            "\r", ""
        )


@needs_data
def test_a_bad_row_is_one_line_naming_file_and_row(tmp_path: Path) -> None:
    for rel in get_benchmark("codeforces").local_files:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes((DATA_DIR / rel).read_bytes())
    path = tmp_path / "codeforces/rllm_codeforces_codeelo408.json"
    rows = json.loads(path.read_text())
    rows[7]["tests"] = []
    path.write_text(json.dumps(rows))
    with pytest.raises(DataError, match="row 7: no tests") as err:
        load_code_problems("codeforces", data_dir=tmp_path)
    assert str(err.value) == f"{path}: row 7: no tests (expected a non-empty list of {{input, output}})"
    with pytest.raises(DataError, match=r"no data file for lcb \(missing livecodebench/qwq"):
        load_code_problems("lcb", data_dir=tmp_path)


def test_hub_loader_decodes_hidden_tests_and_filters_dates(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    hidden = [{"input": "5\n", "output": "10\n", "testtype": "stdin"}]
    packed = base64.b64encode(zlib.compress(pickle.dumps(json.dumps(hidden)))).decode()

    def row(qid: str, date: str, starter: str = "", meta: str = "{}") -> dict:
        return {"question_id": qid, "question_content": f"Problem {qid}", "contest_date": f"{date}T00:00:00",
                "contest_id": "c", "starter_code": starter, "metadata": meta,
                "public_test_cases": json.dumps([{"input": "1\n", "output": "2\n"}]), "private_test_cases": packed}  # fmt: skip

    files = {}
    for i, name in enumerate(data._LCB_FILES["release_v5"]):
        rows = [row(f"p{i}a", "2024-07-31"), row(f"p{i}b", "2024-08-01"), row(f"p{i}c", "2025-02-01")]
        if i == 4:
            rows.append(
                row("fn", "2025-01-31", "class Solution:\n    def f(self, x):\n", '{"func_name": "f"}')
            )
        files[name] = tmp_path / name
        files[name].write_text("".join(json.dumps(r) + "\n" for r in rows))
    import huggingface_hub

    seen = []

    def fake_download(repo_id: str, filename: str, repo_type: str, revision: str) -> str:
        seen.append((repo_id, filename, repo_type, revision))
        return str(files[filename])

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    recs = load_code_problems("lcb", data_dir=None, check_count=False)
    assert [r["id"] for r in recs] == ["p0b", "p1b", "p2b", "p3b", "p4b", "fn"]
    assert recs[0]["tests"] == [{"input": "1\n", "output": "2\n"}, {"input": "5\n", "output": "10\n"}]
    assert {r["test_set"] for r in recs} == {"hidden"} and recs[-1]["fn_name"] == "f"
    assert {s[3] for s in seen} == {get_benchmark("lcb").hub.revision} and len(seen) == 5
    with pytest.raises(DataError, match="6 problems, expected 279 for lcb"):
        load_code_problems("lcb", data_dir=None)


def test_fn_name_and_extraction() -> None:
    assert (
        fn_name_of("class Solution:\n    def countPairs(self, nums: List[int]) -> int:\n        ")
        == "countPairs"
    )
    assert fn_name_of("") is None
    text = "```python\nprint(0)\n```</think>\nfirst\n```python\nprint(1)\n```\nthen\n```py\nprint(2)\n```\n```cpp\nint main(){}\n```"
    assert extract_code(text, "</think>") == "print(2)\n"
    assert extract_code("```python\nprint(1)\n```", "</think>") is None  # only in the thinking: no answer
    assert extract_code("x</think>```python\nprint(1)\n", "</think>") is None  # unclosed (truncated) block
    assert extract_code("```\nprint(3)\n```", None) == "print(3)\n"


def test_grader_verdicts_and_no_answer_apart_from_wrong() -> None:
    ref = reference_json([{"input": "2 3\n", "output": "5\n"}, {"input": "1 1\n", "output": " 2 \n\n"}])
    many = reference_json([{"input": "2 3\n", "output": "5\n"}] * 12)
    fn_ref = reference_json([{"input": "[1, 2]\n3", "output": "[4, 5]"}], "add")
    grader = CodeGrader(limits=Limits(wall_s=2.0, cpu_s=2.0))

    def item(code: str, r: str = ref) -> GradeItem:
        return GradeItem(f"t</think>\n```python\n{code}\n```", r, "lcb")

    items = [
        item("print(sum(map(int, input().split())))"),
        item("print(1)", many),
        GradeItem("t</think> no code", ref, "lcb"),
        GradeItem("```python\nprint(5)\n```", ref, "lcb"),  # never ended thinking: no answer
        item("class Solution:\n    def add(self, xs, k):\n        return tuple(x + k for x in xs)", fn_ref),
        item("class Solution:\n    def add(self, xs, k):\n        return [x - k for x in xs]", fn_ref),
    ]
    try:
        grades = grader.grade_batch(items, GradeOptions())
    finally:
        grader.close()
    assert [g.reason for g in grades] == [
        "passed",
        "wrong_answer",
        "no_code",
        "no_code",
        "passed",
        "wrong_answer",
    ]
    assert [g.no_answer for g in grades] == [False, False, True, True, False, False]
    # tests run in parallel; the first failure stops those not yet started
    assert grades[1].failed_test is not None and grades[1].tests_run < 12
    with pytest.raises(ValueError, match="needs at least one test"):
        parse_reference(reference_json([]))


def test_grade_cli_grades_code_and_math_lines(tmp_path: Path) -> None:
    lines = [
        {"task": "lcb", "response": "</think>```python\nprint(int(input()) * 2)\n```", "tests": [{"input": "3", "output": "6"}]},
        {"task": "codeforces", "response": "</think>```python\nprint(7)\n```", "tests": [{"input": "3", "output": "6"}]},
        {"task": "lcb", "response": "</think>```python\nclass Solution:\n    def f(self, a):\n        return a[::-1]\n```",
         "tests": [{"input": "[1, 2]", "output": "[2, 1]"}], "fn_name": "f", "starter_code": "class Solution:\n    def f(self, a):\n"},
        {"task": "lcb", "response": "nothing", "tests": [{"input": "3", "output": "6"}]},
        {"task": "aime24", "gold": "42", "response": "</think> \\boxed{42}"},
    ]  # fmt: skip
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(x) + "\n" for x in lines))
    proc = subprocess.run(
        [str(BIN / "elastic-bench"), "grade", str(src), "-o", str(out)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    got = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(g["correct"], g["no_answer"], g.get("reason")) for g in got] == [
        (True, False, "passed"), (False, False, "wrong_answer"), (True, False, "passed"),
        (False, True, "no_code"), (True, False, None),
    ]  # fmt: skip
    assert got[1]["failed_test"] == 0 and got[0]["sandbox_mode"]
    src.write_text(json.dumps({"task": "lcb", "response": "x", "tests": "oops"}) + "\n")
    proc = subprocess.run([str(BIN / "elastic-bench"), "grade", str(src)], capture_output=True, text=True)
    assert (
        proc.returncode == 2
        and proc.stderr.strip().count("\n") == 0
        and f"{src}:1: 'tests' must be" in proc.stderr
    )


def test_codeelo_hub_rows_become_statement_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets

    row = {"problem_id": "1971A", "description": "Print min and max.", "input": "t, then x y",
           "output": "min max", "tags": ["math"], "time_limit_ms": 1000, "memory_limit_mb": 256,
           "examples": [["1\n9 1\n", "1 9\n"]]}  # fmt: skip
    calls = []

    def fake_load(repo: str, split: str, revision: str | None) -> list[dict]:
        calls.append((repo, split, revision))
        return [row, {**row, "problem_id": "1971B", "examples": []}]

    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    with pytest.raises(DataError, match=r"hf:Qwen/CodeElo@default-branch: row 1: no tests"):
        load_code_problems("codeforces", data_dir=None)
    monkeypatch.setattr(datasets, "load_dataset", lambda *a, **k: [row])
    [rec] = load_code_problems("codeforces", data_dir=None, check_count=False)
    assert rec["tests"] == [{"input": "1\n9 1\n", "output": "1 9\n"}] and rec["contest_id"] == "1971"
    assert "Input Format:\nt, then x y" in rec["problem"] and "Time Limit: 1000 ms" in rec["problem"]
    assert calls == [("Qwen/CodeElo", "test", None)] and rec["test_set"] == "public"


def test_extra_lm_eval_models_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import lm_eval.models
    from lm_eval.api.registry import model_registry

    from elastic_bench.harness.lmeval import EXTRA_MODELS_ENV, register_models

    monkeypatch.setenv(EXTRA_MODELS_ENV, "scripted-code-unit=tests.scripted_code_lm:ScriptedCodeLM")
    register_models(lm_eval.models)
    assert "scripted-code-unit" in model_registry
    monkeypatch.setenv(EXTRA_MODELS_ENV, "no-target-here")
    with pytest.raises(ValueError, match="expected name=module:Class pairs"):
        register_models(lm_eval.models)
