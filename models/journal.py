"""A crash-safe journal of finished responses, so an interrupted sweep resumes where it stopped.

lm-eval's ``--use_cache`` skips sampled requests (``do_sample``), which is the default for the
paper protocols; our sampled requests are reproducible (seeded per sample j), so the backend can
journal them itself. A key covers everything that can change a response: the backend's
fingerprint (weights, dtype, device, chat template and chat mode, end-of-thinking marker, default
``max_gen_toks``: see ``BudgetedLM``), the prompt, the generation kwargs, the sample index and
the seed. Batch size and ``share_prefix`` are not part of it: the shared-prefix sweep gives the
same tokens as generating each budget alone (tests/test_strategies.py), and batching is an
execution detail.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
from pathlib import Path

from elastic_bench.harness.generation import ElasticResponse, TokenAccounting


class JournalError(OSError):
    """The journal file cannot be used (corrupt, locked by another run, unwritable); one line."""


def journal_key(fingerprint: str, context: str, gen_kwargs: dict, sample_index: int, seed: int) -> str:
    """A stable key for one request's response."""
    payload = json.dumps([fingerprint, context, gen_kwargs, sample_index, seed], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


class ResponseJournal:
    """Responses with their token accounting in one SQLite file (each batch committed at once)."""

    def __init__(self, path: str | Path, timeout: float = 10.0):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=timeout)
            self._db.execute("pragma journal_mode=wal")
            self._db.execute(
                "create table if not exists responses "
                "(key text primary key, text text, accounting text, marker text)"
            )
            self._db.commit()
            self._db.execute("select key, text, accounting, marker from responses limit 1").fetchall()
        except (sqlite3.Error, OSError) as exc:
            raise self._error(exc) from None

    def _error(self, exc: BaseException) -> JournalError:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "locked" in reason or "busy" in reason:
            hint = "another run is using it; wait for it or pass another journal= / --no-cache"
        else:
            hint = "delete it (its responses are regenerated) or pass another journal= / --no-cache"
        return JournalError(f"response journal {self.path}: {reason}; {hint}")

    def get_many(self, keys: list[str]) -> dict[str, ElasticResponse]:
        """The journaled responses among ``keys``."""
        found: dict[str, ElasticResponse] = {}
        try:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                rows = self._db.execute(
                    "select key, text, accounting, marker from responses "
                    f"where key in ({','.join('?' * len(chunk))})",
                    chunk,
                )
                for key, text, acct, marker in rows:
                    if not all(isinstance(v, str) for v in (text, acct, marker)):
                        continue  # a row with a NULL field is not a response: it is generated again
                    found[key] = ElasticResponse(text, TokenAccounting(**json.loads(acct)), marker)
        except (sqlite3.Error, ValueError, TypeError) as exc:
            raise self._error(exc) from None
        return found

    def put_many(self, items: list[tuple[str, ElasticResponse]]) -> None:
        """Record finished responses (durable when this returns)."""
        try:
            self._db.executemany(
                "insert or replace into responses values (?, ?, ?, ?)",
                [(k, str(r), json.dumps(dataclasses.asdict(r.accounting)), r.marker) for k, r in items],
            )
            self._db.commit()
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    def __len__(self) -> int:
        return self._db.execute("select count(*) from responses").fetchone()[0]
