"""Our sandbox's ``lcb`` semantics reproduce LiveCodeBench's own runner on every program of the agreement
corpus (``tests/code_agreement``), and ``judge`` differs from it exactly on the quirks a contest judge
treats differently.

``lcb_runner`` itself is not needed: its verdicts were observed once and recorded in
``tests/code_agreement/lcb_runner_verdicts.json`` (``benchmarks/lcb_agreement.py --record``).
"""

from __future__ import annotations

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from elastic_bench.harness.sandbox import ExecutionRequest, Limits, LocalExecutor
from elastic_bench.harness.sandbox import TestCase as Case
from tests.code_agreement.corpus import (
    VERDICTS_FILE,
    Program,
    agree,
    default_data_dir,
    lcb_verdict,
    load_corpus,
    our_verdict,
)

pytestmark = [
    pytest.mark.skipif(
        not (default_data_dir() / "livecodebench").is_dir(), reason="shared code data not present"
    ),
    pytest.mark.timeout(300),
]

#: quirks where a contest judge and lcb_runner reach different verdicts
JUDGE_DIFFERS = {
    # lcb_runner fails, a judge passes
    "open_fd0",  # open(0) is the real builtin (prelude star import) on fd 0 = /dev/null
    "stdin_iterate",  # its mocked sys.stdin is not iterable
    "buffer_readline_twice",  # its sys.stdin.buffer.readline() always returns the first line
    "os_read_fd0",  # fd 0 is /dev/null in its process
    "readline_then_read",  # its sys.stdin.read() returns the whole input whatever was read before
    "readlines_trailing_empty",  # its sys.stdin.readlines() ends with an empty string
    "global_in_helper",  # the program body is wrapped in a function: module variables become locals
    "main_guard_not_last",  # the __main__ guard is only unwrapped when it is the last statement
    "main_guard_reversed",  # ... and only when written exactly __name__ == '__main__'
    "stdout_buffer_write",  # its captured stdout is a StringIO without .buffer
    "from_sys_stdout",  # an imported stdout is the real one, not the capture
    "os_write_fd1",  # fd 1 is not captured
    "quit_call",  # builtins.quit = None
    "future_import",  # its prelude comes before the program's __future__ import (stdin)
    "module_function_with_solution_class",  # a Solution class hides the module-level function
    "solution_named_in_comment",  # the words "class Solution" anywhere select the class form
    "solution_instance_reused",  # one Solution instance serves every test
    # lcb_runner passes, a judge fails
    "sys_exit_nonzero",  # SystemExit is ignored
    "call_mode_print_flood",  # functional stdout is neither captured nor capped
    "stderr_flood",  # stderr is neither captured nor capped
    "memory_1200mb",  # no memory limit
    "prelude_missing_import",  # its import prelude supplies the names (stdin)
    "prelude_recursionlimit",  # its prelude sets the recursion limit to 50000
    "from_sys_stdin_newline",  # an imported stdin's readline returns lines without their newline
}
#: quirks where both reach the same verdict
JUDGE_AGREES = {
    "none",
    "input_builtin",
    "stdin_readline",
    "input_alias_readline",
    "from_sys_stdin_readline",
    "stdin_read_split",
    "stdin_readlines",
    "stdin_buffer_read_split",
    "print_sep_end",
    "stdout_write",
    "exit_after_output",
    "sys_exit_zero",
    "main_guard_last",
    "prelude_missing_import_call",  # a LeetCode-style judge pre-imports the same names
    "future_import_call",  # ... so a __future__ import fails under both
    "numpy_import",
    "unjoined_thread",
    "tuple_result",
    "nested_tuple_result",
    "int_dict_keys",
    "numpy_scalar_result",
    "numpy_array_result",
    "module_level_function",
    "call_mode_exit",
    "tle_swallowed_alarm",
}
#: lcb_runner's verdict here depends on thread timing (the unjoined thread prints after its capture
#: ends once it runs past the GIL switch interval); both semantics join threads, so the verdict is pass
TIMING_DEPENDENT = {"unjoined_thread_slow": ("pass", None)}
#: short limits keep the test quick; every deliberate time limit is an endless loop
LIMITS = dataclasses.replace(Limits(), wall_s=3.0, cpu_s=3.0)


@pytest.fixture(scope="module")
def corpus() -> list[Program]:
    return load_corpus()


@pytest.fixture(scope="module")
def recorded() -> dict:
    return json.loads(VERDICTS_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def executor():
    with LocalExecutor() as ex:
        yield ex


def expected_lcb(program: Program, recorded: dict) -> tuple[str, int | None]:
    """lcb_runner's recorded verdict on a program (or the timing-dependent quirk's intended one)."""
    if program.quirk in TIMING_DEPENDENT:
        return TIMING_DEPENDENT[program.quirk]
    entry = recorded["programs"][program.name]
    return lcb_verdict(entry["raw"], len(program.tests))


def run_all(
    executor: LocalExecutor, corpus: list[Program], semantics: str
) -> dict[str, tuple[str, int | None]]:
    """Every program's verdict under one semantics, programs run concurrently."""

    def one(program: Program) -> tuple[str, int | None]:
        request = ExecutionRequest(
            program=program.source,
            tests=[Case(i, o) for i, o in program.tests],
            fn_name=program.fn_name,
            limits=LIMITS,
            semantics=semantics,
        )
        return our_verdict([v.reason for v in executor.run(request).verdicts])

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip([p.name for p in corpus], pool.map(one, corpus), strict=True))


def test_corpus_covers_every_quirk(corpus: list[Program], recorded: dict) -> None:
    quirks = {p.quirk for p in corpus}
    listed = JUDGE_DIFFERS | JUDGE_AGREES | set(TIMING_DEPENDENT)
    assert not JUDGE_DIFFERS & JUDGE_AGREES
    assert quirks == listed, f"unlisted: {quirks - listed}; without a program: {listed - quirks}"
    assert len(corpus) >= 64
    assert {bool(p.fn_name) for p in corpus if p.quirk == "none"} == {True, False}
    assert set(recorded["programs"]) == {p.name for p in corpus}, "re-record: benchmarks/lcb_agreement.py"
    assert all(recorded["programs"][p.name]["quirk"] == p.quirk for p in corpus)
    ordinary = {recorded["programs"][p.name]["verdict"] for p in corpus if p.quirk == "none"}
    assert ordinary == {"pass", "wrong_answer", "time_limit", "runtime_error"}


def test_lcb_semantics_reproduce_lcb_runner(executor, corpus: list[Program], recorded: dict) -> None:
    got = run_all(executor, corpus, "lcb")
    wrong = [
        f"{p.name} ({p.quirk}): lcb_runner {expected_lcb(p, recorded)}, ours {got[p.name]}"
        for p in corpus
        if not agree(expected_lcb(p, recorded), got[p.name])
    ]
    assert not wrong, "semantics=lcb disagrees with lcb_runner on:\n" + "\n".join(wrong)


def test_judge_semantics_differ_exactly_on_judge_quirks(
    executor, corpus: list[Program], recorded: dict
) -> None:
    got = run_all(executor, corpus, "judge")
    unexpected = [
        f"{p.name} ({p.quirk}, expected to {'differ' if p.quirk in JUDGE_DIFFERS else 'agree'}): "
        f"lcb_runner {expected_lcb(p, recorded)}, judge {got[p.name]}"
        for p in corpus
        if agree(expected_lcb(p, recorded), got[p.name]) == (p.quirk in JUDGE_DIFFERS)
    ]
    assert not unexpected, "semantics=judge, unexpected on:\n" + "\n".join(unexpected)
