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
import errno
import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path

from elastic_bench.harness.generation import ElasticResponse, TokenAccounting
from elastic_bench.harness.protocol import JOURNAL_GENERATIONS_TABLE as GENERATIONS
from elastic_bench.harness.protocol import JOURNAL_RESPONSES_TABLE as RESPONSES


class JournalError(OSError):
    """The journal file cannot be used (corrupt, locked by another run, unwritable); one line."""


#: an I/O error on a disk with less free space than this is taken for a full disk (SQLite reports a
#: full disk as SQLITE_FULL, or as SQLITE_IOERR when it fails to grow its shared-memory file)
NEARLY_FULL_BYTES = 16 << 20


def _free_bytes(folder: Path) -> int | None:
    try:
        stat = os.statvfs(folder)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize


def _disk_full(exc: BaseException, folder: Path) -> bool:
    """Whether ``exc`` is a full disk: SQLITE_FULL, ENOSPC / EDQUOT, or an I/O error with the disk
    holding ``folder`` (nearly) full."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name == "SQLITE_FULL" or "disk is full" in str(exc):
        return True
    free = _free_bytes(folder)
    return (
        (name.startswith("SQLITE_IOERR") or "disk I/O error" in str(exc))
        and free is not None
        and free < NEARLY_FULL_BYTES
    )


def journal_key(fingerprint: str, context: str, gen_kwargs: dict, sample_index: int, seed: int) -> str:
    """A stable key for one request's response."""
    payload = json.dumps([fingerprint, context, gen_kwargs, sample_index, seed], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


class ResponseJournal:
    """Responses with their token accounting in one SQLite file (each batch committed at once), and a
    log of every generation (key and time), so a response generated twice can be seen.

    The accounting is stored as JSON; a field a row lacks takes its :class:`TokenAccounting` default
    (``prompt_tokens`` None: unknown), so rows written without it still load."""

    def __init__(self, path: str | Path, timeout: float = 10.0):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=timeout)
            self._db.execute("pragma journal_mode=wal")
            self._db.execute(
                f"create table if not exists {RESPONSES} "
                "(key text primary key, text text, accounting text, marker text)"
            )
            self._db.execute(f"create table if not exists {GENERATIONS} (key text, at real)")
            self._db.commit()
            self._db.execute(f"select key, text, accounting, marker from {RESPONSES} limit 1").fetchall()
        except (sqlite3.Error, OSError) as exc:
            raise self._error(exc) from None

    def _error(self, exc: BaseException) -> JournalError:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "locked" in reason or "busy" in reason:
            hint = "another run is using it; wait for it or pass another journal= / --no-cache"
        elif _disk_full(exc, self.path.parent):  # the journal holds the finished work: never delete it
            free = _free_bytes(self.path.parent)
            left = f"its disk has {free >> 10} KiB left" if free is not None else "its disk is full"
            hint = (
                f"{left}: free space and run again; the responses it holds are kept and not generated again"
            )
        elif getattr(exc, "sqlite_errorname", "") in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or isinstance(
            exc, (ValueError, TypeError)
        ):  # unreadable: nothing in it can be trusted
            hint = "delete it (its responses are regenerated) or pass another journal= / --no-cache"
        else:  # e.g. unwritable, or another program's database: what it holds stays
            hint = "keep it (it holds finished responses) and fix the cause, or pass another journal= / --no-cache"
        return JournalError(f"response journal {self.path}: {reason}; {hint}")

    def get_many(self, keys: list[str]) -> dict[str, ElasticResponse]:
        """The journaled responses among ``keys``."""
        found: dict[str, ElasticResponse] = {}
        try:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                rows = self._db.execute(
                    f"select key, text, accounting, marker from {RESPONSES} "
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
                f"insert or replace into {RESPONSES} values (?, ?, ?, ?)",
                [(k, str(r), json.dumps(dataclasses.asdict(r.accounting)), r.marker) for k, r in items],
            )
            now = time.time()
            self._db.executemany(f"insert into {GENERATIONS} values (?, ?)", [(k, now) for k, _ in items])
            self._db.commit()
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    def __len__(self) -> int:
        return self._db.execute(f"select count(*) from {RESPONSES}").fetchone()[0]
