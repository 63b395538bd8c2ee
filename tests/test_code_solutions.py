"""Hand-written solutions of real problems (LiveCodeBench stdin + functional, Codeforces) pass the real
grader on the shared data's tests, and a wrong variant of each fails with the right reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from elastic_bench.harness.grading import CodeGrader, GradeItem, GradeOptions, reference_json
from elastic_bench.harness.sandbox import Limits

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
if not DATA_DIR.is_dir():
    DATA_DIR = Path("/work/shared/data")
SOLUTIONS = Path(__file__).parent / "code_solutions"
WRONG = json.loads((SOLUTIONS / "wrong_variants.json").read_text())
pytestmark = pytest.mark.skipif(
    not (DATA_DIR / "livecodebench").is_dir(), reason="shared code data not present"
)


def _cases() -> list[tuple[str, str, str, str, str]]:
    """(stem, benchmark, problem id, correct program, wrong program, expected reason) per solution file."""
    out = []
    for path in sorted(SOLUTIONS.glob("*.py")):
        bench, pid = path.stem.split("__")
        code = path.read_text()
        old, new = WRONG[path.stem]["replace"]
        assert old in code, f"{path.name}: the wrong variant's text to replace is not in the solution"
        out.append((path.stem, bench, pid, code, code.replace(old, new, 1), WRONG[path.stem]["reason"]))
    return out


def test_at_least_twenty_problems_of_both_formats_and_codeforces() -> None:
    cases = _cases()
    assert len(cases) >= 20 and set(WRONG) == {c[0] for c in cases}
    from elastic_bench.tasks.code.data import load_code_problems

    lcb = {r["id"]: r for r in load_code_problems("lcb", data_dir=DATA_DIR)}
    kinds = {
        ("functional" if lcb[c[2]]["fn_name"] else "stdin") if c[1] == "lcb" else "codeforces" for c in cases
    }
    assert kinds == {"stdin", "functional", "codeforces"}
    assert len({c[5] for c in cases}) >= 5  # wrong answer, runtime, compile, time and memory limits


def test_solutions_pass_and_wrong_variants_fail_with_their_reason() -> None:
    from elastic_bench.tasks.code.data import load_code_problems

    problems = {
        (b, r["id"]): r for b in ("lcb", "codeforces") for r in load_code_problems(b, data_dir=DATA_DIR)
    }
    grader = CodeGrader(limits=Limits(wall_s=2.0, cpu_s=2.0))
    items, expected = [], []
    for stem, bench, pid, right, wrong, reason in _cases():
        ref = reference_json(problems[(bench, pid)]["tests"], problems[(bench, pid)]["fn_name"])
        for program, want in ((right, "passed"), (wrong, reason)):
            items.append(GradeItem(f"thinking...</think>\nHere:\n```python\n{program}```\n", ref, bench))
            expected.append((stem, want))
    try:
        grades = grader.grade_batch(items, GradeOptions())
    finally:
        grader.close()
    got = [(stem, g.reason) for (stem, _), g in zip(expected, grades, strict=True)]
    assert got == expected
    assert all(
        g.correct == (want == "passed") and not g.no_answer
        for (_, want), g in zip(expected, grades, strict=True)
    )
    assert {g.sandbox_mode for g in grades} == {grader.mode}
