"""Answer extraction on realistic unboxed answers: share of cases graded as expected.

Reads ``benchmarks/grading_unboxed_cases.jsonl`` (final-answer statements with units, degrees, Unicode
√ and −, text answers, ``1e3``, answers hidden in the thinking, hedged and negated decoys; each with
the expected verdict ``correct``/``wrong``/``no_answer`` and extraction) and prints the verdict
accuracy, the extraction accuracy (when the grader reports it) and every case graded otherwise.
Runs against any version of the grader that has ``grading.grade(response, gold, benchmark)``.

    python benchmarks/grading_extraction.py [--cases FILE] [--strict-boxed]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from elastic_bench.harness.grading import grade

CASES = Path(__file__).with_name("grading_unboxed_cases.jsonl")


def verdict(g: object) -> str:
    """``correct``, ``wrong`` or ``no_answer`` of a Grade."""
    return "no_answer" if g.no_answer else ("correct" if g.correct else "wrong")  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    """Grade every case and print the accuracies and the misses."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=str(CASES))
    ap.add_argument("--strict-boxed", action="store_true", help="grade with strict_boxed=True")
    args = ap.parse_args(argv)
    cases = [json.loads(line) for line in Path(args.cases).read_text(encoding="utf-8").splitlines() if line]
    kwargs = {"strict_boxed": True} if args.strict_boxed else {}
    hits = extraction_hits = 0
    for case in cases:
        g = grade(case["response"], case["gold"], case["task"], timeout=5.0, **kwargs)
        got = verdict(g)
        source = getattr(g, "extraction", "boxed" if g.extracted is not None else "none")
        hits += got == case["expect"]
        extraction_hits += source == case["extraction"]
        if got != case["expect"]:
            print(f"  miss {case['id']:32} expected {case['expect']:9} got {got:9} extracted={g.extracted!r}")
    n = len(cases)
    print(
        f"cases {n}: verdict as expected {hits}/{n} = {hits / n:.1%}; extraction as expected "
        f"{extraction_hits}/{n} = {extraction_hits / n:.1%}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
