"""Agreement of our sandbox with LiveCodeBench's own runner, program by program, on the agreement corpus.

Every program of ``tests/code_agreement/programs`` runs on its problem's public tests

* through ``lcb_runner``'s unmodified ``check_correctness`` (the oracle: an extracted copy of
  LiveCodeBench's ``lcb_runner`` folder, imported from ``--lcb-runner``; nothing of it is copied here),
* through our ``LocalExecutor`` under each grading semantics (``lcb``, ``judge``),

one program after the other so that load hits all three alike. It prints one row per program (the
verdict and first failing test of each, whether ours-lcb agrees with lcb_runner, whether judge
differs from it), the totals, and tests per second of each (also without the deliberately slow
programs: time limits, the global timeout, the 1.2 GB list and the 20 MB floods).

The oracle's stdout and stderr (what the program writes past LiveCodeBench's capture) go to files and
are counted. ``check_correctness`` raises ``IndexError`` when its process returns no result (global
timeout, or the process ended early): that is the verdict ``died``. A numpy array returned by a
functional solution makes lcb_runner append the array and then ``-4`` for the same test: the array
entry is dropped (see ``normalise_lcb``).

    git -C <LiveCodeBench.git> archive HEAD lcb_runner | tar -x -C /tmp/lcb
    python benchmarks/lcb_agreement.py --lcb-runner /tmp/lcb --lcb-git-dir <LiveCodeBench.git> \
        [--json out.json] [--record]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from elastic_bench.harness.protocol import GRADING_SEMANTICS  # noqa: E402
from elastic_bench.harness.sandbox import ExecutionRequest, Limits, LocalExecutor, TestCase  # noqa: E402
from tests.code_agreement.corpus import (  # noqa: E402
    VERDICTS_FILE,
    Program,
    agree,
    lcb_verdict,
    load_corpus,
    our_verdict,
)

#: quirks whose programs are slow on purpose (left out of the second timing line)
SLOW_QUIRKS = {"memory_1200mb", "call_mode_print_flood", "stderr_flood", "tle_swallowed_alarm"}


def normalise_lcb(result: list[Any]) -> list[Any]:
    """lcb_runner's result list as JSON values: numpy booleans become bools, and an array entry that
    lcb_runner appended before the ``-4`` of the same test (its comparison raised) is dropped."""
    import numpy as np

    out: list[Any] = []
    for i, entry in enumerate(result):
        if isinstance(entry, np.ndarray):
            if i + 1 < len(result) and result[i + 1] == -4:
                continue
            entry = entry.item(0)
        if isinstance(entry, np.bool_):
            entry = bool(entry)
        out.append(entry if entry is True or isinstance(entry, int) else repr(entry))
    return out


class _Escaped:
    """Sends fds 1 and 2 to files while the oracle runs (its child inherits them); counts the bytes."""

    def __enter__(self) -> _Escaped:
        sys.stdout.flush()
        sys.stderr.flush()
        where = "/dev/shm" if os.path.isdir("/dev/shm") else None
        self._files = [tempfile.TemporaryFile(dir=where) for _ in range(2)]  # noqa: SIM115 - closed in __exit__
        self._saved = [os.dup(1), os.dup(2)]
        for fd, f in zip((1, 2), self._files, strict=True):
            os.dup2(f.fileno(), fd)
        return self

    def __exit__(self, *exc: object) -> None:
        for fd, saved in zip((1, 2), self._saved, strict=True):
            os.dup2(saved, fd)
            os.close(saved)
        self.sizes = []
        for f in self._files:
            self.sizes.append(f.seek(0, 2))
            f.close()


def run_oracle(check: Callable[..., Any], program: Program, timeout: int) -> dict[str, Any]:
    """lcb_runner's verdict on one program: its raw list (None: died), mapped verdict, time, escapes."""
    sample = {
        "input_output": json.dumps(
            {
                "inputs": [t[0] for t in program.tests],
                "outputs": [t[1] for t in program.tests],
                "fn_name": program.fn_name,
            }
        )
    }
    error = ""
    start = time.perf_counter()
    with _Escaped() as escaped:
        try:
            result, _ = check(sample, program.source, timeout=timeout, debug=False)
            raw: list[Any] | None = normalise_lcb(list(result))
        except IndexError as exc:  # no result came back from its process
            raw, error = None, repr(exc)
    seconds = time.perf_counter() - start
    verdict, first_fail = lcb_verdict(raw, len(program.tests))
    return {
        "raw": raw,
        "verdict": verdict,
        "first_fail": first_fail,
        "seconds": round(seconds, 4),
        "escaped_stdout_bytes": escaped.sizes[0],
        "escaped_stderr_bytes": escaped.sizes[1],
        "error": error,
    }


def run_ours(executor: LocalExecutor, program: Program, semantics: str) -> dict[str, Any]:
    """Our executor's verdict on one program under one semantics."""
    request = ExecutionRequest(
        program=program.source,
        tests=[TestCase(i, o) for i, o in program.tests],
        fn_name=program.fn_name,
        limits=Limits(),
        semantics=semantics,
    )
    start = time.perf_counter()
    try:
        result = executor.run(request)
    except Exception as exc:  # noqa: BLE001 - a crash of the executor is reported, not raised
        return {"verdict": "error", "first_fail": None, "error": repr(exc)[:300], "seconds": 0.0}
    seconds = time.perf_counter() - start
    reasons = [v.reason for v in result.verdicts]
    verdict, first_fail = our_verdict(reasons)
    return {
        "verdict": verdict,
        "first_fail": first_fail,
        "reasons": reasons,
        "details": [v.detail for v in result.verdicts if v.detail],
        "seconds": round(seconds, 4),
    }


def _cell(res: dict[str, Any]) -> str:
    if res["first_fail"] is None:
        return res["verdict"]
    return f"{res['verdict']}@{res['first_fail']}"


def _rate(runs: list[tuple[int, dict[str, Any] | None]]) -> str:
    """Tests per second over (number of tests, result) pairs that ran."""
    done = [(n, res) for n, res in runs if res is not None and res["verdict"] != "error"]
    tests = sum(n for n, _ in done)
    seconds = sum(res["seconds"] for _, res in done)
    return f"{tests / seconds:7.1f} tests/s ({tests} tests, {seconds:.1f} s)" if seconds else "n/a"


def report(rows: list[dict[str, Any]]) -> None:
    """The agreement table, totals and timing."""
    head = (
        f"{'program':44} {'quirk':36} {'lcb_runner':18} {'ours-lcb':18} {'ours-judge':18} agree judge-differs"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        ours = r["ours"]
        agree_cell = "yes" if r["agree_lcb"] else "NO"
        differs = "yes" if r["judge_differs"] else "no"
        print(
            f"{r['program']:44} {r['quirk']:36} {_cell(r['lcb_runner']):18} {_cell(ours['lcb']):18} "
            f"{_cell(ours['judge']):18} {agree_cell:5} {differs}"
        )
    print(f"\nprograms: {len(rows)}; tests: {sum(r['tests'] for r in rows)}")
    print(f"ours-lcb agrees with lcb_runner: {sum(r['agree_lcb'] for r in rows)}/{len(rows)}")
    print(f"ours-judge differs from lcb_runner: {sum(r['judge_differs'] for r in rows)}/{len(rows)}")
    fast = [r for r in rows if not r["slow"]]
    for label, subset in (("all programs", rows), ("without the slow ones", fast)):
        print(f"\ntiming, {label} ({len(subset)} programs, one after another):")
        print(f"  lcb_runner check_correctness: {_rate([(r['tests'], r['lcb_runner']) for r in subset])}")
        for sem in GRADING_SEMANTICS:
            print(
                f"  ours, semantics={sem:5}:        {_rate([(r['tests'], r['ours'][sem]) for r in subset])}"
            )


def lcb_commit(git_dir: Path) -> str:
    """The commit of the LiveCodeBench copy the oracle was extracted from (``unknown`` if unreadable)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(git_dir), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def record(rows: list[dict[str, Any]], path: Path, commit: str, timeout: int) -> None:
    """Write the oracle's observed verdicts (not its code) for the pytest check."""
    data = {
        "oracle": {
            "repository": "LiveCodeBench/LiveCodeBench",
            "commit": commit,
            "call": "lcb_runner.evaluation.compute_code_generation_metrics.check_correctness",
            "timeout": timeout,
        },
        "recorded": datetime.date.today().isoformat(),
        "python": platform.python_version(),
        "programs": {
            r["program"]: {
                "problem": r["problem"],
                "quirk": r["quirk"],
                "raw": r["lcb_runner"]["raw"],
                "verdict": r["lcb_runner"]["verdict"],
                "first_fail": r["lcb_runner"]["first_fail"],
                "escaped_stdout_bytes": r["lcb_runner"]["escaped_stdout_bytes"],
            }
            for r in rows
        },
    }
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the corpus through the oracle and our executor, print the table, write what was asked."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lcb-runner", type=Path, required=True, help="folder holding lcb_runner/")
    ap.add_argument(
        "--lcb-git-dir",
        type=Path,
        default=None,
        help="git dir it was extracted from (its commit is recorded)",
    )
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--timeout", type=int, default=6, help="lcb_runner's per-test timeout (its default: 6)")
    ap.add_argument("--only", nargs="*", default=None, help="program file names (default: all)")
    ap.add_argument("--json", type=Path, default=None, help="write per-program results here")
    ap.add_argument("--record", nargs="?", const=VERDICTS_FILE, type=Path, default=None,
                    help=f"write the oracle's verdicts (default file: {VERDICTS_FILE.relative_to(ROOT)})")  # fmt: skip
    args = ap.parse_args(argv)

    sys.path.insert(0, str(args.lcb_runner.resolve()))
    from lcb_runner.evaluation.compute_code_generation_metrics import check_correctness

    programs = load_corpus(args.data_dir)
    if args.only:
        programs = [p for p in programs if p.name in set(args.only)]
    rows = []
    with LocalExecutor() as executor:
        for program in programs:
            oracle = run_oracle(check_correctness, program, args.timeout)
            ours = {sem: run_ours(executor, program, sem) for sem in GRADING_SEMANTICS}
            mapped = (oracle["verdict"], oracle["first_fail"])
            row = {
                "program": program.name,
                "problem": program.problem,
                "quirk": program.quirk,
                "tests": len(program.tests),
                "slow": program.quirk in SLOW_QUIRKS or oracle["verdict"] in ("time_limit", "died"),
                "lcb_runner": oracle,
                "ours": ours,
            }
            row["agree_lcb"] = agree(mapped, (ours["lcb"]["verdict"], ours["lcb"]["first_fail"]))
            row["judge_differs"] = not agree(mapped, (ours["judge"]["verdict"], ours["judge"]["first_fail"]))
            rows.append(row)
            print(f"  {program.name}: lcb_runner {_cell(oracle)}", file=sys.stderr, flush=True)
        mode, workers = executor.mode, executor.workers
    print(f"\nsandbox mode: {mode}; workers: {workers}; lcb_runner timeout: {args.timeout} s\n")
    report(rows)
    if args.json:
        args.json.write_text(json.dumps({"mode": mode, "rows": rows}, indent=1) + "\n", encoding="utf-8")
    if args.record:
        commit = lcb_commit(args.lcb_git_dir) if args.lcb_git_dir else "unknown"
        record(rows, args.record, commit, args.timeout)
        print(f"\nrecorded lcb_runner's verdicts in {args.record}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
