"""The generic worker pool: hard timeouts, the memory limit, recovery, killing, threads, no leftovers."""

from __future__ import annotations

import operator
import os
import subprocess
import sys
import threading
import time

import pytest

from elastic_bench.harness.grading import Outcome, PoolClosed, WorkerPool, handler_path

GIB = 1024**3


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
def pool():
    p = WorkerPool(workers=1, memory_mb=512)
    yield p
    p.close()


def test_calls_run_in_input_order_by_path_or_function() -> None:
    with WorkerPool(workers=2) as p:
        assert p.run("operator:add", [(1, 2), (3, 4), ("a", "b")], timeout=10) == [
            ("ok", 3),
            ("ok", 7),
            ("ok", "ab"),
        ]
        assert p.call(operator.mul, 6, 7, timeout=10) == Outcome("ok", 42)
        assert p.call("math:sqrt", -1, timeout=10) == ("error", "ValueError: math domain error")
        assert len(p.pids) == 2


def test_a_runaway_call_is_killed_at_the_hard_timeout_and_the_pool_keeps_serving(pool: WorkerPool) -> None:
    assert pool.call("os:getpid", timeout=10).status == "ok"
    (first,) = pool.pids
    t0 = time.monotonic()
    out = pool.run("time:sleep", [(60,), (0,)], timeout=0.5)
    assert time.monotonic() - t0 < 10
    assert out == [("timeout", None), ("ok", None)]
    assert pool.timeouts == 1 and pool.restarts == 1
    assert not alive(first)  # the runaway worker was killed, not left running
    (second,) = pool.pids
    assert second != first and pool.call("os:getpid", timeout=10) == ("ok", second)


def test_the_memory_limit_turns_a_blow_up_into_an_error(pool: WorkerPool) -> None:
    status, message = pool.call("builtins:bytearray", GIB, timeout=20)
    assert status == "error" and message.startswith("MemoryError")
    assert pool.call("builtins:len", b"abc", timeout=10) == ("ok", 3)  # the same worker still serves
    assert pool.restarts == 0


def test_a_worker_that_dies_is_replaced(pool: WorkerPool) -> None:
    assert pool.run("os:_exit", [(3,)], timeout=10) == [("error", "worker died")]
    assert pool.restarts == 1
    assert pool.call("operator:add", 1, 1, timeout=10) == ("ok", 2)


def test_close_leaves_no_process_and_the_pool_refuses_work() -> None:
    p = WorkerPool(workers=2)
    p.run("operator:add", [(1, 1), (2, 2)], timeout=10)
    pids = p.pids
    assert len(pids) == 2 and all(alive(pid) for pid in pids)
    p.close()
    assert not any(alive(pid) for pid in pids)
    with pytest.raises(PoolClosed, match="worker pool is closed"):
        p.call("operator:add", 1, 1, timeout=10)


def test_kill_from_another_thread_ends_a_running_batch() -> None:
    p = WorkerPool(workers=2)
    p.run("operator:add", [(1, 1), (2, 2)], timeout=10)
    pids = p.pids
    result: list = []
    thread = threading.Thread(target=lambda: result.append(p.run("time:sleep", [(60,), (60,)], timeout=120)))
    thread.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    p.kill()
    thread.join(timeout=10)
    assert not thread.is_alive() and time.monotonic() - t0 < 10
    assert [o.status for o in result[0]] == ["error", "error"]
    assert not any(alive(pid) for pid in pids) and not p.pids


def test_threads_share_a_pool_safely() -> None:
    with WorkerPool(workers=2) as p:
        results: dict[int, list] = {}

        def work(k: int) -> None:
            results[k] = p.run("operator:mul", [(k, i) for i in range(20)], timeout=10)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert results == {k: [("ok", k * i) for i in range(20)] for k in range(4)}


def test_workers_are_gone_after_the_interpreter_exits() -> None:
    code = (
        "from elastic_bench.harness.grading._workers import WorkerPool\n"
        "p = WorkerPool(workers=2)\n"
        "p.run('operator:add', [(1, 1), (2, 2)], timeout=10)\n"
        "print(*p.pids)\n"  # exits without closing the pool
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    pids = [int(x) for x in out.stdout.split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in pids)


def test_bad_handlers_and_timeouts_are_refused() -> None:
    with pytest.raises(ValueError, match="importable"):
        handler_path(lambda: 1)
    with pytest.raises(ValueError, match="package.module:function"):
        handler_path("os.getpid")
    with WorkerPool(workers=1) as p, pytest.raises(ValueError, match="timeout must be > 0"):
        p.run("os:getpid", [()], timeout=0)
