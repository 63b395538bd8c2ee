"""A crash-safe journal of finished responses, so an interrupted sweep resumes where it stopped.

lm-eval's ``--use_cache`` skips sampled requests (``do_sample``), which is the default for the
paper protocols; our sampled requests are reproducible (seeded per sample j), so the backend can
journal them itself. Keys cover everything that determines a response: the model fingerprint,
the prompt, the generation kwargs, the sample index and the seed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
from pathlib import Path

from elastic_bench.harness.response import ElasticResponse, TokenAccounting


def journal_key(fingerprint: str, context: str, gen_kwargs: dict, sample_index: int, seed: int) -> str:
    """A stable key for one request's response."""
    payload = json.dumps([fingerprint, context, gen_kwargs, sample_index, seed], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


class ResponseJournal:
    """Responses with their token accounting in one SQLite file (each batch committed at once)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute(
            "create table if not exists responses (key text primary key, text text, accounting text, marker text)"
        )
        self._db.commit()

    def get_many(self, keys: list[str]) -> dict[str, ElasticResponse]:
        """The journaled responses among ``keys``."""
        found: dict[str, ElasticResponse] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            rows = self._db.execute(
                f"select key, text, accounting, marker from responses where key in ({','.join('?' * len(chunk))})",
                chunk,
            )
            for key, text, acct, marker in rows:
                found[key] = ElasticResponse(text, TokenAccounting(**json.loads(acct)), marker)
        return found

    def put_many(self, items: list[tuple[str, ElasticResponse]]) -> None:
        """Record finished responses (durable when this returns)."""
        self._db.executemany(
            "insert or replace into responses values (?, ?, ?, ?)",
            [(k, str(r), json.dumps(dataclasses.asdict(r.accounting)), r.marker) for k, r in items],
        )
        self._db.commit()

    def __len__(self) -> int:
        return self._db.execute("select count(*) from responses").fetchone()[0]
