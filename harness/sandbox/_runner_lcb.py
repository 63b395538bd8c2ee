"""The ``lcb`` semantics of the in-sandbox runner: every test of a program in one process, as
LiveCodeBench's runner (``lcb_runner/evaluation/testing_util.py``) runs them.

Copied into the sandbox beside the runner and imported by it only under these semantics; standard
library only. Reproduced behaviour, each of which decides verdicts of real programs: the prelude; a
stdin program's trailing ``if __name__ == '__main__':`` unwrapped and every statement but its
imports moved into ``wrapped_function`` (so a helper's ``global`` finds nothing and an earlier main
guard never runs); a stand-in ``sys.stdin`` (``read``, ``readline``, ``readlines`` without newlines,
``buffer.readline`` always the first line, not iterable), the real stdin object's ``read`` /
``readline`` / ``readlines`` answering from the test and its file descriptor empty (``open(0)``);
``sys.stdout`` captured in memory (no ``buffer``; writes to descriptor 1 are lost); ``SystemExit``
ignored in stdin programs; ``quit``, ``help`` and the destructive ``os`` / ``shutil`` /
``subprocess`` functions disabled; a functional program's ``Solution`` instantiated when its text
names ``class Solution``, else its module-level function; a per-test alarm raising an ``Exception``.
"""

import ast
import builtins
import contextlib
import io
import os
import signal
import sys

#: the runner module (prelude, report, encode, timers), set by :func:`run_lcb`
rt = None
MAIN_GUARD = "__name__ == '__main__'"
#: what LiveCodeBench's reliability guard sets to None before a program runs
DISABLED = {
    "os": "kill system putenv remove removedirs rmdir fchdir setuid fork forkpty killpg rename renames "
    "truncate replace unlink fchmod fchown chmod chown chroot lchflags lchmod lchown getcwd chdir",
    "shutil": "rmtree move chown",
    "subprocess": "Popen",
}
BLOCKED_MODULES = ("ipdb", "joblib", "resource", "psutil", "tkinter")


class TimeoutException(Exception):  # noqa: N818 - the name a program may test for, as in LiveCodeBench
    """Raised by the per-test alarm (an Exception: a program's broad ``except`` can catch it)."""


def on_alarm(signum: int, frame: object) -> None:
    raise TimeoutException("time limit")


class LcbBuffer:
    """``sys.stdin.buffer``: ``read`` gives the whole input; ``readline`` always the first line."""

    def __init__(self, text: str) -> None:
        self.data = text.encode("utf-8")

    def read(self, *args: object) -> bytes:
        return self.data

    def readline(self, *args: object) -> bytes:
        return self.data.split(b"\n")[0] + b"\n"


class LcbStdin:
    """The stand-in ``sys.stdin``: ``read`` the whole input, ``readline`` one line at a time,
    ``readlines`` the lines split on newlines (without them); not iterable."""

    def __init__(self, text: str) -> None:
        self.text, self.lines, self.buffer = text, io.StringIO(text), LcbBuffer(text)

    def read(self, *args: object) -> str:
        return self.text

    def readline(self, *args: object) -> str:
        return self.lines.readline(*args)

    def readlines(self, *args: object) -> list[str]:
        return self.text.split("\n")

    def __getattr__(self, name: str) -> object:
        return getattr(self.lines, name)


class Capture(io.StringIO):
    """``sys.stdout`` while a stdin program runs; closing it is a no-op."""

    def close(self) -> None:
        pass


def lcb_stdin_program(source: str) -> str:
    """The program as LiveCodeBench runs it: a trailing main guard unwrapped, the imports kept at
    the top and every other statement moved into ``wrapped_function``."""
    try:
        tree = ast.parse(source)
        last = tree.body[-1]
        if isinstance(last, ast.If) and ast.unparse(last.test).strip() == MAIN_GUARD:
            source = ast.unparse(tree.body[:-1]) + "\n" + ast.unparse(last.body)
    except Exception:  # noqa: BLE001 - an unparsable program is left as it is
        pass
    try:
        tree = ast.parse(source)
        imports = [s for s in tree.body if isinstance(s, ast.Import | ast.ImportFrom)]
        body = [s for s in tree.body if not isinstance(s, ast.Import | ast.ImportFrom)]
        args = ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[])
        wrapped = ast.FunctionDef(name="wrapped_function", args=args, body=body, decorator_list=[], lineno=-1)
        return rt.prelude() + "\n" + ast.unparse(imports) + "\n" + ast.unparse(wrapped)
    except Exception:  # noqa: BLE001 - as LiveCodeBench: the untransformed text is compiled (and fails)
        return source


def disable_destructive() -> None:
    import shutil
    import subprocess

    os.environ["OMP_NUM_THREADS"] = "1"
    modules = {"os": os, "shutil": shutil, "subprocess": subprocess}
    for module, names in DISABLED.items():
        for name in names.split():
            setattr(modules[module], name, None)
    builtins.quit = None
    builtins.help = None
    for name in BLOCKED_MODULES:
        sys.modules[name] = None


class LcbInput:
    """Installs one test's input: the stand-in ``sys.stdin``, the real stdin object's ``read``,
    ``readline`` (lines without newline) and ``readlines``, and ``builtins.open`` returning a fresh
    in-memory file of the input (what a mocked ``open`` with the input as its data gives)."""

    def __init__(self, text: str) -> None:
        lines = iter(text.split("\n"))
        self.real = sys.stdin
        self.attrs = {
            "read": lambda *a: text,
            "readline": lambda *a: next(lines),
            "readlines": lambda *a: text.split("\n"),
        }
        self.stdin, self.open = LcbStdin(text), lambda *args, **kwargs: Capture(text)

    def __enter__(self) -> None:
        self.saved_open, builtins.open = builtins.open, self.open
        for name, fn in self.attrs.items():
            setattr(self.real, name, fn)
        sys.stdin = self.stdin

    def __exit__(self, *exc: object) -> None:
        sys.stdin, builtins.open = self.real, self.saved_open
        for name in self.attrs:
            self.real.__dict__.pop(name, None)


def lcb_test(index: int, run, config: dict, text: str | None) -> dict:
    """Run one test (``run()`` calls the program) and return its status line."""
    timer = rt.Timer()
    wall_s = config["limits"]["wall_s"]
    out = Capture() if text is not None else None
    status: dict = {"index": index, "status": "ok"}
    signal.alarm(max(1, round(wall_s)))
    try:
        if out is not None:
            sys.stdout = out
            with LcbInput(text):
                with contextlib.suppress(SystemExit):  # LiveCodeBench ignores it: what was printed counts
                    run()
                ok = rt.join_threads(timer.wall + wall_s)
        else:
            status["result"] = rt.encode(run())
            ok = rt.join_threads(timer.wall + wall_s)
        signal.alarm(0)
        if not ok:
            status = {"index": index, "status": "time_limit", "error": "a thread was still running"}
    except TimeoutException:
        status = {"index": index, "status": "time_limit", "error": "time limit (alarm)"}
    except MemoryError as exc:
        status = {"index": index, "status": "memory_limit", "error": rt.one_line(exc)}
    except Exception as exc:  # noqa: BLE001 - the program's runtime error
        status = {"index": index, "status": "runtime_error", "error": rt.one_line(exc)}
    finally:
        signal.alarm(0)
        sys.stdout = sys.__stdout__
    if out is not None and status["status"] == "ok":
        captured = out.getvalue()
        if len(captured) > config["limits"]["output_bytes"]:
            status = {"index": index, "status": "output_limit", "error": f"{len(captured)} characters"}
        else:
            status["stdout"] = captured
    return {**status, **timer.fields()}


def run_lcb(config: dict, source: str, runtime: object) -> None:
    """Run every test of ``config`` in this process; ``runtime`` is the runner module (its helpers)."""
    global rt
    rt = runtime

    if "numpy" in source:  # LiveCodeBench's runner has numpy loaded before it disables os functions
        with contextlib.suppress(ImportError):
            import numpy  # noqa: F401
    call = config["fn_name"] is not None
    sys.set_int_max_str_digits(50000)  # LiveCodeBench's runner raises the limit for every program
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # what the program writes around sys.stdout is not part of its output
    os.dup2(devnull, 2)
    disable_destructive()
    signal.signal(signal.SIGALRM, on_alarm)
    code_text = rt.prelude() + "\n\n" + source if call else lcb_stdin_program(source)
    namespace = {"__name__": "tmp_sol", "__builtins__": builtins}
    has_solution = "class Solution" in code_text  # LiveCodeBench's test for a LeetCode-style class
    timer = rt.Timer()
    try:
        code = compile(code_text, "solution.py", "exec")
    except MemoryError as exc:
        return rt.report({"index": 0, "status": "memory_limit", "error": rt.one_line(exc)})
    except (SyntaxError, ValueError, RecursionError) as exc:
        return rt.report({"index": 0, "status": "compile_error", "error": rt.one_line(exc)})
    signal.alarm(max(1, round(config["limits"]["wall_s"])))
    try:
        exec(code, namespace)
        if call:
            method = rt.find_function(namespace, config["fn_name"], has_solution)
            inputs = [rt.read_args(path) for path in config["inputs"]]
        elif has_solution:  # LiveCodeBench instantiates the Solution of any program naming it
            raise AttributeError("module 'tmp_sol' has no attribute 'Solution'")
        else:
            method = namespace["wrapped_function"]
    except BaseException as exc:  # noqa: BLE001 - a module-level failure: the first test's error
        signal.alarm(0)
        kind = "time_limit" if isinstance(exc, TimeoutException) else "runtime_error"
        return rt.report({"index": 0, "status": kind, "error": rt.one_line(exc), **timer.fields()})
    signal.alarm(0)
    for index, path in enumerate(config["inputs"]):
        if call:
            line = lcb_test(index, lambda args=inputs[index]: method(*args), config, None)
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            line = lcb_test(index, method, config, text)
        rt.report(line)
