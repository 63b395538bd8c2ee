"""The in-sandbox runner: lowers its own limits, then runs one untrusted program under named semantics.

This file is copied into the sandbox and executed there by a bare interpreter (``python -I``), so it
imports nothing but the standard library and nothing of elastic_bench. It is trusted code that runs
before the untrusted program: it sets the hard resource limits (which the program, holding no
capabilities, cannot raise again), compiles the program and runs it.

Semantics (``semantics`` of the config):

* ``judge``: one process per test, run as a contest judge runs it. A stdin program is executed as
  ``__main__`` on the real standard input and standard output, with no added imports; a non-zero
  exit status (``sys.exit(1)``) is a runtime error. A functional program gets the pre-imports a
  LeetCode-style judge provides (the prelude below) and ``Solution().<fn_name>`` (or a module-level
  ``<fn_name>``) is called.
* ``lcb``: every test of the program in this one process, in order, the way LiveCodeBench's runner
  (``lcb_runner/evaluation/testing_util.py``) runs them, quirks included: see ``runner_lcb.py``
  (copied beside this file, imported only under these semantics).

In every mode the program's non-daemon threads are joined before its output is taken. A functional
answer is sent back in a type-preserving JSON encoding (tuples, sets and non-string dict keys stay
what they are), so the executor compares it as LiveCodeBench compares Python objects; expected
outputs never enter the sandbox. Each test's outcome goes to the status file descriptor as one JSON
line: ``{"index", "status": "ok" | "compile_error" | "runtime_error" | "memory_limit" | "time_limit"
| "output_limit", "result" (functional), "stdout" (lcb stdin), "error", "wall_s", "cpu_s"}``.
Usage: ``python -I sandbox_runner.py CONFIG_JSON``.
"""

import builtins
import json
import os
import resource
import sys
import threading
import time

STATUS_FD = 3

#: the modules LiveCodeBench star-imports and imports before every solution
PRELUDE_MODULES = [
    "string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random",
    "statistics", "itertools", "functools", "operator", "io", "sys", "json", "builtins", "typing",
]  # fmt: skip


def prelude() -> str:
    star = "".join(f"from {m} import *\n" for m in PRELUDE_MODULES)
    plain = "".join(f"import {m}\n" for m in PRELUDE_MODULES if m not in ("builtins", "typing"))
    return star + plain + "sys.setrecursionlimit(50000)\n"


def report(payload: dict) -> None:
    try:
        text = json.dumps(payload)
    except ValueError:  # an integer longer than the interpreter prints by default
        sys.set_int_max_str_digits(0)
        text = json.dumps(payload)
    data = (text + "\n").encode()
    try:
        while data:
            data = data[os.write(STATUS_FD, data) :]
    except OSError:
        pass  # the program closed our channel: the executor reports a runtime error


def set_limits(limits: dict) -> None:
    """Lower soft and hard limits together; an unprivileged process can never raise them again."""
    cpu = int(limits["cpu_s"])
    pairs = {
        resource.RLIMIT_AS: (limits["memory_bytes"], limits["memory_bytes"]),
        resource.RLIMIT_CPU: (cpu, cpu + 1),
        resource.RLIMIT_NPROC: (limits["processes"], limits["processes"]),
        resource.RLIMIT_FSIZE: (limits["file_bytes"], limits["file_bytes"]),
        resource.RLIMIT_NOFILE: (limits["open_files"], limits["open_files"]),
        resource.RLIMIT_CORE: (0, 0),
    }
    for which, (soft, hard) in pairs.items():
        _, cur_hard = resource.getrlimit(which)
        if cur_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, cur_hard), min(hard, cur_hard)
        resource.setrlimit(which, (soft, hard))


def one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def encode(value: object, depth: int = 0) -> object:
    """A JSON value that keeps the Python type of ``value`` (the executor decodes it back)."""
    if depth > 200:
        return {"__object__": "nested too deeply"}
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return (
            value
            if value == value and value not in (float("inf"), float("-inf"))
            else {"__float__": repr(value)}
        )
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, set | frozenset):
        return {"__set__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    kind = type(value).__module__ + "." + type(value).__name__
    if kind.startswith("numpy.") and hasattr(value, "tolist"):
        shape = getattr(value, "shape", ())
        if shape == ():
            return encode(value.tolist(), depth + 1)  # a numpy scalar compares as its Python value
        return {"__ndarray__": encode(value.tolist(), depth + 1)}
    return {"__object__": repr(value)[:300]}


def join_threads(deadline: float) -> bool:
    """Wait for the program's non-daemon threads (and the threads they start); False at the deadline."""
    while True:
        alive = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
        if not alive:
            return True
        for thread in alive:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                return False


class Timer:
    """Wall and CPU seconds of one test."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.monotonic(), self._cpu()

    @staticmethod
    def _cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def fields(self) -> dict:
        return {"wall_s": round(time.monotonic() - self.wall, 4), "cpu_s": round(self._cpu() - self.cpu, 4)}


def find_function(namespace: dict, fn_name: str, has_solution: bool | None = None):
    """The function to call. ``has_solution`` None (judge): ``Solution().fn_name``, failing that a
    module-level ``fn_name``; a bool (lcb: whether the text names ``class Solution``): the method
    of ``Solution()`` when True, else the module-level function, and nothing else."""
    if has_solution is None:
        target = namespace["Solution"]() if "Solution" in namespace else None
        method = (getattr(target, fn_name, None) if target is not None else None) or namespace.get(fn_name)
    elif has_solution:
        method = getattr(namespace["Solution"](), fn_name, None)
    else:
        method = namespace.get(fn_name)
    if method is None:
        raise AttributeError(f"no method or function named {fn_name!r}")
    return method


def read_args(path: str) -> list:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f.read().split("\n") if line.strip()]


# --- judge: one test, a real process ----------------------------------------------------------


def run_judge(config: dict, source: str) -> None:
    call = config["fn_name"] is not None
    timer = Timer()
    deadline = timer.wall + config["limits"]["wall_s"]
    try:
        code = compile((prelude() + "\n" if call else "") + source, "solution.py", "exec")
    except MemoryError as exc:
        return report({"index": 0, "status": "memory_limit", "error": one_line(exc)})
    except (SyntaxError, ValueError, RecursionError) as exc:
        return report({"index": 0, "status": "compile_error", "error": one_line(exc)})
    namespace = {"__name__": "tmp_sol" if call else "__main__", "__builtins__": builtins}
    status: dict = {"index": 0, "status": "ok"}
    try:
        try:
            exec(code, namespace)
            if call:
                method = find_function(namespace, config["fn_name"])
                status["result"] = encode(method(*read_args(config["inputs"][0])))
        except SystemExit as exc:
            if call:  # the method never returned
                error = f"exited with status {exc.code} instead of returning"
                status = {"index": 0, "status": "runtime_error", "error": error}
            elif exc.code not in (None, 0):  # a judge sees the exit status
                error = f"SystemExit: exit status {exc.code}"
                status = {"index": 0, "status": "runtime_error", "error": error}
        if not join_threads(deadline):
            status = {"index": 0, "status": "time_limit", "error": "a thread was still running"}
        sys.stdout.flush()
    except MemoryError as exc:
        status = {"index": 0, "status": "memory_limit", "error": one_line(exc)}
    except BaseException as exc:  # noqa: BLE001 - any exception of the program is its runtime error
        status = {"index": 0, "status": "runtime_error", "error": one_line(exc)}
    report({**status, **timer.fields()})


def main() -> None:
    global STATUS_FD
    config = json.loads(sys.argv[1])
    STATUS_FD = config.get("status_fd") or STATUS_FD
    set_limits(config["limits"])
    with open(config["program"], encoding="utf-8", errors="replace") as f:
        source = f.read()
    if config.get("semantics") == "lcb":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import runner_lcb  # copied beside this file

        del sys.path[0]
        runner_lcb.run_lcb(config, source, sys.modules[__name__])
    else:
        run_judge(config, source)
    try:
        sys.stdout.flush()
    finally:
        os._exit(0)


if __name__ == "__main__":
    main()
