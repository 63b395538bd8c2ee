"""Reading a request's response journal (the SQLite file its backend writes): progress, and whether
anything was generated twice.

The backend records one row per finished response and one per generation (the tables named in
:mod:`elastic_bench.harness.protocol`); the queue only reads them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from elastic_bench.harness.protocol import JOURNAL_GENERATIONS_TABLE, JOURNAL_RESPONSES_TABLE

JOURNAL_FILENAME = "journal.sqlite"


@dataclass(frozen=True)
class JournalCounts:
    """Responses kept, generations made and how many distinct responses those generations were."""

    responses: int = 0
    generations: int = 0
    distinct_generated: int = 0

    @property
    def regenerated(self) -> int:
        """Generations of a response that had already been generated (0 when nothing was done twice)."""
        return self.generations - self.distinct_generated


def journal_counts(path: str | Path) -> JournalCounts:
    """The counts of a journal file (zeros when it does not exist yet or cannot be read)."""
    path = Path(path)
    if not path.is_file():
        return JournalCounts()
    try:
        db = sqlite3.connect(path, timeout=5.0)
        try:
            responses = db.execute(f"select count(*) from {JOURNAL_RESPONSES_TABLE}").fetchone()[0]
            generations, distinct = db.execute(
                f"select count(*), count(distinct key) from {JOURNAL_GENERATIONS_TABLE}"
            ).fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return JournalCounts()
    return JournalCounts(responses, generations, distinct)
