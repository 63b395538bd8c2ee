"""The local sandboxed executor: bubblewrap namespaces + a private uid + rlimits, one process per test.

Layers, strongest mode first (``LocalExecutor.mode`` names the one in force; :data:`PROTECTIONS`
lists what each keeps):

* ``bwrap``: bubblewrap puts each test in new user, pid, network, ipc, uts and mount namespaces: no
  network but a private loopback, a read-only view of ``/usr`` (and the interpreter's prefix) and
  nothing else of the host (no /home, /root, /work, /etc), a read-only root, private size-capped
  tmpfs for the working directory and /tmp (the only writable places), a cleared environment, its own session, no capabilities and no
  nested user namespaces. When the program exits, or the executor kills the namespace's processes
  at the wall limit or the output cap, the pid namespace dies and takes every descendant (detached
  or not) with it; bwrap then exits and is reaped.
* ``+uid`` (when the executor runs as root): each concurrent slot runs as its own unprivileged
  uid (``uid_base + slot``), so the process limit counts only that test's processes, the program
  holds no capabilities, and leftovers can be found and killed by uid.
* rlimits, always: the in-sandbox runner lowers RLIMIT_AS, RLIMIT_CPU, RLIMIT_NPROC, RLIMIT_FSIZE,
  RLIMIT_NOFILE and RLIMIT_CORE=0 (soft and hard) before the program runs; the executor enforces the
  wall limit and the output cap (stdout + stderr) and kills the whole process group.

Without bubblewrap the ``rlimits`` modes remain: no network or filesystem isolation (only Unix
permissions, via the private uid when root), and without root no per-test process count.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from elastic_bench.harness.sandbox._executor import (
    ExecutionRequest,
    ExecutionResult,
    Limits,
    SandboxUnavailable,
    TestVerdict,
    call_matches,
    stdout_matches,
)
from elastic_bench.harness.sandbox._proc import Outcome, collect, peak_rss_bytes, uid_processes

RUNNER = Path(__file__).with_name("_runner.py")
MODES = ("bwrap+uid", "bwrap", "rlimits+uid", "rlimits")

#: what each mode protects, for reports and the result record
PROTECTIONS = {
    "bwrap+uid": "user/pid/net/ipc/uts/mount namespaces, read-only /usr only, private tmpfs cwd and "
    "/tmp, cleared env, private unprivileged uid per slot, rlimits, wall limit, output cap",
    "bwrap": "namespaces as bwrap+uid and no capabilities, but no private uid (leftovers are found "
    "through the process tree only), and when the caller is root the kernel exempts the sandbox "
    "from the process limit",
    "rlimits+uid": "private unprivileged uid per slot (Unix permissions only: no network or "
    "filesystem isolation, world-writable dirs such as /tmp stay writable), rlimits, wall limit, "
    "output cap, leftover processes killed by uid",
    "rlimits": "rlimits, wall limit, output cap and process-group kill only: the program runs as the "
    "caller, can use the network, write wherever the caller can, and a detached child can survive",
}


def _sandbox_python() -> str:
    """A world-readable interpreter for the sandbox (the system one when there is one)."""
    for candidate in ("/usr/bin/python3",):
        if os.access(candidate, os.X_OK):
            return candidate
    return os.path.realpath(sys.executable)


def _bwrap_fs_args(python: str) -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    real = os.path.realpath(python)
    if not real.startswith("/usr/"):
        prefix = os.path.dirname(os.path.dirname(real))
        args += ["--ro-bind", prefix, prefix]
    return args


@cache
def _probe(mode: str, python: str, uid: int | None) -> str | None:
    """Run a trivial program in ``mode``; None if it works, else the reason it does not."""
    if mode.startswith("bwrap") and shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    if mode.endswith("+uid") and os.geteuid() != 0:
        return "a private uid per test needs root"
    box = tempfile.mkdtemp(prefix="eb-sbx-probe-")
    try:
        os.chmod(box, 0o755)
        cmd = [python, "-I", "-c", "pass"]
        if mode.startswith("bwrap"):
            cmd = _bwrap_cmd(python, box, Limits()) + cmd[1:]
        user = {"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}
        done = subprocess.run(cmd, capture_output=True, timeout=30, cwd=box, **user)
        if done.returncode != 0:
            return done.stderr.decode(errors="replace").strip().splitlines()[-1:] or "failed"
        return None
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    finally:
        shutil.rmtree(box, ignore_errors=True)


def _bwrap_cmd(python: str, box: str, limits: Limits) -> list[str]:
    size = str(max(limits.file_bytes, 1 << 20))
    return [
        "bwrap",
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--cap-drop", "ALL",  # matters when bwrap itself runs as root (mode "bwrap" under root)
        "--clearenv",
        "--setenv", "PATH", "/usr/bin:/bin",
        "--setenv", "HOME", "/sandbox",
        "--setenv", "LANG", "C.UTF-8",
        *_bwrap_fs_args(python),
        "--proc", "/proc",
        "--dev", "/dev",
        "--size", size, "--tmpfs", "/tmp",
        "--size", size, "--tmpfs", "/sandbox",
        "--ro-bind", box, "/box",
        # the new root is itself a tmpfs, writable and uncapped: everything writable is a capped mount
        "--remount-ro", "/",
        "--chdir", "/sandbox",
        python,
    ]  # fmt: skip


#: ``bwrap-any`` refuses to grade without bubblewrap; a mode name demands that mode; ``auto`` (the
#: default) takes the strongest that works and warns once when it has no filesystem or network isolation
SANDBOX_ENV = "ELASTIC_BENCH_SANDBOX"


@cache
def _warn_weak(mode: str) -> None:
    """One warning per process that code is graded without filesystem or network isolation."""
    warnings.warn(
        f"code sandbox: bubblewrap is unavailable, so untrusted programs run in mode {mode!r} without "
        f"filesystem or network isolation (install bubblewrap, or set {SANDBOX_ENV}=bwrap-any to refuse)",
        RuntimeWarning,
        stacklevel=3,
    )


class LocalExecutor:
    """Runs each test in its own sandboxed process, ``workers`` at a time (default: all cores)."""

    def __init__(
        self,
        mode: str = "auto",
        workers: int | None = None,
        python: str | None = None,
        uid_base: int = 200_000,
    ) -> None:
        self.python = python or _sandbox_python()
        self.workers = workers or os.cpu_count() or 1
        self.uid_base = uid_base
        self._mode = self._choose_mode(mode)
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sandbox")
        self._slots: queue.Queue[int] = queue.Queue()
        for slot in range(self.workers):
            self._slots.put(slot)

    def _choose_mode(self, wanted: str) -> str:
        if wanted == "auto":
            wanted = os.environ.get(SANDBOX_ENV, "").strip() or "auto"
        if wanted not in ("auto", "bwrap-any", *MODES):
            raise SandboxUnavailable(
                f"unknown sandbox mode {wanted!r} ({SANDBOX_ENV}); choose from auto, bwrap-any, {', '.join(MODES)}"
            )
        candidates = {"auto": MODES, "bwrap-any": tuple(m for m in MODES if m.startswith("bwrap"))}
        reasons = []
        for mode in candidates.get(wanted, (wanted,)):
            uid = self.uid_base if mode.endswith("+uid") else None
            problem = _probe(mode, self.python, uid)
            if problem is None:
                if not mode.startswith("bwrap"):
                    _warn_weak(mode)
                return mode
            reasons.append(f"{mode}: {problem}")
        raise SandboxUnavailable("no sandbox mode works here (" + "; ".join(reasons) + ")")

    @property
    def mode(self) -> str:
        return self._mode

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, request: ExecutionRequest) -> ExecutionResult:
        box = tempfile.mkdtemp(prefix="eb-sbx-")
        try:
            os.chmod(box, 0o755)
            self._write_box(Path(box), request)
            stop = threading.Event()
            futures = [
                self._pool.submit(self._task, box, i, request, stop) for i in range(len(request.tests))
            ]
            verdicts = [f.result() for f in futures]
        finally:
            shutil.rmtree(box, ignore_errors=True)
        return ExecutionResult(verdicts=verdicts, mode=self._mode)

    @staticmethod
    def _write_box(box: Path, request: ExecutionRequest) -> None:
        (box / "program.py").write_text(request.program, encoding="utf-8")
        shutil.copyfile(RUNNER, box / "runner.py")
        (box / "in").mkdir()
        for i, test in enumerate(request.tests):
            (box / "in" / f"{i}.txt").write_text(test.input, encoding="utf-8")
        for path in [box / "in", *box.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)

    def _task(self, box: str, index: int, request: ExecutionRequest, stop: threading.Event) -> TestVerdict:
        if stop.is_set() and not request.all_verdicts:
            return TestVerdict(index=index, reason="not_run")
        slot = self._slots.get()
        try:
            verdict = self._run_test(box, index, request, slot)
        finally:
            self._slots.put(slot)
        if not verdict.passed:
            stop.set()
        return verdict

    def _command(self, box: str, index: int, request: ExecutionRequest, status_fd: int) -> list[str]:
        limits = request.limits
        inside = "/box" if self._mode.startswith("bwrap") else box
        config = {
            "program": f"{inside}/program.py",
            "input": f"{inside}/in/{index}.txt",
            "fn_name": request.fn_name,
            "status_fd": status_fd,
            "limits": {
                "cpu_s": max(1, round(limits.cpu_s)),
                "memory_bytes": limits.memory_bytes,
                # without namespaces or a private uid the count is the caller's: allow what it runs now
                # (inside bwrap's user namespace the limit counts only that namespace's processes)
                "processes": limits.processes
                + (len(uid_processes(os.getuid())) if self._mode == "rlimits" else 0),
                "file_bytes": limits.file_bytes,
                "open_files": limits.open_files,
            },
        }
        prefix = _bwrap_cmd(self.python, box, limits) if inside == "/box" else [self.python]
        return [*prefix, "-I", f"{inside}/runner.py", json.dumps(config)]

    def _run_test(self, box: str, index: int, request: ExecutionRequest, slot: int) -> TestVerdict:
        limits = request.limits
        uid = self.uid_base + slot if self._mode.endswith("+uid") else None
        workdir = None
        if not self._mode.startswith("bwrap"):
            workdir = tempfile.mkdtemp(prefix=f"work-{index}-", dir=box)
            if uid is not None:
                os.chown(workdir, uid, uid)
        status_r, status_w = os.pipe()
        cmd = self._command(box, index, request, status_w)
        env = {"PATH": "/usr/bin:/bin", "HOME": workdir or "/sandbox", "LANG": "C.UTF-8"}
        user = {"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}
        stdin = open(Path(box) / "in" / f"{index}.txt", "rb") if request.fn_name is None else None  # noqa: SIM115
        start = time.monotonic()
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=stdin or subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(status_w,),
                cwd=workdir or box,
                env=env,
                start_new_session=True,
                **user,
            )
        finally:
            os.close(status_w)
            if stdin:
                stdin.close()
        try:
            out = collect(proc, status_r, start + limits.wall_s, limits.output_bytes, uid, self._mode)
        finally:
            os.close(status_r)
            if workdir:
                shutil.rmtree(workdir, ignore_errors=True)
        return _verdict(index, request, out, time.monotonic() - start)


def _verdict(index: int, request: ExecutionRequest, out: Outcome, wall: float) -> TestVerdict:
    limits = request.limits
    status = _parse_status(out.status)
    detail = ""
    if out.over_output:
        reason = "output_limit"
    elif out.timed_out:
        reason = "time_limit"
    elif status is not None and status.get("status") == "ok":
        test = request.tests[index]
        if request.fn_name is not None:
            ok = call_matches(str(status.get("result", "")), test.output)
        else:
            ok = stdout_matches(out.stdout.decode("utf-8", errors="replace"), test.output)
        reason = "passed" if ok else "wrong_answer"
    elif status is not None and status.get("status") in ("compile_error", "runtime_error", "memory_limit"):
        reason, detail = status["status"], str(status.get("error", ""))
    elif out.exit_code in (-signal.SIGXCPU, 128 + signal.SIGXCPU) or out.cpu_s >= limits.cpu_s - 0.05:
        reason = "time_limit"
    elif out.maxrss_bytes >= 0.9 * limits.memory_bytes and out.maxrss_bytes > 1.05 * peak_rss_bytes():
        reason = "memory_limit"
    else:
        reason = "runtime_error"
        detail = f"exit code {out.exit_code}; " + out.stderr_tail.decode(errors="replace")[-200:]
    return TestVerdict(
        index=index, reason=reason, wall_s=round(wall, 4), cpu_s=round(out.cpu_s, 4), detail=detail
    )


def _parse_status(raw: bytes) -> dict | None:
    lines = [line for line in bytes(raw).splitlines() if line.strip()]
    if not lines:
        return None
    try:
        status = json.loads(lines[-1])
    except ValueError:
        return None
    return status if isinstance(status, dict) else None
