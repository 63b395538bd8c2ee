"""The math_verify side of grading: runs inside a :class:`~elastic_bench.harness.grading._workers.WorkerPool` worker.

Imports math_verify (and so sympy) lazily, so importing this module costs nothing in the caller.
math_verify's own per-step timeouts are off; one alarm covers the whole comparison instead and ends
it with ``TimeoutError``, which the pool reports as a timeout (math_verify would silently count a
timed-out comparison wrong). The pool's hard timeout stays the backstop.
"""

from __future__ import annotations

import re
import signal
from functools import lru_cache

from elastic_bench.harness.grading._normalize import frac_shorthand, normalize_answer

#: the handler the grader's pool calls, by import path
HANDLER = "elastic_bench.harness.grading._math_verify_worker:verify_any"
#: modules a worker imports before it counts as ready
WARM = ("elastic_bench.harness.grading._math_verify_worker", "math_verify.parser")


class _Alarm(BaseException):
    """Raised by the alarm; a BaseException so that math_verify's and sympy's ``except Exception`` let it through."""


def _on_alarm(signum: int, frame: object) -> None:
    raise _Alarm


def verify_any(golds: tuple[str, ...], pred: str, timeout_s: float) -> bool:
    """math_verify comparison of ``pred`` against any of ``golds``, within ``timeout_s`` seconds."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(0.01, float(timeout_s)))
    try:
        return _verify_any(golds, pred)
    except _Alarm:
        raise TimeoutError(f"math_verify took longer than {timeout_s:g}s") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _verify_any(golds: tuple[str, ...], pred: str) -> bool:
    from math_verify import verify

    pred = frac_shorthand(_set_builder_condition(pred))
    golds = tuple(frac_shorthand(_set_builder_condition(g)) for g in golds)
    p = _parse_pred(pred)
    if not p:
        return False
    for g in golds:
        gp = _parse_gold(g)
        if not gp:
            continue
        if not any(not isinstance(x, str) for x in gp):
            # math_verify could not parse the gold into mathematics; only exact text can match
            if normalize_answer(g) == normalize_answer(pred):
                return True
            continue
        if not any(not isinstance(x, str) for x in p):
            continue
        if verify(gp, p, timeout_seconds=None):
            return True
    return False


_SET_BUILDER_RE = re.compile(r"^\\\{\s*([A-Za-z])\s*(?:\||\\mid)\s*(.+?)\s*\\\}$", re.DOTALL)


def _set_builder_condition(s: str) -> str:
    """``\\{x | -2 \\le x < 1\\}`` -> ``-2 \\le x < 1`` (math_verify parses set-builder notation to nonsense)."""
    m = _SET_BUILDER_RE.match(s.strip().strip("$").strip())
    return m.group(2) if m else s


@lru_cache(maxsize=8192)
def _parse_gold(gold: str) -> list:
    from math_verify import parse

    return parse("$" + gold + "$", parsing_timeout=None)


def _parse_pred(pred: str) -> list:
    from math_verify import parse
    from math_verify.parser import ExprExtractionConfig, LatexExtractionConfig

    config = [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]
    return parse("\\boxed{" + pred + "}", extraction_config=config, parsing_timeout=None)
