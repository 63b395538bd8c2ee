"""``elastic-bench grade``: re-grading a JSONL file of generations from any source."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from elastic_bench.harness.cli import add_grade_parser, run_grade
from elastic_bench.harness.protocol import THINK_END

LINES = [
    {"task": "aime24", "gold": "033", "response": "hmm" + THINK_END + "So \\boxed{33}.", "id": "a"},
    {
        "task": "elastic_gsm8k_t00256",
        "gold": "Work\n#### 1,800",
        "response": "x" + THINK_END + "\\boxed{1800}",
    },
    {"task": "math500", "gold": "\\frac{1}{2}", "response": "x" + THINK_END + "\\boxed{0.6}"},
    {
        "task": "gaokao",
        "gold": "C",
        "response": THINK_END + "\\boxed{39}",
        "problem": "(A) 50 (B) 42 (C) 39 (D) 35",
    },
    {"task": "math500", "gold": 2, "response": None},
    {"task": "amc23", "gold": 27.0, "response": "no marker \\boxed{27}"},
]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="elastic-bench")
    add_grade_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["grade", *argv])


def write(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_grade_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path / "in.jsonl", LINES)
    assert run_grade(parse([str(f), "--workers", "1", "--timeout", "3"])) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["correct"] for o in out] == [True, True, False, True, False, False]
    assert [o["no_answer"] for o in out] == [False, False, False, False, True, True]
    assert [o["extracted"] for o in out] == ["33", "1800", "0.6", "39", None, None]
    assert [o["boxed"] for o in out] == [True, True, True, True, False, False]
    assert not any(o["fallback_answer"] or o["grade_timeout"] for o in out)
    for before, after in zip(LINES, out, strict=True):
        assert {k: after[k] for k in before} == before  # the input fields come back unchanged


def test_grade_to_file_with_options(tmp_path: Path) -> None:
    f = write(tmp_path / "in.jsonl", LINES)
    o = tmp_path / "out.jsonl"
    assert run_grade(parse([str(f), "-o", str(o), "--fallback-anywhere", "--details"])) == 0
    out = [json.loads(line) for line in o.read_text().splitlines()]
    assert out[-1]["correct"] is True and out[-1]["grade_method"] == "fast"
    assert out[-1]["grade_reason"] and out[-1]["boxed"] is True
    assert run_grade(parse([str(f), "-o", str(o), "--marker", ""])) == 0
    assert json.loads(o.read_text().splitlines()[-1])["correct"] is True


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "invalid JSON"),
        ('{"task": "aime24", "gold": "1"}', "missing field(s) response"),
        ('{"task": "mmlu", "gold": "1", "response": ""}', "unknown benchmark"),
        ('{"task": "aime24", "gold": null, "response": ""}', "'gold' must be"),
        ('{"task": "aime24", "gold": "1", "response": 5}', "'response' must be"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_bad_line_is_a_one_line_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str, message: str
) -> None:
    f = write(tmp_path / "in.jsonl", [LINES[0], "", LINES[1], bad, LINES[2]])
    o = tmp_path / "out.jsonl"
    assert run_grade(parse([str(f), "-o", str(o)])) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"elastic-bench grade: {f}:4: ") and message in err and "\n" not in err
    assert not o.exists() and not Path(f"{o}.partial").exists()  # nothing half-written


def test_invalid_utf8_names_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "in.jsonl"
    f.write_bytes(
        json.dumps(LINES[0]).encode() + b"\n" + b'{"task": "gsm8k", "gold": "1", "response": "\xff"}\n'
    )
    assert run_grade(parse([str(f)])) == 2
    err = capsys.readouterr().err.strip()
    assert f"{f}:2: not UTF-8" in err and "\n" not in err


def test_missing_input_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_grade(parse([str(tmp_path / "nope.jsonl")])) == 2
    assert "nope.jsonl" in capsys.readouterr().err


STATED = {"task": "gsm8k", "gold": "42", "response": "x" + THINK_END + "6 * 7 = 42.\n\n**Answer:** 42"}


def test_statements_count_unless_a_box_is_demanded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = write(tmp_path / "in.jsonl", [STATED, LINES[0]])
    assert run_grade(parse([str(f)])) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (out[0]["correct"], out[0]["fallback_answer"], out[0]["boxed"]) == (True, True, False)
    assert run_grade(parse([str(f), "--strict-boxed"])) == 0
    captured = capsys.readouterr()
    out = [json.loads(line) for line in captured.out.splitlines()]
    assert (out[0]["correct"], out[0]["no_answer"], out[0]["fallback_answer"]) == (False, True, False)
    assert out[1]["correct"] is True  # a boxed answer still counts
    assert "1 correct, 1 no answer" in captured.err


def test_timeouts_are_their_own_verdict_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hard = {"task": "math500", "gold": "2", "response": THINK_END + "\\boxed{9^{9^{9^{9}}}}"}
    f = write(tmp_path / "in.jsonl", [hard, LINES[0]])
    assert run_grade(parse([str(f), "--timeout", "0.8", "--details"])) == 0
    captured = capsys.readouterr()
    out = [json.loads(line) for line in captured.out.splitlines()]
    assert (out[0]["grade_timeout"], out[0]["correct"], out[0]["no_answer"]) == (True, False, False)
    assert out[0]["grade_method"] == "timeout" and out[1]["grade_timeout"] is False
    assert "1 grading timeouts" in captured.err


@pytest.mark.parametrize("value", ["0", "-3", "nan", "inf"])
def test_a_timeout_of_zero_or_less_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    f = write(tmp_path / "in.jsonl", LINES)
    o = tmp_path / "out.jsonl"
    assert run_grade(parse([str(f), "-o", str(o), f"--timeout={value}"])) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("elastic-bench grade: --timeout must be") and "\n" not in err
    assert not o.exists()


@pytest.mark.parametrize("semantics", ["lcb", "judge"])
def test_timeout_is_each_code_tests_time_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], semantics: str
) -> None:
    """--timeout 1 was ignored for code: a program sleeping 2.5 s passed under the 6 s default."""
    program = "import time\ntime.sleep(2.5)\nprint(int(input()) * 2)\n"
    line = {
        "task": "lcb",
        "response": f"{THINK_END}\n```python\n{program}```",
        "tests": [{"input": "4\n", "output": "8\n"}],
    }
    f = write(tmp_path / "in.jsonl", [line])
    verdicts = []
    for timeout in ([], ["--timeout", "1"]):
        assert run_grade(parse([str(f), "--semantics", semantics, *timeout])) == 0
        verdicts.append(json.loads(capsys.readouterr().out))
    assert (verdicts[0]["correct"], verdicts[0]["reason"]) == (True, "passed")
    assert (verdicts[1]["correct"], verdicts[1]["reason"]) == (False, "time_limit")
