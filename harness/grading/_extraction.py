"""Finding the final answer in a response: the last ``\\boxed{}``, else a final-answer statement.

Only the solution part counts: the text after the LAST end-of-thinking marker. A response without
the marker has no solution part (its thinking was cut short), so no answer, unless the caller passes
``marker=None`` (the whole text is the solution) or asks for ``fallback_anywhere`` (the last box of
the whole text). Nothing is ever taken from inside the thinking otherwise.

Order: (1) the last well-formed box of the solution part; (2) unless boxes are demanded
(``strict_boxed``), the last explicit final-answer statement of the solution part ("**Answer:** 42",
"Final answer: 7", "the answer is 3√13 units"); (3) with ``fallback_anywhere``, the last box anywhere.
Statements are read conservatively: a hedged or negated statement ("the answer is either 3 or 5",
"the answer is not 5") gives no answer rather than a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from elastic_bench.harness.protocol import THINK_END, split_thinking

__all__ = [
    "BOXED",
    "NONE",
    "STATEMENT",
    "Extraction",
    "extract",
    "extract_answer",
    "extract_boxed",
    "extract_statement",
]

#: values of :attr:`Extraction.source`
BOXED, STATEMENT, NONE = "boxed", "statement", "none"

_BOX_RE = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")
_BRACE_TOKEN_RE = re.compile(r"\\.|[{}]", re.DOTALL)


@dataclass(frozen=True)
class Extraction:
    """The answer found in a response (``text`` None when there is none) and where it came from."""

    text: str | None
    source: str = NONE


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


# --------------------------------------------------------------------------- statements

_MD = r"(?:\*\*|__|\*|_)?"
_CUE_RE = re.compile(
    # "Answer: 42", "**Final Answer:** 42", "## Answer: 42", "- **Answer**: 42" (a line's label)
    rf"(?:^|\n)[ \t>#*_-]*{_MD}[ \t]*(?:final[ \t]+)?answer[ \t]*{_MD}[ \t]*[:：][ \t]*{_MD}"
    # "### Final Answer" / "**Final Answer**" as a heading: the value is on the next line
    rf"|(?:^|\n)[ \t>#*_-]*{_MD}[ \t]*final[ \t]+answer[ \t]*{_MD}[ \t]*(?=\n)"
    # "the final answer is", "the answer is:", "our answer would be", "final answer: "
    r"|\b(?:the|my|our)[ \t]+(?:final[ \t]+|correct[ \t]+)?answer[ \t]+(?:is|would[ \t]+be|should[ \t]+be|=)[ \t]*:?"
    r"|\bfinal[ \t]+answer[ \t]*(?:is|=|:)[ \t]*:?",
    re.IGNORECASE,
)
_MATH_RE = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
_LEAD_RE = re.compile(
    r"^(?:(?:therefore|thus|hence|then|so|simply|just|exactly|precisely|indeed|equal[ \t]+to|equals|"
    r"given[ \t]+by|a[ \t]+total[ \t]+of|that)\b[ \t,:]*)+",
    re.IGNORECASE,
)
_NEGATED_RE = re.compile(r"^(?:not|n't|never)\b", re.IGNORECASE)
_HEDGE_RE = re.compile(
    r"\?|\b(?:either|maybe|perhaps|probably|possibly|likely|unclear|unknown|uncertain|approximately|"
    r"about|around|roughly|between|or|guess|if|otherwise|unless|depending)\b",
    re.IGNORECASE,
)
#: "the answer is clear / correct / as follows / shown below": not a value, look further back
_FILLER_RE = re.compile(
    r"^(?:clear|correct|incorrect|wrong|right|obvious|straightforward|simple|consistent|reasonable|"
    r"above|below|shown|given|as[ \t]+follows|the[ \t]+following|the[ \t]+same|this|in|to|from|that)\b",
    re.IGNORECASE,
)
_CUT_RE = re.compile(
    r"(?<!\\)[.;!](?=\s|$)|,\s+(?:which|so|since|because|as|and|but|not|or|where|when|if)\b|\s+(?:since|because)\b",
    re.IGNORECASE,
)
#: only the last few cues are read (a solution repeating "Answer:" thousands of times stays linear)
MAX_CUES = 20
#: a stated value longer than this is an explanation, not an answer
MAX_STATEMENT_CHARS = 300
_WORD_RE = re.compile(r"^(?:[A-Za-z]{2,}|[A-Za-z]+/[A-Za-z]+)(?:\^?[23²³])?[.,;:!]?$")
_MATHY_RE = re.compile(r"[\d\\√π∞]")


def extract_statement(solution: str) -> str | None:
    """The value of the last explicit final-answer statement in ``solution``, or None.

    A negated statement ("the answer is not 5") cancels an earlier statement of that value; a hedged
    one ("either 3 or 5", "probably 4", "5?") gives None; a filler ("the answer is clear") is skipped.
    """
    negated: set[str] = set()
    cues = list(_CUE_RE.finditer(solution))[-MAX_CUES:]
    if not cues:
        return None
    ends = [m.start() for m in cues[1:]] + [len(solution)]
    for m, end in reversed(list(zip(cues, ends, strict=True))):
        kind, value = _statement_value(solution[: max(end, m.end())], m.end())
        if kind == "negated":
            negated.add(_key(value))
        elif kind == "value":
            return None if _key(value) in negated else value
        elif kind == "stop":
            return None
    return None


def _key(value: str) -> str:
    return re.sub(r"[\s$]+", "", value).lower()


def _statement_value(text: str, start: int) -> tuple[str, str]:
    """("value", v) | ("negated", v) | ("skip", "") | ("stop", "") for the text after a cue."""
    line_end = text.find("\n", start)
    line = text[start : line_end if line_end >= 0 else len(text)]
    if not _strip_md(line):  # the value is on the next non-empty line ("Final Answer:\n\n$42$")
        rest = text[start : start + 4 * MAX_STATEMENT_CHARS].lstrip("\n \t")
        line = rest.split("\n", 1)[0]
        if line.lstrip().startswith("\\["):  # a display block over several lines
            m = _MATH_RE.match(rest.lstrip())
            if m is None:
                return "stop", ""
            line = m.group()
    value = _strip_md(line)
    value = _LEAD_RE.sub("", value).strip()
    if not value:
        return "skip", ""
    negated = _NEGATED_RE.match(value)
    if negated:
        value = value[negated.end() :].strip()
    maths = [next(g for g in m.groups() if g is not None) for m in _MATH_RE.finditer(value)]
    if maths:
        around = _MATH_RE.sub(" M ", value)
        cut = _CUT_RE.search(around)
        if not negated and (len(maths) > 1 or _HEDGE_RE.search(around[: cut.start()] if cut else around)):
            return "stop", ""  # "$3$ and $5$", "probably $4$": no single sure value
        out = maths[0].strip()
    else:
        if _FILLER_RE.match(value) and not negated and not _MATHY_RE.search(value):
            return "skip", ""
        cut = _CUT_RE.search(value)
        sentence = value[: cut.start()] if cut else value
        kind, out = _last_expression(sentence)
        if kind == "stop" and not negated:
            return "stop", ""
        if kind != "value":
            out = out or sentence
            if _HEDGE_RE.search(out) and not negated:
                return "stop", ""
    out = out.strip().rstrip(".,;:").strip()
    if not out:
        return "skip", ""
    if len(out) > MAX_STATEMENT_CHARS:
        return "stop", ""
    return ("negated" if negated else "value"), out


def _strip_md(s: str) -> str:
    return s.replace("**", "").replace("__", "").replace("`", "").strip().lstrip(":：").strip()


_OP_RE = re.compile(r"^[+\-−×·÷/*=<>≤≥±]+$")
_VAR_RE = re.compile(r"^\(?[A-Za-z]\)?$")
#: words that join two values into a list or a condition: no single value is stated
_JOINS = {"and", "or", "nor", "both", "either", "when", "whenever", "where", "if", "unless", "otherwise"}
#: "there is no solution", "the limit does not exist": a statement that no value answers
_NO_VALUE_RE = re.compile(
    r"\bno\s+(?:real\s+|integer\s+|such\s+|valid\s+|possible\s+)?(?:solutions?|answers?|values?|roots?|such)\b"
    r"|\b(?:does\s+not|doesn't|do\s+not|don't)\s+exist\b|\bnot\s+(?:defined|possible)\b"
    r"|\bundefined\b|\bimpossible\b"
    r"|\b(?:cannot|can't|could\s+not|couldn't|unable\s+to)\s+(?:be\s+)?(?:determined?|find|found|solved?)\b",
    re.IGNORECASE,
)


_COMMAND_SPACE_RE = re.compile(r"(\\[A-Za-z]+)\s+\{")
_COPULA = {"is", "are", "was", "were", "equals", "="}


def _tokens(text: str) -> list[str]:
    """Whitespace tokens, keeping brace groups (``\\text{ cents}``) and ``\\begin..\\end`` blocks whole."""
    text = _COMMAND_SPACE_RE.sub(r"\1{", text)  # "\\text {cm}" is one group
    tokens, current, depth, envs, i = [], "", 0, 0, 0
    while i < len(text):
        if text.startswith("\\begin{", i):
            envs += 1
        elif text.startswith("\\end{", i):
            envs = max(0, envs - 1)
        ch = text[i]
        depth += 1 if ch == "{" else -1 if ch == "}" and depth else 0
        if ch.isspace() and depth == 0 and envs == 0:
            if current:
                tokens.append(current)
            current = ""
        else:
            current += ch
        i += 1
    return [*tokens, current] if current else tokens


def _token_kinds(tokens: list[str]) -> list[str]:
    """``math`` (a number or mathematical symbol), ``op``, ``var`` (a lone letter beside an operator
    or a LaTeX command) or ``word`` (units included: ``cm²``, ``km/h``) for each token."""
    kinds = []
    for tok in tokens:
        bare = tok.rstrip(".,;:!")
        if not bare or _WORD_RE.match(tok):
            kinds.append("word")
        elif _MATHY_RE.search(bare):
            kinds.append("math")
        elif _OP_RE.match(bare):
            kinds.append("op")
        else:
            kinds.append("var" if _VAR_RE.match(bare) else "word")

    def binds(j: int) -> bool:
        return 0 <= j < len(kinds) and (kinds[j] == "op" or tokens[j].startswith("\\"))

    for i, kind in enumerate(kinds):
        if kind == "var" and not (binds(i - 1) or binds(i + 1)):
            kinds[i] = "word"
    return kinds


def _last_expression(value: str) -> tuple[str, str]:
    """The last mathematical expression of a stated sentence, with the words and units around it
    dropped: ``The perimeter is 42 inches`` -> 42, ``196 has 9 divisors`` -> 9, ``3√13 units`` -> 3√13.

    Returns ("value", v); ("text", value) when the sentence holds no mathematics (a text answer, kept
    whole, or what follows its last "is"); ("stop", "") when it says no value answers ("there is no solution") or its last values
    are a list or a condition ("3 and 5", "24 if ..., otherwise 12") or hedged ("about 42")."""
    if _NO_VALUE_RE.search(value):
        return "stop", ""
    tokens = _tokens(value)
    kinds = _token_kinds(tokens)
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and kinds[j] != "word":
            j += 1
        if "math" in kinds[i:j]:
            runs.append((i, j))
        i = max(j, i + 1)
    if not runs:
        copulas = [i for i, t in enumerate(tokens) if t.lower() in _COPULA]
        if copulas and copulas[-1] + 1 < len(tokens):  # "the fastest is Evelyn" -> Evelyn
            return "text", " ".join(tokens[copulas[-1] + 1 :])
        return "text", value
    start, end = runs[-1]
    if len(runs) > 1:
        between = {t.lower().strip(".,;:") for t in tokens[runs[-2][1] : start]}
        if between & _JOINS:
            return "stop", ""
    if _HEDGE_RE.search(" ".join(tokens[max(0, start - 3) :])):
        return "stop", ""
    while start < end and kinds[start] == "op":
        start += 1
    while end > start and kinds[end - 1] == "op":
        end -= 1
    return "value", " ".join(tokens[start:end])


# --------------------------------------------------------------------------- the whole response


def extract(
    response: str,
    marker: str | None = THINK_END,
    *,
    fallback_anywhere: bool = False,
    strict_boxed: bool = False,
) -> Extraction:
    """The final answer of a response and its source (see the module docstring for the order).

    ``marker=None`` or ``""`` treats the whole text as the solution. An empty box is no answer.
    """
    text = str(response)
    solution = split_thinking(text, marker)[1]
    if solution is not None:
        boxed = extract_boxed(solution)
        if boxed is not None:
            return Extraction(boxed, BOXED) if boxed.strip() else Extraction(None, NONE)
        if not strict_boxed:
            stated = extract_statement(solution)
            if stated:
                return Extraction(stated, STATEMENT)
    if fallback_anywhere:
        boxed = extract_boxed(text)
        if boxed is not None and boxed.strip():
            return Extraction(boxed, BOXED)
    return Extraction(None, NONE)


def extract_answer(
    response: str,
    marker: str | None = THINK_END,
    fallback_anywhere: bool = False,
    strict_boxed: bool = False,
) -> str | None:
    """The final answer of a response (box, else final-answer statement), or None; see :func:`extract`."""
    return extract(response, marker, fallback_anywhere=fallback_anywhere, strict_boxed=strict_boxed).text
