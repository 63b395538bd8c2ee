"""Process control for the local sandbox: read a test's output under a cap and a deadline, reap it,
and kill what is left (its descendants, its process group, every process of its private uid)."""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable


def uid_processes(uid: int) -> list[int]:
    """The pids of every process whose real uid is ``uid``."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                uid_line = next(line for line in f if line.startswith("Uid:"))
            if int(uid_line.split()[1]) == uid:
                pids.append(int(entry))
        except (OSError, StopIteration, ValueError):
            continue
    return pids


def kill_uid(uid: int) -> int:
    """SIGKILL every process whose real uid is ``uid`` (the private uid of one slot)."""
    killed = 0
    for pid in uid_processes(uid):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
            killed += 1
    return killed


class Outcome:
    """What one test run produced: output, status channel, how it ended and what it used."""

    def __init__(self) -> None:
        self.stdout = bytearray()
        self.stderr_tail = b""
        self.status = bytearray()
        self.over_output = False
        self.timed_out = False
        self.stopped = False  # the reader asked to stop the program (a failing test)
        self.exit_code: int | None = None
        self.cpu_s = 0.0
        self.maxrss_bytes = 0


def peak_rss_bytes() -> int:
    """This process's peak resident set (VmHWM), 0 when /proc cannot tell.

    A forked child's ``ru_maxrss`` starts from the RSS high-water mark it inherits from its parent,
    so a test's ``maxrss`` below the spawner's own peak says nothing about the test's memory.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _descendants(root: int) -> list[int]:
    """Every live descendant of ``root``, from the parent links in /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill(proc: subprocess.Popen, uid: int | None) -> None:
    """Kill what is left of a finished test: its process group and, with a private uid, that uid."""
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    if uid is not None:
        kill_uid(uid)


def _stop(proc: subprocess.Popen, out: Outcome, uid: int | None, wrapper: bool) -> None:
    """Kill a running test from the inside out, so each process is reaped by its own parent.

    Killing bwrap first would orphan its namespace's init, and an init that does not reap (as in
    some containers) would keep it as a zombie that counts against the slot's process limit.
    ``wrapper``: ``proc`` is bwrap, which exits by itself once its namespace is dead.
    """
    victims = set(_descendants(proc.pid)) | (set(uid_processes(uid)) if uid is not None else set())
    for pid in victims - {proc.pid} if wrapper else victims | {proc.pid}:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    grace = time.monotonic() + 0.5
    while not _reap(proc, out, block=False) and time.monotonic() < grace:
        time.sleep(0.005)
    if out.exit_code is None:
        _kill(proc, uid)
        _reap(proc, out, block=True)


def _reap(proc: subprocess.Popen, out: Outcome, block: bool) -> bool:
    pid, status, usage = os.wait4(proc.pid, 0 if block else os.WNOHANG)
    if pid == 0:
        return False
    out.exit_code = os.waitstatus_to_exitcode(status)
    proc.returncode = out.exit_code
    out.cpu_s = usage.ru_utime + usage.ru_stime
    out.maxrss_bytes = usage.ru_maxrss * 1024
    return True


def collect(
    proc: subprocess.Popen,
    status_r: int,
    deadline: float,
    cap: int,
    uid: int | None,
    mode: str,
    on_status: Callable[[bytes], bool] | None = None,
) -> Outcome:
    """Read stdout, stderr and the status pipe until EOF, the output cap or the wall deadline.

    ``on_status`` (optional) takes the status stream chunk by chunk instead of :attr:`Outcome.status`
    and returns True to stop the program now."""
    out = Outcome()
    sel = selectors.DefaultSelector()
    streams = {proc.stdout.fileno(): "out", proc.stderr.fileno(): "err", status_r: "status"}
    for fd in streams:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    total = 0
    exited_at: float | None = None
    try:
        while sel.get_map():
            now = time.monotonic()
            if now >= deadline:
                out.timed_out = exited_at is None
                break
            if exited_at is None and _reap(proc, out, block=False):
                exited_at = now
                if not mode.startswith("bwrap"):  # no pid namespace: hunt down detached children
                    _kill(proc, uid)
            if exited_at is not None and now - exited_at > 0.5:
                break  # an escaped child still holds the pipes (rlimits mode only)
            for key, _ in sel.select(min(deadline - now, 0.05)):
                try:
                    chunk = os.read(key.fd, 1 << 16)
                except BlockingIOError:
                    continue
                if not chunk:
                    sel.unregister(key.fd)
                    continue
                kind = streams[key.fd]
                if kind == "status" and on_status is not None:
                    out.stopped = on_status(chunk)
                    if out.stopped:
                        break
                    continue
                if kind == "status":
                    out.status += chunk[: max(0, cap - len(out.status))]
                    continue
                total += len(chunk)
                if kind == "out":
                    out.stdout += chunk
                else:
                    out.stderr_tail = (out.stderr_tail + chunk)[-2000:]
                if total > cap:
                    out.over_output = True
                    break
            if out.over_output or out.stopped:
                break
    finally:
        sel.close()
        if out.exit_code is None and not (out.timed_out or out.over_output or out.stopped):
            grace = min(deadline, time.monotonic() + 1.0)  # all streams closed: it is exiting
            while not _reap(proc, out, block=False) and time.monotonic() < grace:
                time.sleep(0.002)
        if out.exit_code is None:
            _stop(proc, out, uid, wrapper=mode.startswith("bwrap"))
        elif out.timed_out or out.over_output or out.stopped:
            _kill(proc, uid)
        proc.stdout.close()
        proc.stderr.close()
    return out
