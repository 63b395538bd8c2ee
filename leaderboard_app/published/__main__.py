"""``python -m elastic_bench.leaderboard_app.published [DIR] [--clean] [--check DOCS]``: build the reported entries.

Writes one result file per (table row, benchmark version) of the data files into DIR (default
``results/reported``); ``--clean`` then removes the reported entries there that the data files no
longer produce. Prints the number of entries per source table and per benchmark. ``--check DOCS``
first checks every value against the documents it was transcribed from (LITERATURE.md, ... in DOCS)
and writes nothing when one disagrees.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from elastic_bench.leaderboard_app.published._build import counts, published_results, write_published
from elastic_bench.leaderboard_app.published._format import load_tables
from elastic_bench.leaderboard_app.published._verify import uncovered_pairs, value_problems


def check(docs: Path) -> list[str]:
    """Every disagreement between the data files and the documents in ``docs``, one line each."""
    tables = load_tables()
    texts = {t.document: (docs / t.document).read_text(encoding="utf-8") for t in tables}
    problems = [p for t in tables for p in value_problems(t, texts[t.document])]
    if "LITERATURE.md" in texts:
        problems += uncovered_pairs(tables, texts["LITERATURE.md"])
    return problems


def _stale(directory: Path, keep: set[str]) -> list[Path]:
    stale = []
    for path in sorted(directory.glob("*.json")):
        try:
            kind = json.loads(path.read_text(encoding="utf-8")).get("kind")
        except (OSError, ValueError, AttributeError):
            continue
        if kind == "reported" and path.name not in keep:
            stale.append(path)
    return stale


def main(argv: list[str] | None = None) -> None:
    """Build the entries and print the counts."""
    parser = argparse.ArgumentParser(prog="python -m elastic_bench.leaderboard_app.published")
    parser.add_argument("directory", nargs="?", default="results/reported")
    parser.add_argument("--clean", action="store_true", help="remove reported entries no data file produces")
    parser.add_argument(
        "--check", type=Path, metavar="DOCS", help="check the values against DOCS/LITERATURE.md, ..."
    )
    args = parser.parse_args(argv)
    if args.check is not None:
        problems = check(args.check)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            sys.exit(f"{len(problems)} values disagree with {args.check}; nothing written")
        print(f"every value agrees with the documents in {args.check}")
    directory = Path(args.directory)
    written = write_published(directory)
    if args.clean:
        for path in _stale(directory, {p.name for p in written}):
            path.unlink()
            print(f"removed {path}")
    by_source, by_bench = counts(published_results())
    print(f"{len(written)} reported entries written to {directory}")
    print("per source table:")
    for name, n in sorted(by_source.items()):
        print(f"  {n:4d}  {name}")
    print("per benchmark:")
    for name, n in sorted(by_bench.items()):
        print(f"  {n:4d}  {name}")


if __name__ == "__main__":
    main()
