"""Grading semantics of code: ``lcb`` (LiveCodeBench's runner) and ``judge`` (a contest judge), how each
is chosen, recorded and applied, and LiveCodeBench's comparison of functional answers.

The full agreement with LiveCodeBench's own runner, program by program, is tests/test_lcb_agreement.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from elastic_bench.harness.benchmarks import get_benchmark
from elastic_bench.harness.grading import (
    CodeGrader,
    GradeItem,
    GradeOptions,
    grade_many,
    reference_json,
    semantics_for,
)
from elastic_bench.harness.protocol import GRADING_SEMANTICS
from elastic_bench.harness.sandbox import (
    ExecutionRequest,
    LocalExecutor,
    call_matches,
    call_verdict,
    machine_memory_cap,
)
from elastic_bench.harness.sandbox import TestCase as Case

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def executor():
    with LocalExecutor(workers=2, uid_base=230_000) as ex:
        yield ex


# --- choice and recording ------------------------------------------------------------------------


def test_each_code_benchmark_names_its_semantics_and_options_override_it() -> None:
    assert get_benchmark("lcb").grading_semantics == "lcb"  # what published LiveCodeBench numbers mean
    assert get_benchmark("codeforces").grading_semantics == "judge"  # CodeElo submits to the real judge
    assert semantics_for("livecodebench") == "lcb"
    assert semantics_for("cf", GradeOptions(semantics="lcb")) == "lcb"
    with pytest.raises(ValueError, match="unknown grading semantics"):
        GradeOptions(semantics="leetcode")
    with pytest.raises(ValueError, match="unknown grading semantics"):
        ExecutionRequest(program="", tests=[], semantics="lenient")


def test_grades_carry_their_semantics_and_the_option_changes_the_verdict() -> None:
    program = "import sys\nprint(int(input()) * 2)\nsys.exit(1)\n"
    response = f"thinking</think>\n```python\n{program}```\n"
    reference = reference_json([{"input": "3\n", "output": "6\n"}])
    lcb, cf = grade_many([(response, reference, "lcb"), (response, reference, "codeforces")])
    assert (lcb.semantics, lcb.correct) == ("lcb", True)  # LiveCodeBench ignores SystemExit
    assert (cf.semantics, cf.reason) == ("judge", "runtime_error")  # a judge sees exit status 1
    (forced,) = grade_many([(response, reference, "codeforces")], semantics="lcb")
    assert (forced.semantics, forced.correct) == ("lcb", True)


def test_the_grade_command_takes_and_reports_semantics(tmp_path) -> None:
    line = {
        "task": "codeforces",
        "response": "</think>\n```python\nprint(int(input()) * 2)\nexit(3)\n```",
        "tests": [{"input": "4\n", "output": "8\n"}],
    }
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(line) + "\n")
    out = {}
    for semantics in GRADING_SEMANTICS:
        done = subprocess.run(
            [sys.executable, "-m", "elastic_bench.harness.cli", "grade", str(src), "--semantics", semantics],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        out[semantics] = json.loads(done.stdout)
    assert (out["lcb"]["semantics"], out["lcb"]["correct"]) == ("lcb", True)
    assert (out["judge"]["semantics"], out["judge"]["reason"]) == ("judge", "runtime_error")


# --- memory -----------------------------------------------------------------------------------


def test_a_judge_applies_the_problems_memory_limit_and_lcb_none() -> None:
    program = "block = bytearray(400 << 20)\nprint(len(block) > 0)\n"
    response = f"</think>\n```python\n{program}```\n"
    grader = CodeGrader(workers=1)
    try:
        items = [
            GradeItem(response, reference_json([{"input": "", "output": "True"}], None, mb), "codeforces")
            for mb in (256, 1024)
        ]
        small, large = grader.grade_batch(items, GradeOptions())
        (free,) = grader.grade_batch(items[:1], GradeOptions(semantics="lcb"))
    finally:
        grader.close()
    assert small.reason == "memory_limit" and large.correct
    assert free.correct  # LiveCodeBench sets no memory limit
    assert machine_memory_cap(2) >= 1 << 30


# --- functional answers compare as LiveCodeBench compares Python objects ---------------------------


@pytest.mark.parametrize(
    ("result", "expected", "verdict"),
    [
        ({"__tuple__": [1, 2]}, "[1, 2]", "passed"),  # a top-level tuple counts as a list
        ([{"__tuple__": [1, 2]}], "[[1, 2]]", "wrong_answer"),  # a nested one does not
        ({"__dict__": [[1, 2]]}, '{"1": 2}', "wrong_answer"),  # integer keys stay integers
        ({"__dict__": [["1", 2]]}, '{"1": 2}', "passed"),
        ({"__set__": [1, 2]}, "[1, 2]", "wrong_answer"),
        (True, "1", "passed"),  # Python: True == 1
        ("12", "12", "wrong_answer"),  # a string is not the number
        ({"__float__": "nan"}, "NaN", "wrong_answer"),
        ({"__ndarray__": [1, 2]}, "[1, 2]", "runtime_error"),  # an array of several values has no truth value
        ({"__object__": "<Foo>"}, "null", "wrong_answer"),
    ],
)
def test_functional_results_compare_as_python_objects(result, expected, verdict) -> None:
    assert call_verdict(result, expected) == verdict
    assert call_matches(json.dumps(result), expected) == (verdict == "passed")


def test_return_values_keep_their_types_through_the_sandbox(executor) -> None:
    program = (
        "class Solution:\n"
        "    def f(self, n):\n"
        "        return {'pairs': [(n, n)], 'keys': {n: str(n)}, 'top': (n,)}\n"
    )
    for semantics in GRADING_SEMANTICS:
        typed = ExecutionRequest(program, [Case("1", '{"pairs": [[1, 1]], "keys": {"1": "1"}, "top": [1]}')],
                                 fn_name="f", semantics=semantics)  # fmt: skip
        assert executor.run(typed).reason == "wrong_answer", semantics
    flat = ExecutionRequest("class Solution:\n    def f(self, n):\n        return (n, [n])\n",
                            [Case("2", "[2, [2]]")], fn_name="f")  # fmt: skip
    assert executor.run(flat).passed


# --- what every mode fixes or provides ------------------------------------------------------------


@pytest.mark.parametrize("semantics", GRADING_SEMANTICS)
def test_unjoined_threads_finish_before_the_output_is_judged(executor, semantics) -> None:
    program = (
        "import sys, threading, time\n"
        "def main():\n"
        "    time.sleep(0.3)\n"
        "    print(int(sys.stdin.readline()) + 1)\n"
        "threading.stack_size(1 << 26)\n"
        "threading.Thread(target=main).start()\n"
    )
    result = executor.run(
        ExecutionRequest(program, [Case("1\n", "2\n"), Case("5\n", "6\n")], semantics=semantics)
    )
    assert result.passed, result.verdicts


@pytest.mark.parametrize("semantics", GRADING_SEMANTICS)
def test_numpy_is_importable_in_the_sandbox(executor, semantics) -> None:
    pytest.importorskip("numpy")
    probe = subprocess.run([executor.python, "-I", "-c", "import numpy"], capture_output=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip("the sandbox's interpreter has no numpy (make install adds python3-numpy)")
    program = "import numpy as np\nprint(int(np.array(list(map(int, input().split()))).sum()))\n"
    result = executor.run(ExecutionRequest(program, [Case("1 2 3\n", "6\n")], semantics=semantics))
    assert result.passed, result.verdicts


def test_lcb_runs_every_test_in_one_process_and_stops_at_the_first_failure(executor) -> None:
    counter = "import builtins\nbuiltins.calls = getattr(builtins, 'calls', 0) + 1\nprint(builtins.calls)\n"
    tests = [Case("", "1"), Case("", "2"), Case("", "9"), Case("", "4")]
    lcb = executor.run(ExecutionRequest(counter, tests, semantics="lcb"))
    assert [v.reason for v in lcb.verdicts] == ["passed", "passed", "wrong_answer", "not_run"]
    judge = executor.run(ExecutionRequest(counter, tests[:1], semantics="judge"))
    assert judge.passed  # a fresh process per test
