"""Answer normalisation, gold preparation and the in-process (no sympy) comparison of answers.

* :func:`to_latex`: what models write in plain text -> LaTeX math_verify reads (Unicode ``√ − × · π``,
  ``1e3``).
* :func:`normalize_answer`: a canonical string for exact comparison (never merges different answers).
* :func:`prepare_gold`: the gold as graded, by the benchmark's ``answer_kind`` (from the registry).
* :func:`fast_compare`: True/False when decidable without sympy (strings, exact numbers, option
  letters, text answers), None to defer to math_verify.
"""

from __future__ import annotations

import contextlib
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache

from elastic_bench.harness.benchmarks import get_benchmark
from elastic_bench.harness.grading._extraction import extract_boxed

__all__ = [
    "answer_kind",
    "as_number",
    "fast_compare",
    "frac_shorthand",
    "gold_alternatives",
    "letters",
    "normalize_answer",
    "parse_options",
    "prepare_gold",
    "to_latex",
]


def answer_kind(benchmark: str) -> str:
    """The registry's ``answer_kind`` of a benchmark, alias or task name."""
    return get_benchmark(benchmark).answer_kind


# --------------------------------------------------------------------------- plain text -> LaTeX

_UNICODE = {
    "−": "-",  # noqa: RUF001  (U+2212 minus)
    "–": "-",  # noqa: RUF001  (en dash used as a minus)
    "×": "\\times ",  # noqa: RUF001
    "·": "\\cdot ",
    "⋅": "\\cdot ",
    "÷": "\\div ",
    "π": "\\pi ",
    "∞": "\\infty ",
    "≤": "\\le ",
    "≥": "\\ge ",
    "≠": "\\ne ",
    "²": "^2",
    "³": "^3",
    "½": "\\frac{1}{2}",
    "\u00a0": " ",
}
_UNICODE_RE = re.compile("|".join(map(re.escape, _UNICODE)))
_SQRT_RE = re.compile(r"√\s*(\((?:[^()]|\([^()]*\))*\)|\{[^{}]*\}|\d+(?:\.\d+)?|[A-Za-z]|\\pi)")
_SCI_RE = re.compile(r"^([-+]?\d+(?:\.\d+)?)[eE]([-+]?\d+)$")


@lru_cache(maxsize=65536)
def to_latex(s: str) -> str:
    """``3√13`` -> ``3\\sqrt{13}``, ``−5`` -> ``-5``, ``2×10^3`` -> ``2\\times 10^3``, ``1e3`` -> ``1000``."""
    if "√" in s:
        s = _SQRT_RE.sub(lambda m: "\\sqrt{" + m.group(1).strip("(){}") + "}", s)
    s = _UNICODE_RE.sub(lambda m: _UNICODE[m.group()], s)
    sci = _SCI_RE.match(s.strip())
    if sci:
        with contextlib.suppress(InvalidOperation):
            s = format(Decimal(s.strip()), "f")
    return s.strip()


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
    s = frac_shorthand(s)
    s = re.sub(r"\s+", "", s)
    return s


_FRAC_SHORT_RE = re.compile(
    r"\\frac\s*(\\[A-Za-z]+(?![A-Za-z])|[0-9A-Za-z])\s*(\\[A-Za-z]+(?![A-Za-z])|[0-9A-Za-z])"
)


def frac_shorthand(s: str) -> str:
    """``\\frac12`` / ``\\frac \\pi4`` -> ``\\frac{1}{2}`` / ``\\frac{\\pi}{4}`` (math_verify misreads the short forms)."""
    return _FRAC_SHORT_RE.sub(r"\\frac{\1}{\2}", s) if "\\frac" in s else s


_THOUSANDS_RE = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_NUMBER_RE = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$")
_FRAC_RE = re.compile(r"^([-+]?)\\frac\{([-+]?\d+)\}\{([-+]?\d+)\}$|^([-+]?\d+)/(\d+)$")


def as_number(norm: str) -> Fraction | None:
    """An exact number from a normalised answer (``1,000``, ``-2.50``, ``1e3``, ``\\frac{3}{4}``, ``3/4``), else None."""
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

_OPTION_RE = re.compile(r"\(([A-K])\)\s*")


def prepare_gold(gold: object, benchmark: str) -> str:
    """The gold answer as graded (idempotent): GSM8K's part after ``####`` without commas, integers
    for AIME/AMC (``033`` -> ``33``, ``27.0`` -> ``27``), ``$`` delimiters removed (GaoKao), letters
    kept as letters."""
    kind = answer_kind(benchmark)
    s = str(gold).strip()
    if kind == "number" and "####" in s:
        s = s.rsplit("####", 1)[1].strip()
    if kind in ("number", "integer", "toy"):
        s = s.replace("$", "").strip()
        if _THOUSANDS_RE.match(s):
            s = s.replace(",", "")
        num = as_number(normalize_answer(s))
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


def letters(s: str) -> frozenset[str] | None:
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
def parse_options(problem: str) -> dict[str, str]:
    """Options of a multiple-choice problem: ``(A) 50 (B) 42`` -> {"A": "50", "B": "42"}."""
    parts = _OPTION_RE.split(problem)
    opts: dict[str, str] = {}
    for i in range(1, len(parts) - 1, 2):
        text = parts[i + 1].strip()
        text = re.split(r"\s*(?:\n|Answer:|answers?:)", text)[0].strip().rstrip(":?.").strip()
        opts.setdefault(parts[i], text)
    return opts


def gold_alternatives(gold: str, kind: str) -> list[str]:
    """Golds any of which is a correct answer: GaoKao's ``a or b`` lists give each item and the whole set."""
    if kind == "gaokao":
        if re.search(r"\s+or\s+", gold):
            items = [x.strip() for x in re.split(r"\s+or\s+", gold) if x.strip()]
            return [*items, ", ".join(items)]
        if re.search(r"\s+and\s+", gold):
            return [", ".join(x.strip() for x in re.split(r"\s+and\s+", gold))]
    return [gold]


# --------------------------------------------------------------------------- comparison

_TEXT_GOLD_RE = re.compile(r"[A-Za-z]{2,}(?:[ '-][A-Za-z]+)*")
_NEGATION_RE = re.compile(r"\b(?:not|no|never|neither|nor|n't|cannot)\b|n't\b")


def _words(s: str) -> list[str]:
    s = _TEXT_CMD_RE.sub(r"\1", s.replace("$", ""))
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", s.lower())


def text_compare(pred: str, gold: str) -> bool:
    """For a text gold (``Evelyn``, ``\\text{east}``): whether the prediction names it (``evelyn``,
    ``Evelyn has the greatest average speed``) with nothing mathematical or negated after it.

    Only words count as text golds (a word of 3+ letters with a vowel), so ``ab`` stays algebra.
    """
    g = _TEXT_CMD_RE.sub(r"\1", gold.replace("$", "")).strip()
    if not _TEXT_GOLD_RE.fullmatch(g) or not re.search(r"(?i)(?=[a-z]*[aeiouy])[a-z]{3,}", g):
        return False
    gw, pw = _words(g), _words(pred)
    rest = pw[len(gw) :]
    return pw[: len(gw)] == gw and all(w.isalpha() for w in rest) and not _NEGATION_RE.search(" ".join(rest))


def fast_compare(pred: str, golds: list[str], kind: str) -> bool | None:
    """True/False when decidable without sympy, None to defer to math_verify."""
    npred = normalize_answer(pred)
    ngolds = [normalize_answer(g) for g in golds]
    if npred in ngolds:
        return True
    pnum = as_number(npred)
    if kind in ("integer", "number", "toy"):
        gnum = as_number(ngolds[0])
        if pnum is not None and gnum is not None:
            return pnum == gnum
        if kind == "toy":
            return False
        return None
    gnums = [as_number(g) for g in ngolds]
    if pnum is not None and all(g is not None for g in gnums):
        return pnum in gnums
    if any(text_compare(pred, g) for g in golds):
        return True
    return None
