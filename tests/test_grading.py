"""The math grader: extraction (boxes and final-answer statements), gold preparation, equivalence,
the no-answer and timeout verdicts, the Grader protocol and gold self-consistency on the real
benchmark data (required: the shared data must be present)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from elastic_bench.harness.benchmarks import BENCHMARKS as REGISTRY
from elastic_bench.harness.benchmarks import resolve_benchmark
from elastic_bench.harness.grading import (
    HANDLER,
    WARM,
    Grade,
    GradeItem,
    Grader,
    MathGrader,
    UnknownGrader,
    WorkerPool,
    check_records,
    extract,
    extract_answer,
    extract_boxed,
    get_grader,
    grade,
    grade_many,
    grader_for,
    perturb_answer,
    prepare_gold,
)
from elastic_bench.harness.protocol import THINK_END

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
if not DATA_DIR.is_dir():
    DATA_DIR = Path("/work/shared/data")
BENCH_DIR = Path(__file__).resolve().parents[1] / "benchmarks"


def sol(answer: str) -> str:
    return f"Some thinking \\boxed{{999}}.{THINK_END}\nThe answer is \\boxed{{{answer}}}."


# ----------------------------------------------------------------------------- extraction


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\\boxed{5}", "5"),
        ("a \\boxed{1} then \\boxed{2}", "2"),
        ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
        ("\\boxed{\\{1, 2\\}}", "\\{1, 2\\}"),
        ("\\fbox{7}", "7"),
        ("so \\boxed 5.", "5"),
        ("\\boxed{\\boxed{3}}", "3"),
        ("\\boxed{4} and \\boxed{\\frac{1}{2", "4"),  # the last box never closes: previous one
        ("\\boxed{}", ""),
        ("no box here", None),
        ("\\boxedx{3}", None),
        ("\\boxed{a}}}}", "a"),
    ],
)
def test_extract_boxed(text: str, expected: str | None) -> None:
    assert extract_boxed(text) == expected


def test_only_the_solution_part_counts() -> None:
    assert extract_answer("think \\boxed{1}" + THINK_END + " answer \\boxed{2}") == "2"
    assert extract("think \\boxed{1}" + THINK_END + " answer \\boxed{2}").source == "boxed"
    assert extract_answer("think \\boxed{1}" + THINK_END + " no box") is None
    assert extract_answer("think \\boxed{1}" + THINK_END + " no box", fallback_anywhere=True) == "1"
    # no marker = no solution part (thinking cut short), unless asked
    assert extract_answer("still thinking \\boxed{1}") is None
    assert extract_answer("still thinking \\boxed{1}", fallback_anywhere=True) == "1"
    assert extract_answer("plain \\boxed{1}", marker=None) == "1"
    assert extract_answer("a" + THINK_END + "b" + THINK_END + " \\boxed{3}") == "3"
    assert extract_answer("x<|end_think|>\\boxed{4}", marker="<|end_think|>") == "4"


def test_empty_box_and_missing_box_are_no_answer_not_wrong() -> None:
    for response in [
        THINK_END + "\\boxed{}",
        THINK_END + "\\boxed{ }",
        THINK_END + "nothing",
        "no marker",
        "",
    ]:
        g = grade(response, "5", "math500")
        assert (g.extracted, g.correct, g.no_answer, g.extraction) == (None, False, True, "none")
        assert g.method == "no_answer" and g.reason
    assert "marker" in grade("no marker", "5", "math500").reason
    wrong = grade(THINK_END + "\\boxed{6}", "5", "math500")
    assert not wrong.correct and not wrong.no_answer and wrong.extraction == "boxed"


# ----------------------------------------------------------------------------- gold preparation


@pytest.mark.parametrize(
    ("gold", "bench", "expected"),
    [
        ("She makes 9 * 2 = <<9*2=18>>18 dollars.\n#### 1,800", "gsm8k", "1800"),
        ("18", "gsm8k", "18"),
        ("033", "aime24", "33"),
        ("27.0", "amc23", "27"),
        ("$\\{x|-2\\leq x < 1\\}$", "gaokao", "\\{x|-2\\leq x < 1\\}"),
        ("$48$, $384$", "gaokao", "48, 384"),
        ("C", "gaokao", "C"),
        ("$145$solution:", "gaokao", "145"),
        ("\\left( 3, \\frac{\\pi}{2} \\right)", "math500", "\\left( 3, \\frac{\\pi}{2} \\right)"),
        ("We get $\\boxed{\\frac{3}{4}}$.", "math", "\\frac{3}{4}"),
    ],
)
def test_prepare_gold(gold: str, bench: str, expected: str) -> None:
    assert prepare_gold(gold, bench) == expected
    assert prepare_gold(expected, bench) == expected  # idempotent


def test_answer_kind_comes_from_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    # gsm8k's gold preparation follows its registry answer_kind: as "latex" the #### part stays
    assert prepare_gold("Work\n#### 1,800", "gsm8k") == "1800"
    monkeypatch.setitem(REGISTRY, "gsm8k", dataclasses.replace(REGISTRY["gsm8k"], answer_kind="latex"))
    assert prepare_gold("Work\n#### 1,800", "gsm8k") == "Work\n#### 1,800"


def test_benchmark_names() -> None:
    assert resolve_benchmark("elastic_aime24_t01024") == "aime24"
    assert resolve_benchmark("gaokao2023en") == "gaokao"
    assert resolve_benchmark("MATH500") == "math500"
    with pytest.raises(ValueError, match="unknown benchmark"):
        resolve_benchmark("mmlu")


# ----------------------------------------------------------------------------- equivalence


@pytest.mark.parametrize(
    ("pred", "gold", "bench", "correct"),
    [
        ("\\frac12", "0.5", "math500", True),
        ("\\dfrac{1}{2}", "\\frac{1}{2}", "math500", True),
        ("\\frac{\\sqrt{2}}{2}", "\\sqrt2/2", "math500", True),
        ("(3,\\frac{\\pi}{2})", "\\left( 3, \\frac{\\pi}{2} \\right)", "math500", True),
        ("30^\\circ", "30", "math500", True),
        ("x^2+2x+1", "(x+1)^2", "math500", True),
        ("[-2,1)", "\\{x|-2\\leq x < 1\\}", "gaokao", True),
        ("(-2,1)", "\\{x|-2\\leq x < 1\\}", "gaokao", False),
        ("\\frac{1}{3}", "0.5", "math500", False),
        ("\\text{Evelyn}", "\\text{Evelyn}", "math500", True),
        ("1,800", "#### 1800", "gsm8k", True),
        ("\\$18", "18", "gsm8k", True),
        ("18.00", "18", "gsm8k", True),
        ("19", "18", "gsm8k", False),
        ("33", "033", "aime24", True),
        ("033", "33", "aime25", True),
        ("\\frac{66}{2}", "33", "aime", True),
        ("34", "033", "aime24", False),
        ("27", "27.0", "amc23", True),
        ("42", "42", "toy", True),
        ("x", "42", "toy", False),
        # GaoKao multiple choice: letters compare as sets
        ("C", "C", "gaokao", True),
        ("\\text{(C)}", "C", "gaokao", True),
        ("(C)", "C", "gaokao", True),
        ("B", "C", "gaokao", False),
        ("A, C", "AC", "gaokao", True),
        ("AC", "A and C", "gaokao", True),
        ("A", "AC", "gaokao", False),
        # GaoKao "a or b": any listed value (or all of them) is correct
        ("-2", "$2$ or $-2$ or $\\frac{1}{2}$ or $-\\frac{1}{2}$", "gaokao", True),
        ("3", "$2$ or $-2$ or $\\frac{1}{2}$ or $-\\frac{1}{2}$", "gaokao", False),
        ("5, 9", "$5$ or $9$", "gaokao", True),
        ("0.05, 0.6", "$0.05$ and $0.6$", "gaokao", True),
    ],
)
def test_equivalence(pred: str, gold: str, bench: str, correct: bool) -> None:
    g = grade(sol(pred), gold, bench)
    assert g.correct is correct, g
    assert not g.no_answer and g.extracted == pred


def test_multiple_choice_option_text_needs_the_problem() -> None:
    problem = "How long on the fifth trial: (A) 50 (B) 42 (C) 39 (D) 35"
    assert grade(sol("39"), "C", "gaokao", problem=problem).correct
    assert not grade(sol("42"), "C", "gaokao", problem=problem).correct
    assert not grade(sol("39"), "C", "gaokao").correct  # without options, text cannot match a letter


def test_grade_many_keeps_order_and_reuses_results() -> None:
    items = [
        (sol(p), "\\frac{\\sqrt{3}}{2}", "math500") for p in ["\\sqrt3/2", "1", "\\sqrt{3}/2", "\\sqrt3/2"]
    ]
    grades = grade_many(items)
    assert [g.correct for g in grades] == [True, False, True, True]
    assert grades[0] == grades[3]


def test_perturbation_is_different() -> None:
    assert perturb_answer("033", "aime24") == "34"
    assert perturb_answer("C", "gaokao") == "D"
    assert perturb_answer("\\frac{1}{2}", "math500") == "3/2"
    assert perturb_answer("\\sqrt{5}", "math500") == "\\sqrt{6}"
    assert perturb_answer("b > a > c", "gaokao") == "b > a > c+1"


# ----------------------------------------------------------------------------- pathological inputs

TIMEOUT = 1.5
SLACK = 3.0  # process kill + scheduling on a busy 2-core machine


@pytest.mark.parametrize(
    "response",
    [
        THINK_END + "\\boxed{9^{9^{9^{9}}}}",
        THINK_END + "\\boxed{9^{9^{9^{9^{9^{9}}}}}-1}",
        THINK_END + "\\boxed{(x+1)^{100000}}",
        THINK_END + "\\boxed{" * 20000,  # 140k characters of unbalanced boxes
        THINK_END + "{" * 50000 + "\\boxed{1}" + "}" * 10,
        THINK_END + "\\boxed{" + "1+" * 40000 + "1}",  # 80k-character answer
        "x" * 100_000 + THINK_END + "\\frac{" * 5000 + "\\boxed{}",
        THINK_END + "\\boxed{\\frac{1}{\\frac{1}{\\frac{1}{" + "}" * 2,
        THINK_END + "\\boxed{" + "\\sqrt{" * 300 + "2" + "}" * 301,
    ],
)
def test_pathological_inputs_return_within_the_timeout(response: str) -> None:
    t0 = time.monotonic()
    g = grade(response, "2", "math500", timeout=TIMEOUT)
    assert time.monotonic() - t0 < TIMEOUT + SLACK
    assert isinstance(g, Grade) and not g.correct


def test_a_timeout_counts_wrong_and_the_pool_recovers() -> None:
    # 0.8 s is below math_verify's own (1 s, signal-based) timeout: the hard kill has to act
    pool = WorkerPool(workers=1, warm=WARM)
    try:
        t0 = time.monotonic()
        out = pool.run(HANDLER, [(("2",), "9^{9^{9^{9}}}", 1), (("\\frac{1}{2}",), "0.5", 1)], timeout=0.8)
        assert out[0] == ("timeout", None)
        assert out[1] == ("ok", True)
        assert pool.timeouts == 1 and pool.restarts == 1
        assert time.monotonic() - t0 < TIMEOUT + 2 * SLACK
    finally:
        pool.close()


def test_the_workers_own_alarm_is_a_timeout_without_a_kill() -> None:
    pool = WorkerPool(workers=1, warm=WARM)
    try:
        out = pool.run(HANDLER, [(("2",), "9^{9^{9^{9}}}", 0.5), (("2",), "\\sqrt{4}", 0.5)], timeout=20)
        assert out == [("timeout", None), ("ok", True)]
        assert pool.timeouts == 1 and pool.restarts == 0
    finally:
        pool.close()


def test_grade_many_with_timeouts() -> None:
    items = [(sol("9^{9^{9^{9}}}"), "5", "math500"), (sol("\\sqrt{4}"), "2", "math500")]
    # warm the workers first: a cold worker's first math_verify call (lazy parser imports) can take
    # longer than the timeout on a loaded machine, which would time out the easy item too
    assert all(g.correct for g in grade_many(items[1:] * 4, timeout=60))
    t0 = time.monotonic()
    hard, easy = grade_many(items, timeout=TIMEOUT)
    assert hard.timed_out and not hard.correct and not hard.no_answer
    assert hard.method == "timeout" and "timeout" in hard.reason and hard.extraction == "boxed"
    assert easy.correct and not easy.timed_out
    assert time.monotonic() - t0 < TIMEOUT + SLACK


@pytest.mark.parametrize("timeout", [0, -1.0, float("nan")])
def test_a_timeout_must_be_positive(timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout must be > 0"):
        grade_many([(sol("1"), "1", "math500")], timeout=timeout)


def test_long_response_extraction_is_linear() -> None:
    text = ("step \\boxed{" + "{" * 3) * 20000 + THINK_END + "\\boxed{7}"
    t0 = time.monotonic()
    assert extract_answer(text) == "7"
    assert extract_boxed(text.replace(THINK_END, "")) == "7"
    assert time.monotonic() - t0 < 1.0


# ----------------------------------------------------------------------------- real data

BENCHMARKS = ["gsm8k", "math500", "aime24", "aime25", "amc23", "gaokao", "math"]


@pytest.mark.skipif(not DATA_DIR.is_dir(), reason="shared benchmark data not present")
@pytest.mark.parametrize("bench", BENCHMARKS)
def test_gold_self_consistency(bench: str) -> None:
    from elastic_bench.tasks.math.data import load_problems

    records = load_problems(bench, data_dir=DATA_DIR)
    if bench == "math":  # 5000 problems: every 5th keeps the test fast (the benchmark script runs all)
        records = records[::5]
    report = check_records(bench, records, timeout=5.0)
    assert report.correct_rate >= 0.995, report.exceptions[:10]
    assert report.wrong_rate >= 0.995, report.exceptions[:10]


@pytest.mark.skipif(not DATA_DIR.is_dir(), reason="shared benchmark data not present")
@pytest.mark.parametrize("bench", ["gsm8k", "math500", "aime24"])
def test_gold_stated_in_a_sentence_without_a_box_grades_correct(bench: str) -> None:
    """The sentence reader takes each gold from "**Answer**: The value asked for is GOLD." (units and
    words dropped, LaTeX groups kept whole) and never a perturbed one."""
    from elastic_bench.tasks.math.data import load_problems

    report = check_records(bench, load_problems(bench, data_dir=DATA_DIR), timeout=5.0, form="sentence")
    assert report.correct_rate == 1.0, report.exceptions[:10]
    assert report.wrong_rate == 1.0, report.exceptions[:10]


# ----------------------------------------------------------------------------- answers without a box


def _cases(name: str) -> list[dict]:
    lines = (BENCH_DIR / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line]


CASES = (
    _cases("grading_unboxed_cases.jsonl")
    + _cases("grading_unboxed_heldout.jsonl")
    + _cases("grading_sentence_cases.jsonl")  # answers stated in a sentence, and sentences stating none
)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_realistic_unboxed_answers(case: dict) -> None:
    g = grade(case["response"], case["gold"], case["task"])
    verdict = "no_answer" if g.no_answer else ("correct" if g.correct else "wrong")
    assert (verdict, g.extraction) == (case["expect"], case["extraction"]), g


def test_the_case_table_is_realistic_and_large_enough() -> None:
    assert len(CASES) >= 40
    kinds = {c["expect"] for c in CASES}
    assert kinds == {"correct", "wrong", "no_answer"}
    assert sum(c["extraction"] == "statement" for c in CASES) >= 30


@pytest.mark.parametrize(
    ("solution", "expected"),
    [
        ("**Answer:** 42", "42"),
        ("Final answer: $\\frac{1}{2}$ units", "\\frac{1}{2}"),
        ("The answer is 3√13 units.", "3√13"),
        ("the answer is 1,800 dollars.", "1,800"),
        ("The answer is 5, not 7.", "5"),
        ("The answer is Evelyn.", "Evelyn"),
        ("Answer: 7\nI hope the answer is clear.", "7"),
        ("The answer is 5. No: the answer is not 5.", None),
        ("The answer is not 5.", None),
        ("The answer is either 3 or 5.", None),
        ("The answer is $3$ and $5$.", None),
        ("The answer is probably $4$.", None),
        ("The answer is $7$. Does that make sense?", "7"),
        ("Is the answer 5?", None),
        ("Evelyn has the greatest average speed.", None),
    ],
)
def test_extract_statement(solution: str, expected: str | None) -> None:
    from elastic_bench.harness.grading import extract_statement

    assert extract_statement(solution) == expected


def test_statements_are_never_taken_from_the_thinking() -> None:
    response = f"the answer is 41. Answer: 41 \\boxed{{41}}{THINK_END}I give up."
    assert extract(response).text is None
    assert extract("the answer is 41, no marker").text is None
    assert extract(f"Answer: 41{THINK_END}Answer: 42").text == "42"


def test_strict_boxed_demands_a_box(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    stated = f"x{THINK_END}**Answer:** 42"
    assert grade(stated, "42", "gsm8k").correct
    strict = grade(stated, "42", "gsm8k", strict_boxed=True)
    assert strict.no_answer and "box" in strict.reason
    assert grade(f"x{THINK_END}\\boxed{{42}}", "42", "gsm8k", strict_boxed=True).correct
    # a benchmark whose registry entry demands a box
    monkeypatch.setitem(REGISTRY, "gsm8k", dataclasses.replace(REGISTRY["gsm8k"], strict_boxed=True))
    assert grade(stated, "42", "gsm8k").no_answer
    assert grade(stated, "42", "gsm8k", strict_boxed=False).correct


@pytest.mark.parametrize(
    ("pred", "gold", "correct"),
    [
        ("−5", "-5", True),
        ("2×10^3", "2000", True),
        ("1e3", "1000", True),
        ("1e3", "1001", False),
        ("12π", "12\\pi", True),
        ("√(10)", "\\sqrt{10}", True),
        ("Evelyn has the greatest average speed", "\\text{Evelyn}", True),
        ("Evelyn does not have the greatest speed", "\\text{Evelyn}", False),
        ("Evelyn1", "\\text{Evelyn}", False),
        ("ba", "ab", True),  # two letters are algebra, not text: math_verify decides
    ],
)
def test_plain_text_answers(pred: str, gold: str, correct: bool) -> None:
    g = grade(f"x{THINK_END}Final answer: {pred}", gold, "math500")
    assert g.correct is correct, g
    assert g.extraction == "statement" and g.extracted == pred


# ----------------------------------------------------------------------------- the Grader protocol


def test_get_grader_by_registry_name() -> None:
    math = get_grader("math")
    assert isinstance(math, Grader) and isinstance(math, MathGrader) and math.name == "math"
    assert get_grader(REGISTRY["aime24"].grader) is math
    assert grader_for("elastic_aime24_t01024") is math
    assert get_grader("code").name == "code" and grader_for("elastic_lcb_t01024") is get_grader("code")
    with pytest.raises(UnknownGrader, match="unknown grader 'nope'; known: code, math"):
        get_grader("nope")


def test_grade_batch_verdicts_carry_reason_and_extraction() -> None:
    grader = MathGrader()
    try:
        items = [
            GradeItem(f"x{THINK_END}\\boxed{{42}}", "42", "gsm8k"),
            GradeItem(f"x{THINK_END}Answer: 41", "42", "gsm8k"),
            GradeItem("x", "42", "gsm8k"),
            GradeItem(f"x{THINK_END}\\boxed{{x^2+2x+1}}", "(x+1)^2", "math500"),
        ]
        grades = grader.grade_batch(items)
        assert [(g.correct, g.no_answer, g.extraction) for g in grades] == [
            (True, False, "boxed"),
            (False, False, "statement"),
            (False, True, "none"),
            (True, False, "boxed"),
        ]
        assert grades[3].method == "math_verify" and "equivalent" in grades[3].reason
        assert all(g.reason for g in grades)
    finally:
        grader.close()


def test_statement_search_stays_linear_on_hostile_solutions() -> None:
    hostile = [
        THINK_END + "Answer:\n" * 50_000 + "Answer: 7",
        THINK_END + "the answer is " * 50_000,
        THINK_END + "\n" + "-" * 200_000 + "answer",
        THINK_END + "Final answer: " + "1+" * 50_000 + "1",
    ]
    t0 = time.monotonic()
    found = [extract(text).text for text in hostile]
    assert time.monotonic() - t0 < 2.0
    assert found == ["7", None, None, None]


# ----------------------------------------------------------------------------- per-sample metrics


def test_score_reports_where_answers_came_from_and_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    import functools

    from elastic_bench.harness.protocol import SAMPLE_METRICS
    from elastic_bench.tasks import common

    monkeypatch.setattr(common, "grade_many", functools.partial(grade_many, timeout=0.8))
    responses = [
        f"x{THINK_END}\\boxed{{42}}",
        f"x{THINK_END}**Answer:** 42",
        f"x{THINK_END}\\boxed{{9^{{9^{{9^{{9}}}}}}}}",
        "x, still thinking",
    ]
    metrics = common.score([responses], "42", "gsm8k")
    assert set(metrics) == set(SAMPLE_METRICS)
    assert {"boxed", "fallback_answer", "grade_timeout"} <= set(SAMPLE_METRICS)
    assert metrics["acc"] == 0.5 and metrics["no_answer"] == 0.25
    assert metrics["boxed"] == 0.5 and metrics["fallback_answer"] == 0.25 and metrics["grade_timeout"] == 0.25


def test_grade_many_routes_each_benchmark_to_its_registry_grader(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from elastic_bench.harness.grading import _grader as grader_module

    class Fake:
        name = "fake"
        seen: list[GradeItem] = []

        def grade_batch(self, items, options=None):
            self.seen.extend(items)
            return [Grade(None, True, False, method="fake", reason="fake") for _ in items]

        def close(self) -> None:
            pass

    fake_bench = dataclasses.replace(REGISTRY["toy"], name="fakecode", grader="fake")
    monkeypatch.setitem(REGISTRY, "fakecode", fake_bench)
    monkeypatch.setitem(grader_module.GRADERS, "fake", Fake)
    monkeypatch.delitem(grader_module._INSTANCES, "fake", raising=False)
    grades = grade_many([("print(1)", "1", "fakecode"), (sol("2"), "2", "math500"), ("x", "y", "fakecode")])
    assert [g.method for g in grades] == ["fake", "fast", "fake"]
    assert [i.response for i in Fake.seen] == ["print(1)", "x"]
    grader_module._INSTANCES.pop("fake", None)
