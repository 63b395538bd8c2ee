"""Checks of the data files against the documents they were transcribed from.

Every value must come from its row: the row's (or value's) ``line`` is a line of the document; in
a markdown table row the value's ``quote`` lies in the cell of the version's column (in the given
``part`` of it, parts separated by ';', '->' or ' / '), elsewhere in the line; the printed numbers lie
in the quote. :func:`uncovered_pairs` finds accuracy/token pairs of LITERATURE.md rows no value takes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from elastic_bench.leaderboard_app.published._format import CurvePoint, Row, SourceTable, Value

_PART = re.compile(r"\s*(?:;|->| / )\s*")
#: an accuracy/tokens pair as LITERATURE.md prints it (not part of a longer a/b/c run)
_PAIR = re.compile(r"(?<![\d./])\d+(?:\.\d+)?/\d[\d,]*(?:\.\d+)?(?![\d/.])")
#: LITERATURE.md's Numbers columns holding the benchmarks the leaderboard shows
LITERATURE_COLUMNS = ("AIME24", "MATH500", "GSM8K", "AMC", "LCB")


def _norm(text: str) -> str:
    return " ".join(text.split())


def cells(line: str) -> list[str]:
    """The cells of a markdown table row."""
    return [c.strip() for c in line.strip().strip("|").split("|")]


def header_of(document: str, line: str) -> list[str] | None:
    """The header cells of the markdown table holding ``line`` (None when the line is not a table row)."""
    lines = document.splitlines()
    if not line.lstrip().startswith("|") or line not in lines:
        return None
    i = lines.index(line)
    while i > 0 and lines[i - 1].lstrip().startswith("|"):
        i -= 1
    return cells(lines[i])


def _values(row: Row) -> Iterator[tuple[str, Value]]:
    for version, value in row.values.items():
        yield version, value
    for version, points in row.curves.items():
        for point in points:
            yield version, point


def cited_lines(table: SourceTable) -> set[str]:
    """Every document line the table's rows and values cite."""
    return {line for row in table.rows for line in (row.line, *(v.line for _, v in _values(row) if v.line))}


def value_problems(table: SourceTable, document: str) -> list[str]:
    """Every disagreement between ``table``'s values and ``document`` (its ``table.document``), one line each."""
    problems = []
    normalized = _norm(document)
    lines = set(document.splitlines())
    for row in table.rows:
        for version, value in _values(row):
            where = f"{table.table}: {row.model} [{version}]" + (
                f" {value.label}" if isinstance(value, CurvePoint) else ""
            )
            line = value.line or row.line
            if line not in lines and _norm(line) not in normalized:
                problems.append(f"{where}: line not in {table.document}: {line[:80]!r}")
                continue
            holder = line
            header = header_of(document, line)
            if header is not None:
                column = table.columns.get(version)
                if column not in header:
                    problems.append(f"{where}: no column {column!r} in the table of {table.document}")
                    continue
                holder = cells(line)[header.index(column)]
                part = value.part if value.part is not None else row.part
                if part is not None:
                    pieces = _PART.split(holder)
                    if part >= len(pieces):
                        problems.append(f"{where}: cell {holder!r} has no part {part}")
                        continue
                    holder = pieces[part]
            if value.quote not in holder:
                problems.append(f"{where}: {value.quote!r} is not in {holder!r}")
            for name in ("acc", "tokens", "rating", "percentile"):
                printed = getattr(value, name)
                if printed is not None and printed not in value.quote:
                    problems.append(f"{where}: {name} {printed!r} is not in its quote {value.quote!r}")
            if value.answer_quote is not None:
                if value.answer_quote not in line:
                    problems.append(f"{where}: answer quote {value.answer_quote!r} is not in the line")
                if value.answer_tokens not in value.answer_quote:
                    problems.append(f"{where}: answer tokens {value.answer_tokens!r} not in their quote")
    return problems


def literature_pairs(line: str, header: list[str]) -> list[str]:
    """The accuracy/token pairs of a LITERATURE.md Numbers row in the leaderboard's columns, AIME 2025
    ones of the 'Other' column included (its 'AIME‡' / 'AIME25' parts and their continuations)."""
    row = cells(line)
    found = [p for col in LITERATURE_COLUMNS for p in _PAIR.findall(row[header.index(col)])]
    keep = False
    for piece in row[header.index("Other")].split(";"):
        piece = piece.strip()
        if piece[:1].isalpha() or piece[:1] in "\"'":
            keep = piece.startswith(("AIME‡", "AIME25"))
        if keep:
            found += _PAIR.findall(piece)
    return found


def uncovered_pairs(tables: list[SourceTable], document: str) -> list[str]:
    """LITERATURE.md Numbers rows whose accuracy/token pairs no data-file value takes (nor takes twice)."""
    taken: Counter[tuple[str, str]] = Counter()
    for table in tables:
        if table.document != "LITERATURE.md":
            continue
        for row in table.rows:
            for _, value in _values(row):
                if value.tokens is not None:
                    taken[(value.line or row.line, value.quote)] += 1
    problems = []
    for line in document.splitlines():
        if not re.match(r"^\| \d+ \|", line):
            continue
        header = header_of(document, line)
        assert header is not None
        want = Counter(literature_pairs(line, header))
        got = Counter({quote: n for (ln, quote), n in taken.items() if ln == line})
        if want != got:
            problems.append(
                f"row {cells(line)[0]}: printed pairs {sorted(want.elements())}, data files take "
                f"{sorted(got.elements())}"
            )
    return problems
