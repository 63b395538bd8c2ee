"""The request store: one SQLite file beside the results (``<results>/.queue/requests.sqlite``), no server.

It holds every request with its current status and a history of events (pending, running with the
worker and attempt, finished with the result files, failed with a one-line reason and the log's tail).
Workers take requests under a lease: :meth:`RequestStore.claim` hands the oldest pending request (or a
running one whose lease expired: its worker died) to exactly one worker, inside one ``BEGIN IMMEDIATE``
transaction, so several workers on one machine drain one store and each request is evaluated once.
The holder renews its lease while it works; every write of a holder is conditional on its claim
token, so a worker that lost its lease can change nothing.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from elastic_bench.harness.queue._request import (
    ACTIVE_OR_DONE,
    FAILED,
    FINISHED,
    PENDING,
    RUNNING,
    EvaluationRequest,
    ModelSpec,
    QueueError,
    benchmark_protocol,
)

#: where a results directory keeps its queue (hidden: never scanned as entries)
QUEUE_DIRNAME = ".queue"
STORE_FILENAME = "requests.sqlite"
#: requests whose worker died this many times are failed instead of handed out again
MAX_ATTEMPTS = 3

_SCHEMA = (
    "create table if not exists requests (seq integer primary key autoincrement, id text unique not null, "
    "identity text not null, body text not null, status text not null, worker text, token text, "
    "lease_until real, attempts integer not null default 0, done integer, total integer, reason text, "
    "result_files text, updated real not null)",
    "create table if not exists events (seq integer primary key autoincrement, request_id text not null, "
    "at real not null, status text not null, detail text not null)",
)
_COLUMNS = "id, body, status, worker, attempts, done, total, reason, result_files, updated, lease_until"


def store_path(results_dir: str | Path) -> Path:
    """The request store of a results directory."""
    return Path(results_dir) / QUEUE_DIRNAME / STORE_FILENAME


@dataclass(frozen=True)
class Claim:
    """A request held by one worker: writes about it need the token."""

    request: EvaluationRequest
    worker: str
    token: str
    attempt: int


@dataclass
class RequestState:
    """A request and where it stands."""

    request: EvaluationRequest
    status: str
    worker: str | None = None
    attempts: int = 0
    done: int | None = None
    total: int | None = None
    reason: str | None = None
    result_files: list[str] = field(default_factory=list)
    updated: float = 0.0
    lease_until: float | None = None

    @property
    def id(self) -> str:
        return self.request.id

    @property
    def progress(self) -> float | None:
        """The share of responses generated (from the journal), when known."""
        if self.status == FINISHED:
            return 1.0
        if not self.total:
            return None
        return min(1.0, (self.done or 0) / self.total)


@dataclass(frozen=True)
class Event:
    """One entry of a request's history."""

    at: float
    status: str
    detail: dict


class RequestStore:
    """The SQLite request store (created on first use)."""

    def __init__(self, path: str | Path, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = self._connect()
            try:
                db.execute("pragma journal_mode=wal")
                for statement in _SCHEMA:
                    db.execute(statement)
                db.execute(f"select {_COLUMNS} from requests limit 1").fetchall()
            finally:
                db.close()
        except (sqlite3.Error, OSError) as exc:
            raise self._error(exc) from None

    @classmethod
    def of_results(cls, results_dir: str | Path) -> RequestStore:
        """The store beside a results directory."""
        return cls(store_path(results_dir))

    # ------------------------------------------------------------------ plumbing
    def _error(self, exc: BaseException) -> QueueError:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        if "not a database" in reason or "malformed" in reason or "no such" in reason:
            hint = "restore it from a backup, or move it aside to start an empty queue"
        else:
            hint = "check the file and its folder"
        return QueueError(f"request store {self.path} cannot be used ({reason}); {hint}")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken before reading (so two workers never read the same state)."""
        try:
            db = self._connect()
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        try:
            db.execute("begin immediate")
            yield db
            db.execute("commit")
        except sqlite3.Error as exc:
            db.rollback()
            raise self._error(exc) from None
        except BaseException:
            db.rollback()
            raise
        finally:
            db.close()

    @staticmethod
    def _event(db: sqlite3.Connection, request_id: str, status: str, **detail) -> None:
        db.execute(
            "insert into events (request_id, at, status, detail) values (?, ?, ?, ?)",
            (request_id, time.time(), status, json.dumps(detail, default=str)),
        )

    def request_dir(self, request_id: str) -> Path:
        """A request's own folder: its response journal and its worker's log."""
        return self.path.parent / request_id

    # ---------------------------------------------------------------- submitting
    def submit(self, model: ModelSpec, benchmarks: Sequence[str], note: str = "") -> EvaluationRequest:
        """Record a pending request; refuses one for a model, revision and protocol already pending,
        running or finished (naming that request)."""
        names = [b.strip() for b in benchmarks if b.strip()]
        if not names:
            raise QueueError("--benchmarks is empty; name at least one (e.g. toy, math500)")
        protocols = {}
        for name in names:
            protocol = benchmark_protocol(name)
            protocols.setdefault(protocol.benchmark, protocol)
        with self._transaction() as db:
            rows = db.execute(
                "select id, body, status from requests where identity = ? and status in (?, ?, ?)",
                (model.identity, *ACTIVE_OR_DONE),
            ).fetchall()
            for other_id, body, status in rows:
                other = EvaluationRequest.model_validate_json(body)
                same = {p.version for p in other.protocols} & {p.version for p in protocols.values()}
                if same:
                    bench = next(p.benchmark for p in protocols.values() if p.version in same)
                    raise QueueError(
                        f"already requested: {other_id} ({status}) evaluates {model.display_name} on {bench} "
                        f"under the same protocol; see `elastic-bench queue {other_id}`"
                    )
            seq = db.execute("select coalesce(max(seq), 0) + 1 from requests").fetchone()[0]
            request = EvaluationRequest(
                id=f"req-{seq:05d}", model=model, protocols=tuple(protocols.values()), note=note.strip()
            )
            db.execute(
                "insert into requests (seq, id, identity, body, status, total, updated) values (?, ?, ?, ?, ?, ?, ?)",
                (
                    seq,
                    request.id,
                    model.identity,
                    request.model_dump_json(),
                    PENDING,
                    request.expected_responses(),
                    time.time(),
                ),
            )
            self._event(db, request.id, PENDING, model=model.model, benchmarks=request.benchmarks)
        return request

    # ------------------------------------------------------------------- workers
    def claim(self, worker: str, lease_seconds: float, max_attempts: int = MAX_ATTEMPTS) -> Claim | None:
        """Hand the oldest pending request (or one whose lease expired) to ``worker``; None when none."""
        now = time.time()
        with self._transaction() as db:
            expired = db.execute(
                "select id, worker, attempts from requests where status = ? and lease_until < ? order by seq",
                (RUNNING, now),
            ).fetchall()
            for request_id, previous, attempts in expired:
                if attempts >= max_attempts:
                    reason = f"its worker stopped {attempts} times without finishing (last: {previous})"
                    db.execute(
                        "update requests set status = ?, reason = ?, token = null, lease_until = null, "
                        "updated = ? where id = ?",
                        (FAILED, reason, now, request_id),
                    )
                    self._event(db, request_id, FAILED, reason=reason, log_tail="")
            row = db.execute(
                "select id, body, status, worker, attempts from requests where status = ? "
                "or (status = ? and lease_until < ?) order by seq limit 1",
                (PENDING, RUNNING, now),
            ).fetchone()
            if row is None:
                return None
            request_id, body, status, previous, attempts = row
            token = uuid.uuid4().hex
            db.execute(
                "update requests set status = ?, worker = ?, token = ?, lease_until = ?, attempts = ?, "
                "updated = ? where id = ?",
                (RUNNING, worker, token, now + lease_seconds, attempts + 1, now, request_id),
            )
            takeover = {"taken_over_from": previous} if status == RUNNING else {}
            self._event(db, request_id, RUNNING, worker=worker, attempt=attempts + 1, **takeover)
        return Claim(EvaluationRequest.model_validate_json(body), worker, token, attempts + 1)

    def renew(
        self, claim: Claim, lease_seconds: float, done: int | None = None, total: int | None = None
    ) -> bool:
        """Extend the claim's lease and record progress (responses done of ``total``); False when the
        lease was lost."""
        now = time.time()
        with self._transaction() as db:
            cur = db.execute(
                "update requests set lease_until = ?, done = coalesce(?, done), total = coalesce(?, total), "
                "updated = ? where id = ? and token = ? and status = ?",
                (now + lease_seconds, done, total, now, claim.request.id, claim.token, RUNNING),
            )
            return cur.rowcount == 1

    def finish(self, claim: Claim, result_files: Sequence[str], done: int | None = None, **detail) -> bool:
        """Mark the claimed request finished with its result files; False when the lease was lost."""
        return self._close(claim, FINISHED, None, list(result_files), done, detail)

    def fail(self, claim: Claim, reason: str, log_tail: str = "", done: int | None = None) -> bool:
        """Mark the claimed request failed with a one-line reason and its log's tail."""
        line = (reason.strip().splitlines() or ["failed"])[0][:500]
        return self._close(claim, FAILED, line, [], done, {"log_tail": log_tail})

    def _close(
        self, claim: Claim, status: str, reason: str | None, files: list[str], done: int | None, detail: dict
    ) -> bool:
        now = time.time()
        with self._transaction() as db:
            cur = db.execute(
                "update requests set status = ?, reason = ?, result_files = ?, done = coalesce(?, done), "
                "token = null, lease_until = null, updated = ? where id = ? and token = ? and status = ?",
                (status, reason, json.dumps(files), done, now, claim.request.id, claim.token, RUNNING),
            )
            if cur.rowcount != 1:
                return False
            extra = {"reason": reason} if reason else {"result_files": files}
            self._event(db, claim.request.id, status, worker=claim.worker, **extra, **detail)
            return True

    def release(self, claim: Claim, why: str) -> bool:
        """Give the claimed request back (pending again, its journal kept), e.g. when its worker is
        interrupted; False when the lease was already lost."""
        now = time.time()
        with self._transaction() as db:
            cur = db.execute(
                "update requests set status = ?, token = null, lease_until = null, updated = ? "
                "where id = ? and token = ? and status = ?",
                (PENDING, now, claim.request.id, claim.token, RUNNING),
            )
            if cur.rowcount == 1:
                self._event(db, claim.request.id, PENDING, released_by=claim.worker, reason=why)
            return cur.rowcount == 1

    def holds(self, claim: Claim) -> bool:
        """Whether the claim still holds its request (its lease was not taken over)."""
        return (
            self._read(
                "select 1 from requests where id = ? and token = ? and status = ?",
                (claim.request.id, claim.token, RUNNING),
            )
            != []
        )

    # ------------------------------------------------------------------- reading
    def _read(self, sql: str, params: Sequence = ()) -> list[tuple]:
        try:
            db = self._connect()
            try:
                return db.execute(sql, params).fetchall()
            finally:
                db.close()
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    @staticmethod
    def _state(row: tuple) -> RequestState:
        request_id, body, status, worker, attempts, done, total, reason, files, updated, lease = row
        return RequestState(
            request=EvaluationRequest.model_validate_json(body),
            status=status,
            worker=worker,
            attempts=attempts,
            done=done,
            total=total,
            reason=reason,
            result_files=json.loads(files) if files else [],
            updated=updated,
            lease_until=lease,
        )

    def requests(self, statuses: Sequence[str] = ()) -> list[RequestState]:
        """Every request (or those with one of ``statuses``), oldest first."""
        where = f" where status in ({','.join('?' * len(statuses))})" if statuses else ""
        rows = self._read(f"select {_COLUMNS} from requests{where} order by seq", tuple(statuses))
        return [self._state(row) for row in rows]

    def get(self, request_id: str) -> RequestState:
        """One request (``QueueError`` naming the known ones when there is no such request)."""
        rows = self._read(f"select {_COLUMNS} from requests where id = ?", (request_id,))
        if not rows:
            known = ", ".join(s.id for s in self.requests()[-5:]) or "none yet"
            raise QueueError(f"no request {request_id!r} in {self.path} (latest: {known})")
        return self._state(rows[0])

    def history(self, request_id: str) -> list[Event]:
        """A request's events, oldest first."""
        rows = self._read(
            "select at, status, detail from events where request_id = ? order by seq", (request_id,)
        )
        return [Event(at, status, json.loads(detail)) for at, status, detail in rows]

    def unfinished(self) -> int:
        """How many requests are pending or running."""
        return self._read("select count(*) from requests where status in (?, ?)", (PENDING, RUNNING))[0][0]
