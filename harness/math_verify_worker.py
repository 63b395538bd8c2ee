"""The math_verify side of grading: runs inside a :class:`~elastic_bench.harness.workers.WorkerPool` worker.

Imports math_verify (and so sympy) lazily, so importing this module costs nothing in the caller.
"""

from __future__ import annotations

import re
from functools import lru_cache

from elastic_bench.harness.normalize import frac_shorthand, normalize_answer

#: the handler the grader's pool calls, by import path
HANDLER = "elastic_bench.harness.math_verify_worker:verify_any"
#: modules a worker imports before it counts as ready
WARM = ("elastic_bench.harness.math_verify_worker", "math_verify.parser")


def verify_any(golds: tuple[str, ...], pred: str, timeout_s: int) -> bool:
    """math_verify comparison of ``pred`` against any of ``golds``."""
    from math_verify import verify

    pred = frac_shorthand(_set_builder_condition(pred))
    golds = tuple(frac_shorthand(_set_builder_condition(g)) for g in golds)
    p = _parse_pred(pred, timeout_s)
    if not p:
        return False
    for g in golds:
        gp = _parse_gold(g, timeout_s)
        if not gp:
            continue
        if not any(not isinstance(x, str) for x in gp):
            # math_verify could not parse the gold into mathematics; only exact text can match
            if normalize_answer(g) == normalize_answer(pred):
                return True
            continue
        if not any(not isinstance(x, str) for x in p):
            continue
        if verify(gp, p, timeout_seconds=timeout_s):
            return True
    return False


_SET_BUILDER_RE = re.compile(r"^\\\{\s*([A-Za-z])\s*(?:\||\\mid)\s*(.+?)\s*\\\}$", re.DOTALL)


def _set_builder_condition(s: str) -> str:
    """``\\{x | -2 \\le x < 1\\}`` -> ``-2 \\le x < 1`` (math_verify parses set-builder notation to nonsense)."""
    m = _SET_BUILDER_RE.match(s.strip().strip("$").strip())
    return m.group(2) if m else s


@lru_cache(maxsize=8192)
def _parse_gold(gold: str, timeout_s: int) -> list:
    from math_verify import parse

    return parse("$" + gold + "$", parsing_timeout=timeout_s)


def _parse_pred(pred: str, timeout_s: int) -> list:
    from math_verify import parse
    from math_verify.parser import ExprExtractionConfig, LatexExtractionConfig

    config = [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]
    return parse("\\boxed{" + pred + "}", extraction_config=config, parsing_timeout=timeout_s)
