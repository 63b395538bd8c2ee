"""The math grader, first implementation of :class:`~elastic_bench.harness.grading._grader.Grader`.

Pipeline for one answer (see DESIGN.md, "Grading"):

1. **Extraction** (:mod:`~elastic_bench.harness.grading._extraction`, in-process, linear time): the last
   ``\\boxed{}`` of the solution part, else a final-answer statement there (not with ``strict_boxed``).
2. **Gold preparation** (:func:`~elastic_bench.harness.grading._normalize.prepare_gold`) by the registry's
   ``answer_kind``; Unicode and ``1e3`` in the answer become LaTeX (:func:`~elastic_bench.harness.grading._normalize.to_latex`).
3. **Fast path** (no sympy): normalised strings, exact numbers, option letters, text answers.
4. **math_verify** in a :class:`~elastic_bench.harness.grading._workers.WorkerPool` with a HARD per-answer
   timeout and a memory limit; an overrun is its own verdict (``timed_out``, counted wrong).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from elastic_bench.harness.benchmarks import get_benchmark
from elastic_bench.harness.grading._extraction import NONE, extract
from elastic_bench.harness.grading._grader import Grade, GradeItem, GradeOptions
from elastic_bench.harness.grading._math_verify_worker import HANDLER, WARM
from elastic_bench.harness.grading._normalize import (
    fast_compare,
    gold_alternatives,
    letters,
    normalize_answer,
    parse_options,
    prepare_gold,
    to_latex,
)
from elastic_bench.harness.grading._workers import DEFAULT_MEMORY_MB, Outcome, WorkerPool

__all__ = ["MAX_ANSWER_CHARS", "MathGrader"]

#: extracted answers longer than this are not final answers; they are graded wrong without sympy
MAX_ANSWER_CHARS = 2000
_RESULT_CACHE_MAX = 200_000

_Key = tuple[tuple[str, ...], str]


class MathGrader:
    """Grades math answers (every ``answer_kind`` of the math benchmarks); see the module docstring.

    Holds one persistent worker pool (started on the first answer that needs math_verify) and a cache
    of (golds, answer) -> math_verify outcome; safe to call from several threads.
    """

    name = "math"

    def __init__(self, memory_mb: int | None = DEFAULT_MEMORY_MB) -> None:
        self.memory_mb = memory_mb
        self.cache: dict[_Key, Outcome] = {}
        self._pool: WorkerPool | None = None
        self._lock = threading.Lock()

    def pool(self, workers: int) -> WorkerPool:
        """The grader's worker pool, resized to ``workers``."""
        if self._pool is None:
            self._pool = WorkerPool(workers, self.memory_mb, warm=WARM)
        elif self._pool.size != max(1, workers):
            self._pool.resize(workers)
        return self._pool

    def grade_batch(self, items: Sequence[GradeItem], options: GradeOptions | None = None) -> list[Grade]:
        """Grade ``items``; answers the fast path decides never leave the process, the rest go to the
        pool (identical comparisons are computed once and cached)."""
        options = options or GradeOptions()
        grades: list[Grade | None] = []
        todo: dict[_Key, list[int]] = {}
        pending: dict[int, tuple[str, str]] = {}
        for i, item in enumerate(items):
            done, extracted, source, golds = self._prepare(GradeItem(*item), options)
            grades.append(done)
            if done is None:
                pending[i] = (extracted, source)
                todo.setdefault((golds, to_latex(extracted)), []).append(i)
        with self._lock:
            keys = [k for k in todo if k not in self.cache]
            outcomes = dict(zip(keys, self._verify(keys, options), strict=True))
            for key, idx in todo.items():
                outcome = outcomes.get(key) or self.cache[key]
                if key in outcomes and outcome.status != "timeout":
                    if len(self.cache) >= _RESULT_CACHE_MAX:
                        self.cache.clear()
                    self.cache[key] = outcome
                for i in idx:
                    grades[i] = _from_outcome(*pending[i], outcome, options.timeout)
        return [
            g if g is not None else Grade(None, False, False, method="error", reason="internal")
            for g in grades
        ]

    def _verify(self, keys: list[_Key], options: GradeOptions) -> list[Outcome]:
        if not keys:
            return []
        inner = 0.9 * options.timeout  # the worker's own alarm: cheaper than a kill, inside the hard limit
        return self.pool(options.workers).run(HANDLER, [(g, p, inner) for g, p in keys], options.timeout)

    def _prepare(
        self, item: GradeItem, options: GradeOptions
    ) -> tuple[Grade | None, str, str, tuple[str, ...]]:
        """Grade without sympy when possible; else (None, extracted, extraction, golds for math_verify)."""
        bench = get_benchmark(item.benchmark)
        kind = bench.answer_kind
        strict = bench.strict_boxed if options.strict_boxed is None else options.strict_boxed
        response = "" if item.response is None else str(item.response)
        found = extract(
            response, options.marker, fallback_anywhere=options.fallback_anywhere, strict_boxed=strict
        )
        if found.text is None:
            return (
                Grade(
                    None, False, True, method="no_answer", reason=_no_answer_reason(response, options, strict)
                ),
                "",
                NONE,
                (),
            )
        extracted, source = found.text, found.source

        def done(correct: bool, method: str, reason: str) -> tuple[Grade, str, str, tuple[str, ...]]:
            return (
                Grade(extracted, correct, False, method=method, extraction=source, reason=reason),
                "",
                source,
                (),
            )

        if len(extracted) > MAX_ANSWER_CHARS:
            return done(False, "too_long", f"answer longer than {MAX_ANSWER_CHARS} characters")
        pred = to_latex(extracted)
        gold = prepare_gold(item.reference, item.benchmark)
        gold_letters = letters(gold) if kind == "gaokao" else None
        if gold_letters is not None:
            pred_letters = letters(pred)
            if pred_letters is not None:
                same = pred_letters == gold_letters
                return done(same, "letters", "option letters " + ("match" if same else "differ"))
            options_text = parse_options(item.problem) if item.problem else {}
            texts = tuple(options_text[x] for x in sorted(gold_letters) if x in options_text)
            if len(gold_letters) != 1 or not texts:
                return done(False, "letters", "gold is an option letter; the answer is not one")
            others = {normalize_answer(v) for k, v in options_text.items() if k not in gold_letters}
            if normalize_answer(pred) in others:
                return done(False, "option_text", "the answer is another option's text")
            golds = texts
        else:
            golds = tuple(gold_alternatives(gold, kind))
        fast = fast_compare(pred, list(golds), kind)
        if fast is not None:
            return done(
                fast, "fast", "equal to the gold" if fast else "differs from the gold (exact comparison)"
            )
        return None, extracted, source, golds

    def close(self) -> None:
        """Stop the worker pool (a later batch starts a new one)."""
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None


def _no_answer_reason(response: str, options: GradeOptions, strict: bool) -> str:
    if options.marker and options.marker not in response:
        return f"no {options.marker!r} marker: the thinking never ended, so there is no solution part"
    if strict:
        return "no \\boxed{} answer in the solution part (a box is required)"
    return "no \\boxed{} answer or final-answer statement in the solution part"


def _from_outcome(extracted: str, source: str, outcome: Outcome, timeout: float) -> Grade:
    status, value = outcome
    if status == "ok":
        verdict = "equivalent" if value else "not equivalent"
        return Grade(
            extracted,
            bool(value),
            False,
            method="math_verify",
            extraction=source,
            reason=f"math_verify: {verdict}",
        )
    if status == "timeout":
        return Grade(
            extracted,
            False,
            False,
            True,
            "timeout",
            source,
            f"math_verify exceeded the hard timeout ({timeout:g}s)",
        )
    return Grade(
        extracted, False, False, method="error", extraction=source, reason=f"grading worker: {value}"
    )
