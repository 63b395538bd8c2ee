"""A persistent pool of worker processes with a hard per-call timeout and a memory limit.

Used by the math grader (math_verify) and meant for any work that may hang or blow up: the code
sandbox, RL reward functions. Each worker is a fresh interpreter (no fork of the caller, no
re-import of ``__main__``) started by ``python -c`` running this module's worker loop; calls
travel as pickles over its stdin/stdout.

* **Work**: a module-level function named by import path (``"package.module:function"``) or the
  function itself (it must be importable by that path), applied to picklable positional args.
* **Hard timeout**: a call that overruns has its worker killed (SIGKILL) and replaced; the call's
  outcome is ``("timeout", None)``. The clock starts when a ready worker receives the call. A
  handler that raises ``TimeoutError`` (its own, cheaper time limit) also reports a timeout.
* **Memory limit**: workers run under an address-space limit (``RLIMIT_AS``), so an allocation
  blow-up ends as ``("error", "MemoryError: ...")`` instead of taking the machine down; a worker that
  dies is replaced and its call reports ``("error", "worker died")``.
* **Lifecycle**: thread-safe (one batch at a time per pool), :meth:`WorkerPool.close` stops workers
  politely, :meth:`WorkerPool.kill` at once (also from another thread, ending a running batch), and
  every pool still open is closed at interpreter exit. Workers exit on their own when the parent dies
  (their stdin closes).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import os
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, NamedTuple

__all__ = ["DEFAULT_MEMORY_MB", "Outcome", "PoolClosed", "WorkerPool", "handler_path"]

DEFAULT_MEMORY_MB = 4096
START_TIMEOUT_S = 60.0


class Outcome(NamedTuple):
    """Result of one call: ``status`` is ``"ok"`` (``value`` = the return value), ``"timeout"``
    (``value`` None) or ``"error"`` (``value`` = a one-line message)."""

    status: str
    value: Any


class PoolClosed(RuntimeError):
    """The pool was closed or killed."""


def handler_path(fn: Callable | str) -> str:
    """``"module:qualname"`` of a module-level function (a string is returned as given)."""
    if isinstance(fn, str):
        if ":" not in fn:
            raise ValueError(f"handler {fn!r} is not of the form 'package.module:function'")
        return fn
    module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    if not module or module == "__main__" or "<" in qualname:
        raise ValueError(f"{fn!r} is not an importable module-level function")
    return f"{module}:{qualname}"


# --------------------------------------------------------------------------- worker side

_HANDLERS: dict[str, Callable] = {}


def _resolve(path: str) -> Callable:
    fn = _HANDLERS.get(path)
    if fn is None:
        module, _, qualname = path.partition(":")
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        fn = _HANDLERS[path] = obj
    return fn


def _set_memory_limit(memory_mb: int) -> None:
    if memory_mb <= 0:
        return
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass


def _worker_main(argv: list[str]) -> None:
    """Worker loop: ``--worker MEMORY_MB [MODULE ...]`` (modules imported before "ready" is sent).

    Receives ``(id, handler, args)``, answers ``(id, status, value)``; ``None`` or EOF ends it. Stdout is
    moved to a private fd so that nothing a library prints can corrupt the stream.
    """
    import logging
    import warnings

    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    memory_mb = int(argv[1]) if len(argv) > 1 else 0
    out_fd = os.dup(1)
    os.dup2(2, 1)
    conn_in, conn_out = Connection(0, writable=False), Connection(out_fd, readable=False)
    _set_memory_limit(memory_mb)
    for module in argv[2:]:
        importlib.import_module(module)  # warm the imports before announcing readiness
    conn_out.send("ready")
    while True:
        try:
            msg = conn_in.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        call_id, handler, args = msg
        try:
            result = (call_id, "ok", _resolve(handler)(*args))
        except TimeoutError:  # the handler's own time limit (e.g. a signal alarm) ran out
            result = (call_id, "timeout", None)
        except BaseException as exc:  # MemoryError, RecursionError, library internals
            result = (call_id, "error", _one_line(exc))
        try:
            conn_out.send(result)
        except (OSError, ValueError):
            return
        except Exception as exc:  # an unpicklable return value
            conn_out.send((call_id, "error", _one_line(exc)))


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:200]


# --------------------------------------------------------------------------- parent side


#: what a worker interpreter runs (``sys.argv[1:]`` is ``--worker MEMORY_MB [MODULE ...]``)
_WORKER_ENTRY = f"import sys; from {__name__} import _worker_main; _worker_main(sys.argv[1:])"


class _Worker:
    """One worker subprocess and its two pipe ends."""

    def __init__(self, memory_mb: int, warm: Sequence[str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER_ENTRY, "--worker", str(memory_mb), *warm],
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
        self.call: int | None = None
        self.deadline = 0.0

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self.send_conn.close()
        self.recv_conn.close()


_OPEN_POOLS: weakref.WeakSet[WorkerPool] = weakref.WeakSet()


class WorkerPool:
    """Persistent worker processes running calls under a hard timeout (see the module docstring).

    ``warm`` names modules each worker imports before it counts as ready (so import time is not
    charged to the first call's timeout). Workers start lazily, on the first batch.
    """

    def __init__(
        self,
        workers: int = 2,
        memory_mb: int | None = DEFAULT_MEMORY_MB,
        *,
        warm: Sequence[str] = (),
        start_timeout: float = START_TIMEOUT_S,
    ) -> None:
        self.size = max(1, int(workers))
        self.memory_mb = int(memory_mb or 0)
        self.warm = tuple(warm)
        self.start_timeout = start_timeout
        self.timeouts = 0
        self.restarts = 0
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        _OPEN_POOLS.add(self)

    @property
    def pids(self) -> list[int]:
        """Process ids of the running workers."""
        return [w.proc.pid for w in self._workers]

    def call(self, fn: Callable | str, *args: Any, timeout: float) -> Outcome:
        """Run one call ``fn(*args)`` in a worker."""
        return self.run(fn, [args], timeout)[0]

    def run(self, fn: Callable | str, calls: Sequence[tuple], timeout: float) -> list[Outcome]:
        """Run ``fn(*args)`` for each ``args`` of ``calls`` across the workers, in order of the input."""
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        handler = handler_path(fn)
        if not calls:
            return []
        with self._lock:
            if self._closed:
                raise PoolClosed("worker pool is closed")
            return self._run(handler, list(calls), timeout)

    def _run(self, handler: str, calls: list[tuple], timeout: float) -> list[Outcome]:
        results: list[Outcome | None] = [None] * len(calls)
        while len(self._workers) < min(self.size, len(calls)):
            self._workers.append(_Worker(self.memory_mb, self.warm))
        pending = list(range(len(calls) - 1, -1, -1))
        start_deadline = time.monotonic() + self.start_timeout
        while (pending or any(w.call is not None for w in self._workers)) and not self._closed:
            for w in self._workers:
                if pending and w.ready and w.call is None:
                    i = pending.pop()
                    try:
                        w.send_conn.send((i, handler, tuple(calls[i])))
                    except (OSError, ValueError):
                        pending.append(i)
                        self._replace(w)
                        continue
                    w.call, w.deadline = i, time.monotonic() + timeout
            now = time.monotonic()
            if not any(w.ready for w in self._workers) and now > start_deadline:
                raise RuntimeError(f"worker processes failed to start within {self.start_timeout:.0f}s")
            deadlines = [w.deadline for w in self._workers if w.call is not None] or [now + 1.0]
            by_conn = {w.recv_conn: w for w in self._workers}
            try:
                ready = wait(list(by_conn), timeout=max(0.0, min(deadlines) - now))
            except (OSError, ValueError):  # killed from another thread
                break
            for conn in ready:
                self._receive(by_conn[conn], results, start_deadline)
            now = time.monotonic()
            for w in list(self._workers):
                if w.call is not None and now >= w.deadline and not self._closed:
                    results[w.call] = Outcome("timeout", None)
                    self.timeouts += 1
                    self._replace(w)
        if self._closed:
            self._stop(graceful=False)
            return [r if r is not None else Outcome("error", "pool killed") for r in results]
        return [r if r is not None else Outcome("error", "lost") for r in results]

    def _receive(self, w: _Worker, results: list[Outcome | None], start_deadline: float) -> None:
        try:
            msg = w.recv_conn.recv()
        except (EOFError, OSError):
            if self._closed:
                return
            if w.call is not None:
                results[w.call] = Outcome("error", "worker died")
            elif not w.ready and time.monotonic() > start_deadline:
                raise RuntimeError("worker processes fail to start") from None
            self._replace(w)
            return
        if msg == "ready":
            w.ready = True
            return
        call_id, status, value = msg
        results[call_id] = Outcome(status, value)
        self.timeouts += status == "timeout"
        w.call = None

    def _replace(self, w: _Worker) -> None:
        w.kill()
        self.restarts += 1
        self._workers[self._workers.index(w)] = _Worker(self.memory_mb, self.warm)

    def resize(self, workers: int) -> None:
        """Change the number of workers (surplus ones are stopped, the others keep running)."""
        with self._lock:
            self.size = max(1, int(workers))
            for w in self._workers[self.size :]:
                w.kill()
            del self._workers[self.size :]

    def close(self) -> None:
        """Stop the workers politely (waits for a running batch); the pool cannot be used again."""
        with self._lock:
            self._closed = True
            self._stop(graceful=True)

    def kill(self) -> None:
        """Kill the workers at once; a batch running in another thread ends with errors."""
        self._closed = True
        for w in list(self._workers):
            with contextlib.suppress(OSError):
                w.proc.kill()
        if self._lock.acquire(blocking=False):
            try:
                self._stop(graceful=False)
            finally:
                self._lock.release()

    def _stop(self, graceful: bool) -> None:
        if graceful:
            for w in self._workers:
                with contextlib.suppress(OSError, ValueError):
                    w.send_conn.send(None)
            for w in self._workers:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    w.proc.wait(timeout=1)
        for w in self._workers:
            w.kill()
        self._workers = []
        _OPEN_POOLS.discard(self)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@atexit.register
def _close_open_pools() -> None:
    for pool in list(_OPEN_POOLS):
        pool.kill()
