"""Math answer grading: extract the final ``\\boxed{}`` answer, then compare it with the gold.

Pipeline for one answer (see DESIGN.md, "Grading"):

1. **Extraction** (in-process, linear time): the LAST ``\\boxed{...}`` / ``\\fbox{...}`` /
   ``\\boxed 5`` of the solution part (the text after the last thinking marker). Without a marker
   there is no solution part, so no answer, unless ``fallback_anywhere`` asks for the last box of
   the whole text. An empty box or no box at all is ``no_answer`` (counted wrong, reported apart).
2. **Gold preparation** per benchmark (:func:`prepare_gold`): GSM8K's number after ``####``,
   AIME/AMC integers (``033`` == 33), GaoKao multiple-choice letters, ``$...$`` stripped.
3. **Fast path** (in-process, no sympy): normalised string equality, exact number comparison,
   letter-set comparison. Most answers are decided here.
4. **math_verify** (parse + verify) in a persistent pool of worker processes with a HARD
   per-answer timeout: a worker that overruns is killed and replaced, and the answer counts as
   wrong (``timed_out``). Workers also run under an address-space limit, so a sympy blow-up
   ends as a wrong answer instead of taking the machine down.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from multiprocessing.connection import Connection, wait

from elastic_bench.harness.response import split_thinking

__all__ = [
    "BENCHMARKS",
    "Grade",
    "GraderPool",
    "extract_answer",
    "extract_boxed",
    "grade",
    "grade_many",
    "normalize_answer",
    "prepare_gold",
    "resolve_benchmark",
]

#: benchmark name -> comparison kind
BENCHMARKS: dict[str, str] = {
    "math500": "latex",
    "math": "latex",
    "gsm8k": "number",
    "gaokao": "gaokao",
    "aime": "integer",
    "aime24": "integer",
    "aime25": "integer",
    "amc23": "integer",
    "toy": "toy",
}
_ALIASES = {
    "math_500": "math500",
    "math-500": "math500",
    "hendrycks_math": "math",
    "minerva_math": "math",
    "aime2024": "aime24",
    "aime_2024": "aime24",
    "aime2025": "aime25",
    "aime_2025": "aime25",
    "amc": "amc23",
    "amc2023": "amc23",
    "gaokao2023en": "gaokao",
    "gaokao2023": "gaokao",
    "gaokao_2023_en": "gaokao",
}
#: extracted answers longer than this are not final answers; they are graded wrong without sympy
MAX_ANSWER_CHARS = 2000
DEFAULT_MEMORY_MB = 4096


@dataclass(frozen=True)
class Grade:
    """Outcome of grading one response.

    ``extracted`` is the boxed answer (None when there is none), ``no_answer`` means nothing was
    extractable (``correct`` is then False), ``timed_out`` that math_verify hit the hard timeout
    (or its worker died) and the answer was counted wrong; ``method`` names the deciding step.
    """

    extracted: str | None
    correct: bool
    no_answer: bool
    timed_out: bool = False
    method: str = ""


def resolve_benchmark(name: str) -> str:
    """Map a benchmark or task name (``aime24``, ``elastic_aime24_t01024``, ``gaokao2023en``) to a key of BENCHMARKS."""
    key = name.strip().lower()
    if key.startswith("elastic_"):
        key = key[len("elastic_") :]
    for cand in (key, re.sub(r"_(t\d+|unconstrained|budget.*|s\d+)(_.*)?$", "", key)):
        cand = _ALIASES.get(cand, cand)
        if cand in BENCHMARKS:
            return cand
    raise ValueError(f"unknown benchmark {name!r}; known: {', '.join(sorted(BENCHMARKS))}")


# --------------------------------------------------------------------------- extraction

_BOX_RE = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")
_BRACE_TOKEN_RE = re.compile(r"\\.|[{}]", re.DOTALL)


def _brace_pairs(text: str, start: int) -> dict[int, int]:
    """Index of each ``{`` (from ``start``) -> index of its matching ``}``; ``\\{`` and ``\\}`` are literal."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for m in _BRACE_TOKEN_RE.finditer(text, start):
        tok = m.group()
        if tok == "{":
            stack.append(m.start())
        elif tok == "}" and stack:
            pairs[stack.pop()] = m.start()
    return pairs


def extract_boxed(text: str) -> str | None:
    """Content of the last well-formed ``\\boxed{...}``/``\\fbox{...}``/``\\boxed 5`` in ``text``.

    Nested braces are matched (one linear pass); a box whose braces never close (a truncated
    output) is skipped in favour of the previous one. Returns None when there is no box, and ""
    for an empty box. ``\\boxed{\\boxed{x}}`` gives ``x``.
    """
    matches = list(_BOX_RE.finditer(text))
    if not matches:
        return None
    pairs: dict[int, int] | None = None
    for m in reversed(matches):
        j = m.end()
        while j < len(text) and text[j] in " \t":
            j += 1
        if j < len(text) and text[j] == "{":
            if pairs is None:
                pairs = _brace_pairs(text, matches[0].end())
            close = pairs.get(j)
            if close is None:
                continue
            content = text[j + 1 : close].strip()
        elif j > m.end():
            token = re.match(r"[^\s$]+", text[j:])
            if token is None:
                continue
            content = token.group().rstrip(".,;")
        else:
            continue
        if _BOX_RE.match(content):
            inner = extract_boxed(content)
            if inner is not None:
                return inner
        return content
    return None


def extract_answer(
    response: str, marker: str | None = "</think>", fallback_anywhere: bool = False
) -> str | None:
    """The final boxed answer of a response, or None (no answer, including an empty box).

    Only the solution part (after the LAST ``marker``) counts; a response without the marker has
    no solution part. ``fallback_anywhere`` looks at the whole text when the solution part has no
    box; ``marker=None`` or ``""`` treats the whole text as the solution.
    """
    text = str(response)
    if marker:
        _, solution = split_thinking(text, marker)
    else:
        solution = text
    found = extract_boxed(solution) if solution is not None else None
    if found is None and fallback_anywhere:
        found = extract_boxed(text)
    if found is None or not found.strip():
        return None
    return found


# --------------------------------------------------------------------------- normalisation

_TEXT_CMD_RE = re.compile(r"\\(?:text|textbf|textit|mathrm|mathbf|mbox|operatorname)\s*\{([^{}]*)\}")
_SPACING_RE = re.compile(r"\\[,;:! ]|\\q?quad|~")
_UNITS = (
    "cm|mm|km|m|kg|g|mg|s|sec|seconds?|min|minutes?|h|hrs?|hours?|days?|weeks?|years?|degrees?|"
    "dollars?|cents?|inch(?:es)?|in|feet|foot|ft|yards?|miles?|mph|units?|sq|square|meters?|"
    "centimeters?|liters?|l|ml|pounds?|lbs?|ounces?|oz|people|students|apples|points?"
)
_NUM_UNIT_RE = re.compile(
    rf"^(-?[\d.,]+(?:/\d+)?)\s*(?:{_UNITS})(?:\^\{{?[23]\}}?|\^[23])?\.?$", re.IGNORECASE
)


@lru_cache(maxsize=65536)
def normalize_answer(s: str) -> str:
    """Canonical string of an answer for exact comparison (purely textual, never merges two different answers).

    Drops ``$``, ``\\left``/``\\right``, spacing commands, text/mathrm wrappers, ``^\\circ``, ``\\%``,
    ``\\dfrac``/``\\tfrac`` variants, a trailing period, units after a plain number, and all whitespace.
    """
    s = s.strip()
    s = s.replace("$", "")
    for _ in range(3):
        s2 = _TEXT_CMD_RE.sub(r"\1", s)
        if s2 == s:
            break
        s = s2
    s = s.replace("\\left", "").replace("\\right", "")
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\displaystyle", "")
    s = _SPACING_RE.sub(" ", s)
    s = re.sub(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|°|\\degree", "", s)
    s = s.replace("\\%", "").replace("%", "")
    s = s.strip().rstrip(".").strip()
    unit = _NUM_UNIT_RE.match(s)
    if unit:
        s = unit.group(1)
    s = _frac_shorthand(s)
    s = re.sub(r"\s+", "", s)
    return s


_FRAC_SHORT_RE = re.compile(
    r"\\frac\s*(\\[A-Za-z]+(?![A-Za-z])|[0-9A-Za-z])\s*(\\[A-Za-z]+(?![A-Za-z])|[0-9A-Za-z])"
)


def _frac_shorthand(s: str) -> str:
    """``\\frac12`` / ``\\frac \\pi4`` -> ``\\frac{1}{2}`` / ``\\frac{\\pi}{4}`` (math_verify misreads the short forms)."""
    return _FRAC_SHORT_RE.sub(r"\\frac{\1}{\2}", s) if "\\frac" in s else s


_THOUSANDS_RE = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_NUMBER_RE = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)$")
_FRAC_RE = re.compile(r"^([-+]?)\\frac\{([-+]?\d+)\}\{([-+]?\d+)\}$|^([-+]?\d+)/(\d+)$")


def _as_number(norm: str) -> Fraction | None:
    """An exact number from a normalised answer (``1,000``, ``-2.50``, ``\\frac{3}{4}``, ``3/4``), else None."""
    if _THOUSANDS_RE.match(norm):
        norm = norm.replace(",", "")
    if _NUMBER_RE.match(norm):
        try:
            return Fraction(norm)
        except (ValueError, ZeroDivisionError):
            return None
    m = _FRAC_RE.match(norm)
    if m:
        try:
            if m.group(2) is not None:
                value = Fraction(int(m.group(2)), int(m.group(3)))
                return -value if m.group(1) == "-" else value
            return Fraction(int(m.group(4)), int(m.group(5)))
        except ZeroDivisionError:
            return None
    return None


# --------------------------------------------------------------------------- gold preparation

_LETTERS_RE = re.compile(r"^[A-K](?:\s*(?:,|and|、|;)?\s*[A-K])*$")
_OPTION_RE = re.compile(r"\(([A-K])\)\s*")


def prepare_gold(gold: object, benchmark: str) -> str:
    """The gold answer as graded (idempotent): GSM8K's part after ``####`` without commas, integers
    for AIME/AMC (``033`` -> ``33``, ``27.0`` -> ``27``), ``$`` delimiters removed (GaoKao), letters
    kept as letters."""
    kind = BENCHMARKS[resolve_benchmark(benchmark)]
    s = str(gold).strip()
    if kind == "number" and "####" in s:
        s = s.rsplit("####", 1)[1].strip()
    if kind in ("number", "integer", "toy"):
        s = s.replace("$", "").strip()
        if _THOUSANDS_RE.match(s):
            s = s.replace(",", "")
        num = _as_number(normalize_answer(s))
        if num is not None and num.denominator == 1:
            return str(num.numerator)
        return s
    if kind == "gaokao":
        boxed = extract_boxed(s)
        if boxed:
            s = boxed
        s = re.sub(r"\s*solution:\s*$", "", s, flags=re.IGNORECASE)  # a copy artifact in one record
        s = s.replace("$", "").strip()
        s = re.sub(r"\s+", " ", s)
        return s
    if kind == "latex" and "\\boxed" in s:
        boxed = extract_boxed(s)
        if boxed:
            return boxed
    if s.startswith("$") and s.endswith("$") and len(s) > 1:
        s = s.strip("$").strip()
    return s


def _letters(s: str) -> frozenset[str] | None:
    """The set of option letters an answer names (``C``, ``(C)``, ``\\text{(B)}``, ``A, C``, ``AC``), else None."""
    t = normalize_answer(s)
    t = t.replace("\\", "")
    m = re.match(r"^\(?([A-K])\)(?:[:.].*)?$", t)
    if m and len(t) > 3:
        return frozenset(m.group(1))
    t = re.sub(r"[(){}\[\],;、]|and|or", "", t)
    if t and len(t) <= 6 and re.fullmatch(r"[A-K]+", t):
        return frozenset(t)
    return None


@lru_cache(maxsize=4096)
def _parse_options(problem: str) -> dict[str, str]:
    """Options of a multiple-choice problem: ``(A) 50 (B) 42`` -> {"A": "50", "B": "42"}."""
    parts = _OPTION_RE.split(problem)
    opts: dict[str, str] = {}
    for i in range(1, len(parts) - 1, 2):
        text = parts[i + 1].strip()
        text = re.split(r"\s*(?:\n|Answer:|answers?:)", text)[0].strip().rstrip(":?.").strip()
        opts.setdefault(parts[i], text)
    return opts


def _gold_alternatives(gold: str, kind: str) -> list[str]:
    """Golds any of which is a correct answer: GaoKao's ``a or b`` lists give each item and the whole set."""
    if kind == "gaokao":
        if re.search(r"\s+or\s+", gold):
            items = [x.strip() for x in re.split(r"\s+or\s+", gold) if x.strip()]
            return [*items, ", ".join(items)]
        if re.search(r"\s+and\s+", gold):
            return [", ".join(x.strip() for x in re.split(r"\s+and\s+", gold))]
    return [gold]


# --------------------------------------------------------------------------- fast path


def _fast_compare(pred: str, golds: list[str], kind: str) -> bool | None:
    """True/False when decidable without sympy, None to defer to math_verify."""
    npred = normalize_answer(pred)
    ngolds = [normalize_answer(g) for g in golds]
    if npred in ngolds:
        return True
    pnum = _as_number(npred)
    if kind in ("integer", "number", "toy"):
        gnum = _as_number(ngolds[0])
        if pnum is not None and gnum is not None:
            return pnum == gnum
        if kind == "toy":
            return False
        return None
    gnums = [_as_number(g) for g in ngolds]
    if pnum is not None and all(g is not None for g in gnums):
        return pnum in gnums
    return None


# --------------------------------------------------------------------------- worker side


def _worker_verify(golds: tuple[str, ...], pred: str, timeout_s: int) -> bool:
    """math_verify comparison of ``pred`` against any of ``golds`` (runs inside a worker process)."""
    from math_verify import verify

    pred = _frac_shorthand(_set_builder_condition(pred))
    golds = tuple(_frac_shorthand(_set_builder_condition(g)) for g in golds)
    p = _mv_parse_pred(pred, timeout_s)
    if not p:
        return False
    for g in golds:
        gp = _mv_parse_gold(g, timeout_s)
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
def _mv_parse_gold(gold: str, timeout_s: int) -> list:
    from math_verify import parse

    return parse("$" + gold + "$", parsing_timeout=timeout_s)


def _mv_parse_pred(pred: str, timeout_s: int) -> list:
    from math_verify import parse
    from math_verify.parser import ExprExtractionConfig, LatexExtractionConfig

    config = [LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()]
    return parse("\\boxed{" + pred + "}", extraction_config=config, parsing_timeout=timeout_s)


def _worker_main(argv: list[str] | None = None) -> None:
    """Worker process entry point (``python -m elastic_bench.harness.grading --worker MEMORY_MB``).

    Messages travel as pickles over the process's stdin/stdout (stdout is moved to a private fd
    so that nothing a library prints can corrupt the stream): receive (id, golds, pred, timeout),
    answer (id, ok, value); "ready" is sent once the imports are done.
    """
    import logging
    import warnings

    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    argv = sys.argv[1:] if argv is None else argv
    memory_mb = int(argv[1]) if len(argv) > 1 else 0
    out_fd = os.dup(1)
    os.dup2(2, 1)
    conn_in, conn_out = Connection(0, writable=False), Connection(out_fd, readable=False)
    if memory_mb:
        try:
            import resource

            limit = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ImportError, ValueError, OSError):
            pass
    import math_verify.parser  # noqa: F401  (warm the imports before announcing readiness)

    conn_out.send("ready")
    while True:
        try:
            msg = conn_in.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        task_id, golds, pred, timeout_s = msg
        try:
            result = (task_id, True, bool(_worker_verify(golds, pred, timeout_s)))
        except BaseException as exc:  # MemoryError, RecursionError, sympy internals, timeouts
            result = (task_id, False, f"{type(exc).__name__}: {exc}"[:200])
        try:
            conn_out.send(result)
        except (OSError, ValueError):
            return


# --------------------------------------------------------------------------- the pool


class _Worker:
    """One worker subprocess (a fresh interpreter: no fork of the caller, no re-import of ``__main__``)."""

    def __init__(self, memory_mb: int | None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", __name__, "--worker", str(memory_mb or 0)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        self.send_conn = Connection(os.dup(self.proc.stdin.fileno()), readable=False)
        self.recv_conn = Connection(os.dup(self.proc.stdout.fileno()), writable=False)
        self.proc.stdin.close()
        self.proc.stdout.close()
        self.ready = False
        self.task: int | None = None
        self.deadline = 0.0

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self.send_conn.close()
        self.recv_conn.close()


class GraderPool:
    """A persistent pool of math_verify worker processes with a hard per-task timeout.

    A task that overruns its timeout has its worker killed (SIGKILL) and replaced; the task
    reports a timeout. A worker that dies (memory limit, crash) reports an error. The clock of a
    task starts when a ready worker receives it. Not thread-safe by itself; :func:`grade` and
    :func:`grade_many` serialise access to the default pool.
    """

    def __init__(self, workers: int = 2, memory_mb: int | None = DEFAULT_MEMORY_MB) -> None:
        self.size = max(1, int(workers))
        self.memory_mb = memory_mb
        self._workers: list[_Worker] = []
        self.timeouts = 0
        self.restarts = 0

    def run(self, tasks: list[tuple[tuple[str, ...], str]], timeout: float) -> list[tuple[str, object]]:
        """Run ``(golds, pred)`` comparisons; each result is ("ok", bool), ("timeout", None) or ("error", msg)."""
        if not tasks:
            return []
        results: list[tuple[str, object] | None] = [None] * len(tasks)
        while len(self._workers) < min(self.size, len(tasks)):
            self._workers.append(_Worker(self.memory_mb))
        inner_timeout = max(1, int(timeout))
        pending = list(range(len(tasks) - 1, -1, -1))
        start_deadline = time.monotonic() + 60.0
        while pending or any(w.task is not None for w in self._workers):
            for w in self._workers:
                if pending and w.ready and w.task is None:
                    i = pending.pop()
                    try:
                        w.send_conn.send((i, tasks[i][0], tasks[i][1], inner_timeout))
                    except (OSError, ValueError):
                        pending.append(i)
                        self._replace(w)
                        continue
                    w.task, w.deadline = i, time.monotonic() + timeout
            now = time.monotonic()
            busy = [w for w in self._workers if w.task is not None]
            deadlines = [w.deadline for w in busy] or [now + 1.0]
            by_conn = {w.recv_conn: w for w in self._workers}
            ready = wait(list(by_conn), timeout=max(0.0, min(deadlines) - now))
            for conn in ready:
                w = by_conn[conn]
                try:
                    msg = conn.recv()
                except (EOFError, OSError):
                    if w.task is not None:
                        results[w.task] = ("error", "worker died")
                    elif time.monotonic() > start_deadline:
                        raise RuntimeError("grading workers fail to start") from None
                    self._replace(w)
                    continue
                if msg == "ready":
                    w.ready = True
                    continue
                task_id, ok, value = msg
                results[task_id] = ("ok", value) if ok else ("error", value)
                w.task = None
            now = time.monotonic()
            for w in list(self._workers):
                if w.task is not None and now >= w.deadline:
                    results[w.task] = ("timeout", None)
                    self.timeouts += 1
                    self._replace(w)
        return [r if r is not None else ("error", "lost") for r in results]

    def _replace(self, w: _Worker) -> _Worker:
        w.kill()
        self.restarts += 1
        new = _Worker(self.memory_mb)
        self._workers[self._workers.index(w)] = new
        return new

    def close(self) -> None:
        """Stop all workers."""
        for w in self._workers:
            with contextlib.suppress(OSError, ValueError):
                w.send_conn.send(None)
        for w in self._workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                w.proc.wait(timeout=1)
            w.kill()
        self._workers = []


_POOL: GraderPool | None = None
_POOL_LOCK = threading.Lock()


def _default_pool(workers: int) -> GraderPool:
    """The process-wide pool, resized to ``workers`` (surplus workers are stopped, not the others)."""
    global _POOL
    if _POOL is None:
        _POOL = GraderPool(workers)
    elif _POOL.size != workers:
        _POOL.size = max(1, int(workers))
        for w in _POOL._workers[_POOL.size :]:
            w.kill()
        del _POOL._workers[_POOL.size :]
    return _POOL


@atexit.register
def _close_default_pool() -> None:
    if _POOL is not None:
        _POOL.close()


# --------------------------------------------------------------------------- public API


def _prepare(
    response: str,
    gold: str,
    benchmark: str,
    marker: str | None,
    fallback_anywhere: bool,
    problem: str | None,
) -> tuple[Grade | None, str | None, tuple[str, ...]]:
    """Grade without sympy when possible; else (None, extracted, golds for math_verify)."""
    kind = BENCHMARKS[resolve_benchmark(benchmark)]
    extracted = extract_answer(response, marker, fallback_anywhere)
    if extracted is None:
        return Grade(None, False, True, method="no_answer"), None, ()
    if len(extracted) > MAX_ANSWER_CHARS:
        return Grade(extracted, False, False, method="too_long"), None, ()
    g = prepare_gold(gold, benchmark)
    if kind == "gaokao" and _letters(g) is not None:
        gold_letters = _letters(g)
        pred_letters = _letters(extracted)
        if pred_letters is not None:
            return Grade(extracted, pred_letters == gold_letters, False, method="letters"), None, ()
        options = _parse_options(problem) if problem else {}
        texts = tuple(options[x] for x in sorted(gold_letters) if x in options)
        if len(gold_letters) != 1 or not texts:
            return Grade(extracted, False, False, method="letters"), None, ()
        others = {normalize_answer(v) for k, v in options.items() if k not in gold_letters}
        if normalize_answer(extracted) in others:
            return Grade(extracted, False, False, method="option_text"), None, ()
        golds = texts
    else:
        golds = tuple(_gold_alternatives(g, kind))
    fast = _fast_compare(extracted, list(golds), kind)
    if fast is not None:
        return Grade(extracted, fast, False, method="fast"), None, ()
    return None, extracted, golds


def grade(
    response: str,
    gold: str,
    benchmark: str,
    *,
    marker: str | None = "</think>",
    fallback_anywhere: bool = False,
    timeout: float = 5.0,
    problem: str | None = None,
) -> Grade:
    """Grade one response against its gold answer (see the module docstring for the pipeline).

    ``problem`` (optional) lets GaoKao multiple-choice answers given as option text be graded.
    Never raises on model output and returns within about ``timeout`` seconds.
    """
    return grade_many(
        [(response, gold, benchmark, problem)],
        timeout=timeout,
        marker=marker,
        fallback_anywhere=fallback_anywhere,
    )[0]


_RESULT_CACHE: dict[tuple[tuple[str, ...], str], tuple[str, object]] = {}
_RESULT_CACHE_MAX = 200_000


def grade_many(
    items: list[tuple],
    *,
    workers: int = 2,
    timeout: float = 5.0,
    marker: str | None = "</think>",
    fallback_anywhere: bool = False,
) -> list[Grade]:
    """Grade ``(response, gold, benchmark)`` items (an optional 4th element is the problem text).

    Answers decided by the fast path never leave the process; the rest go to a persistent pool of
    ``workers`` processes, each answer under a hard ``timeout`` (seconds). Identical
    (gold, answer) comparisons are computed once and cached.
    """
    grades: list[Grade | None] = []
    todo: dict[tuple[tuple[str, ...], str], list[int]] = {}
    extracted_at: dict[int, str] = {}
    for i, item in enumerate(items):
        response, gold, benchmark = item[0], item[1], item[2]
        problem = item[3] if len(item) > 3 else None
        done, extracted, golds = _prepare(
            "" if response is None else response, gold, benchmark, marker, fallback_anywhere, problem
        )
        grades.append(done)
        if done is None:
            extracted_at[i] = extracted
            todo.setdefault((golds, extracted), []).append(i)
    keys = [k for k in todo if k not in _RESULT_CACHE]
    if keys:
        with _POOL_LOCK:
            outcomes = _default_pool(workers).run(keys, timeout)
        for key, outcome in zip(keys, outcomes, strict=True):
            if outcome[0] != "timeout":
                if len(_RESULT_CACHE) >= _RESULT_CACHE_MAX:
                    _RESULT_CACHE.clear()
                _RESULT_CACHE[key] = outcome
            for i in todo[key]:
                grades[i] = _from_outcome(extracted_at[i], outcome)
    for key, idx in todo.items():
        if key in _RESULT_CACHE:
            for i in idx:
                if grades[i] is None:
                    grades[i] = _from_outcome(extracted_at[i], _RESULT_CACHE[key])
    if any(g is None for g in grades):  # pragma: no cover - defensive
        print("elastic_bench.grading: internal error, ungraded items counted wrong", file=sys.stderr)
    return [g if g is not None else Grade(None, False, False, method="error") for g in grades]


def _from_outcome(extracted: str, outcome: tuple[str, object]) -> Grade:
    status, value = outcome
    if status == "ok":
        return Grade(extracted, bool(value), False, method="math_verify")
    if status == "timeout":
        return Grade(extracted, False, False, timed_out=True, method="timeout")
    return Grade(extracted, False, False, timed_out=True, method="error")


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:
    _worker_main()
