"""The local sandboxed executor: bubblewrap namespaces + a private uid + rlimits, one process per test.

Layers, strongest mode first (``LocalExecutor.mode`` names the one in force; :data:`PROTECTIONS`
lists what each keeps):

* ``bwrap``: bubblewrap puts each test in new user, pid, network, ipc, uts and mount namespaces: no
  network but a private loopback, a read-only view of ``/usr`` (and the interpreter's prefix, and the symlinks of
  ``/etc/alternatives`` that Debian's shared libraries resolve through) and nothing else of the host
  (no /home, /root, /work, the rest of /etc), a read-only root, private size-capped
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
)
from elastic_bench.harness.sandbox._proc import collect, uid_processes
from elastic_bench.harness.sandbox._verdicts import SessionReader, judge_verdict

RUNNER = Path(__file__).with_name("_runner.py")
RUNNER_LCB = Path(__file__).with_name("_runner_lcb.py")  # imported by the runner under ``lcb`` semantics
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
    if os.path.isdir(
        "/etc/alternatives"
    ):  # symlinks only: Debian's shared libraries (BLAS) resolve through it
        args += ["--ro-bind", "/etc/alternatives", "/etc/alternatives"]
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
        *(arg for name, value in THREAD_ENV.items() for arg in ("--setenv", name, value)),
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


#: numerical libraries use one thread per test (their thread pools would count against the process limit)
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

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


def default_uid_base() -> int:
    """Private uids of this process's slots: distinct per process, so two graders on one machine never
    count or kill each other's tests (256 slots per process id)."""
    return 1_000_000 + (os.getpid() % 100_000) * 256


class LocalExecutor:
    """Runs each test in its own sandboxed process, ``workers`` at a time (default: all cores)."""

    def __init__(
        self,
        mode: str = "auto",
        workers: int | None = None,
        python: str | None = None,
        uid_base: int | None = None,
    ) -> None:
        self.python = python or _sandbox_python()
        self.workers = workers or os.cpu_count() or 1
        self.uid_base = uid_base if uid_base is not None else default_uid_base()
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
        request = request.with_memory(self.workers)
        box = tempfile.mkdtemp(prefix="eb-sbx-")
        try:
            os.chmod(box, 0o755)
            self._write_box(Path(box), request)
            if request.semantics == "lcb":  # one process runs every test, in order
                verdicts = self._pool.submit(self._run_session, box, request).result()
            else:
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
        shutil.copyfile(RUNNER_LCB, box / "runner_lcb.py")
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

    def _command(self, box: str, tests: list[int], request: ExecutionRequest, status_fd: int) -> list[str]:
        limits = request.limits
        inside = "/box" if self._mode.startswith("bwrap") else box
        cpu_s = session_seconds(limits.cpu_s, len(tests)) if request.semantics == "lcb" else limits.cpu_s
        config = {
            "program": f"{inside}/program.py",
            "inputs": [f"{inside}/in/{i}.txt" for i in tests],
            "fn_name": request.fn_name,
            "semantics": request.semantics,
            "status_fd": status_fd,
            "limits": {
                "wall_s": limits.wall_s,
                "cpu_s": max(1, round(cpu_s)),
                "memory_bytes": limits.memory_bytes,
                "output_bytes": limits.output_bytes,
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

    def _spawn(
        self, box: str, tests: list[int], request: ExecutionRequest, slot: int, stdin_path: Path | None
    ):
        """Start the runner on ``tests``; returns (process, status read end, uid, workdir, start time)."""
        uid = self.uid_base + slot if self._mode.endswith("+uid") else None
        workdir = None
        if not self._mode.startswith("bwrap"):
            workdir = tempfile.mkdtemp(prefix="work-", dir=box)
            if uid is not None:
                os.chown(workdir, uid, uid)
        status_r, status_w = os.pipe()
        cmd = self._command(box, tests, request, status_w)
        env = {"PATH": "/usr/bin:/bin", "HOME": workdir or "/sandbox", "LANG": "C.UTF-8", **THREAD_ENV}
        user = {"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}
        stdin = open(stdin_path, "rb") if stdin_path is not None else None  # noqa: SIM115
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
        except BaseException:
            os.close(status_r)
            raise
        finally:
            os.close(status_w)
            if stdin:
                stdin.close()
        return proc, status_r, uid, workdir, start

    def _run_test(self, box: str, index: int, request: ExecutionRequest, slot: int) -> TestVerdict:
        limits = request.limits
        stdin_path = Path(box) / "in" / f"{index}.txt" if request.fn_name is None else None
        proc, status_r, uid, workdir, start = self._spawn(box, [index], request, slot, stdin_path)
        try:
            out = collect(proc, status_r, start + limits.wall_s, limits.output_bytes, uid, self._mode)
        finally:
            os.close(status_r)
            if workdir:
                shutil.rmtree(workdir, ignore_errors=True)
        return judge_verdict(index, request, out, time.monotonic() - start)

    def _run_session(self, box: str, request: ExecutionRequest) -> list[TestVerdict]:
        """Every test in one process (``lcb``), stopped at the first failure unless all are wanted."""
        limits = request.limits
        reader = SessionReader(request)
        slot = self._slots.get()
        try:
            tests = list(range(len(request.tests)))
            proc, status_r, uid, workdir, start = self._spawn(box, tests, request, slot, None)
            deadline = start + session_seconds(limits.wall_s, len(tests))
            try:
                out = collect(proc, status_r, deadline, limits.output_bytes, uid, self._mode, reader.feed)
            finally:
                os.close(status_r)
                if workdir:
                    shutil.rmtree(workdir, ignore_errors=True)
        finally:
            self._slots.put(slot)
        return reader.finish(out, time.monotonic() - start)


def session_seconds(per_test: float, n_tests: int) -> float:
    """The time one ``lcb`` process gets for all its tests: LiveCodeBench's global timeout."""
    return (per_test + 1) * n_tests + 5
