"""The in-sandbox runner: lowers its own limits, then runs one untrusted program on one test.

This file is copied into the sandbox and executed there by a bare interpreter (``python -I``), so it
imports nothing but the standard library and nothing of elastic_bench. It is trusted code that runs
before the untrusted program: it sets the hard resource limits (which the program, holding no
capabilities, cannot raise again), compiles the program, and runs it the way LiveCodeBench does:

* ``stdin``: the program runs as ``__main__`` with the test input as standard input; its standard
  output is what the executor compares.
* ``call``: the program is executed as a module, ``Solution().<fn_name>`` (or a module-level
  ``<fn_name>``) is called with the test's arguments (one JSON value per line), and the return
  value is sent back as JSON. Expected outputs never enter the sandbox.

Both formats get LiveCodeBench's standard-library prelude (models often omit imports). The outcome
goes to the status file descriptor (``status_fd`` of the config) as one JSON object: ``{"status": "ok" | "compile_error" |
"runtime_error" | "memory_limit", "result": <json text, call mode>, "error": <one line>}``.
Usage: ``python -I sandbox_runner.py CONFIG_JSON``.
"""

import json
import os
import resource
import sys

STATUS_FD = 3

#: the modules LiveCodeBench star-imports and imports before every solution
_PRELUDE_MODULES = [
    "string",
    "re",
    "datetime",
    "collections",
    "heapq",
    "bisect",
    "copy",
    "math",
    "random",
    "statistics",
    "itertools",
    "functools",
    "operator",
    "io",
    "sys",
    "json",
    "builtins",
    "typing",
]


def _prelude() -> str:
    star = "".join(f"from {m} import *\n" for m in _PRELUDE_MODULES)
    plain = "".join(f"import {m}\n" for m in _PRELUDE_MODULES if m not in ("builtins", "typing"))
    return star + plain + "sys.setrecursionlimit(50000)\n"


def _report(payload: dict) -> None:
    data = (json.dumps(payload) + "\n").encode()
    try:
        while data:
            data = data[os.write(STATUS_FD, data) :]
    except OSError:
        pass  # the program closed our channel: the executor reports a runtime error


def _set_limits(limits: dict) -> None:
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


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _to_json(value: object) -> str:
    if isinstance(value, tuple):  # LiveCodeBench: a tuple counts as the list it holds
        value = list(value)
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return json.dumps({"__unserializable__": repr(value)[:300]})


def main() -> None:
    global STATUS_FD
    config = json.loads(sys.argv[1])
    STATUS_FD = config.get("status_fd") or STATUS_FD
    _set_limits(config["limits"])
    with open(config["program"], encoding="utf-8", errors="replace") as f:
        source = _prelude() + "\n" + f.read()
    try:
        code = compile(source, "solution.py", "exec")
    except MemoryError as exc:
        return _report({"status": "memory_limit", "error": _one_line(exc)})
    except (SyntaxError, ValueError, RecursionError) as exc:
        return _report({"status": "compile_error", "error": _one_line(exc)})

    call = config["fn_name"] is not None
    if call:
        with open(config["input"], encoding="utf-8") as f:
            args = [json.loads(line) for line in f.read().split("\n") if line.strip()]
    namespace = {"__name__": "tmp_sol" if call else "__main__", "__builtins__": __builtins__}
    status: dict = {"status": "ok"}
    try:
        try:
            exec(code, namespace)
            if call:
                fn_name = config["fn_name"]
                target = namespace["Solution"]() if "Solution" in namespace else None
                method = getattr(target, fn_name, None) if target is not None else None
                method = method or namespace.get(fn_name)
                if method is None:
                    raise AttributeError(f"no method or function named {fn_name!r}")
                status["result"] = _to_json(method(*args))
        except SystemExit:
            pass  # LiveCodeBench ignores SystemExit: what was printed so far counts
        sys.stdout.flush()
    except MemoryError as exc:
        status = {"status": "memory_limit", "error": _one_line(exc)}
    except BaseException as exc:  # noqa: BLE001 - any exception of the program is its runtime error
        status = {"status": "runtime_error", "error": _one_line(exc)}
    _report(status)
    try:
        sys.stdout.flush()
    finally:
        os._exit(0)


if __name__ == "__main__":
    main()
