"""Gold self-consistency of the grader: the gold written as a model would must grade correct, and a
perturbed (wrong) gold must grade wrong. Used by the tests and ``benchmarks/gold_consistency.py``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from elastic_bench.harness.benchmarks import get_benchmark, resolve_benchmark
from elastic_bench.harness.grading._grade import Grade, grade_many
from elastic_bench.harness.grading._grader import GRADING_TIMEOUT_S, GRADING_WORKERS
from elastic_bench.harness.grading._normalize import as_number, letters, normalize_answer
from elastic_bench.harness.protocol import THINK_END

#: how :func:`gold_response` states the answer: in a box, or in a closing sentence with no box
GOLD_FORMS = ("boxed", "sentence")


def gold_response(answer: str, marker: str = THINK_END, form: str = "boxed") -> str:
    """A response that states ``answer`` the way a reasoning model does (``form``: :data:`GOLD_FORMS`)."""
    if form == "sentence":
        return f"Let me work this out step by step.{marker}\n**Answer**: The value asked for is {answer}."
    return f"Let me work this out step by step.{marker}\nThe answer is \\boxed{{{answer}}}."


def perturb_answer(gold: str, benchmark: str) -> str:
    """A wrong answer close to ``gold``: number + 1, another option letter, or the first digit changed
    (``+1`` appended when the gold has no digit)."""
    kind = get_benchmark(benchmark).answer_kind
    named = letters(gold) if kind == "gaokao" else None
    if named is not None:
        first = min(named)
        other = "ABCDEFGHJK"[("ABCDEFGHJK".index(first) + 1) % 10] if first in "ABCDEFGHJK" else "A"
        return "".join(sorted((named - {first}) | {other}))
    num = as_number(normalize_answer(gold))
    if num is not None:
        wrong = num + 1
        return str(wrong.numerator) if wrong.denominator == 1 else f"{wrong.numerator}/{wrong.denominator}"
    m = re.search(r"\d", gold)
    if m:
        return gold[: m.start()] + str((int(m.group()) + 1) % 10) + gold[m.end() :]
    return gold + "+1"


@dataclass
class ConsistencyReport:
    """Rates of one benchmark and the records that failed, with the grader's reason."""

    benchmark: str
    n: int = 0
    gold_correct: int = 0
    perturbed_wrong: int = 0
    exceptions: list[dict] = field(default_factory=list)

    @property
    def correct_rate(self) -> float:
        """Share of golds graded correct."""
        return self.gold_correct / self.n if self.n else 0.0

    @property
    def wrong_rate(self) -> float:
        """Share of perturbed golds graded wrong."""
        return self.perturbed_wrong / self.n if self.n else 0.0


def check_records(
    benchmark: str,
    records: list[dict],
    *,
    workers: int = GRADING_WORKERS,
    timeout: float = GRADING_TIMEOUT_S,
    form: str = "boxed",
) -> ConsistencyReport:
    """Grade each record's gold and a perturbation of it, stated in ``form``; collect the failures."""
    items: list[tuple] = []
    for rec in records:
        gold = rec["answer"]
        wrong = perturb_answer(gold, benchmark)
        items.append((gold_response(gold, form=form), gold, benchmark, rec.get("problem")))
        items.append((gold_response(wrong, form=form), gold, benchmark, rec.get("problem")))
    grades: list[Grade] = grade_many(items, workers=workers, timeout=timeout)
    report = ConsistencyReport(resolve_benchmark(benchmark), n=len(records))
    for k, rec in enumerate(records):
        ok, bad = grades[2 * k], grades[2 * k + 1]
        report.gold_correct += ok.correct
        report.perturbed_wrong += not bad.correct
        if not ok.correct:
            report.exceptions.append(_exception(rec, "gold graded wrong", ok))
        if bad.correct:
            report.exceptions.append(
                _exception(rec, f"perturbed {perturb_answer(rec['answer'], benchmark)!r} graded correct", bad)
            )
    return report


def _exception(rec: dict, what: str, g: Grade) -> dict:
    return {
        "id": rec.get("id"),
        "gold": rec["answer"],
        "what": what,
        "method": g.method,
        "reason": g.reason,
        "timed_out": g.timed_out,
        "extracted": g.extracted,
    }


__all__ = ["ConsistencyReport", "check_records", "gold_response", "perturb_answer"]
