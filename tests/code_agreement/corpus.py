"""The agreement corpus: programs for real LiveCodeBench problems, each tagged with the runner quirk it
exercises, and one verdict vocabulary for LiveCodeBench's ``lcb_runner`` and our sandbox.

Each file of ``programs/`` is named ``<problem id>__<slug>.py`` and opens with three header lines
(stripped before the program runs: ``lcb_runner`` treats any source containing the words ``class
Solution``, comments included, as a LeetCode class)::

    # problem: abc365_b
    # quirk: open_fd0          (or: none)
    # note: open(0).read() reads standard input by file descriptor

Problems come from the project's loader over the shared data (public tests); the two ``synthetic_*``
problems of ``synthetic_problems.json`` exist because no public test has a nested list or an object
as its expected value. ``lcb_runner_verdicts.json`` holds what ``lcb_runner`` itself said about every
program (``benchmarks/lcb_agreement.py --record`` writes it).

Verdicts: ``pass``, ``wrong_answer``, ``time_limit``, ``runtime_error`` and, for ``lcb_runner`` only,
``died`` (its global timeout fired or its process ended without results), which agrees with our
``runtime_error`` or ``time_limit`` at any test.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROGRAMS_DIR = HERE / "programs"
SYNTHETIC_FILE = HERE / "synthetic_problems.json"
VERDICTS_FILE = HERE / "lcb_runner_verdicts.json"
VERDICTS = ("pass", "wrong_answer", "time_limit", "runtime_error", "died")

#: our executor's reasons in the shared vocabulary
OUR_REASONS = {
    "passed": "pass",
    "wrong_answer": "wrong_answer",
    "output_limit": "wrong_answer",
    "time_limit": "time_limit",
    "runtime_error": "runtime_error",
    "compile_error": "runtime_error",
    "memory_limit": "runtime_error",
}
#: lcb_runner's per-test codes in the shared vocabulary (compile errors and MemoryError are its -4)
LCB_CODES = {-1: "died", -2: "wrong_answer", -3: "time_limit", -4: "runtime_error"}
_HEADER = re.compile(r"^# (problem|quirk|note): (.*)$")


def default_data_dir() -> Path:
    """The shared data folder beside the checkout, else ``/work/shared/data``."""
    beside = HERE.parents[2] / "shared" / "data"
    return beside if beside.is_dir() else Path("/work/shared/data")


@dataclass(frozen=True)
class Program:
    """One corpus program and its problem's tests (``(input, expected output)`` pairs)."""

    name: str
    problem: str
    quirk: str
    note: str
    source: str
    fn_name: str | None
    tests: tuple[tuple[str, str], ...]


def read_header(path: Path) -> dict[str, str]:
    """The ``problem``, ``quirk`` and ``note`` header lines of a corpus file."""
    header: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines()[:3]:
        match = _HEADER.match(line)
        if match:
            header[match.group(1)] = match.group(2).strip()
    missing = {"problem", "quirk", "note"} - set(header)
    if missing:
        raise ValueError(f"{path.name}: header lacks {', '.join(sorted(missing))}")
    if not path.stem.startswith(header["problem"] + "__"):
        raise ValueError(f"{path.name}: file name does not start with its problem id {header['problem']!r}")
    return header


def body(path: Path) -> str:
    """A corpus file without its header lines: the program exactly as a model would have written it."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(lines[3:])


def _problems(data_dir: Path) -> dict[str, dict[str, Any]]:
    from elastic_bench.tasks.code.data import load_code_problems

    problems = {
        rec["id"]: {"fn_name": rec["fn_name"], "tests": rec["tests"]}
        for rec in load_code_problems("lcb", data_dir=data_dir)
    }
    problems.update(json.loads(SYNTHETIC_FILE.read_text(encoding="utf-8")))
    return problems


def load_corpus(data_dir: Path | None = None) -> list[Program]:
    """Every corpus program with its problem's public tests, in file-name order."""
    problems = _problems(data_dir or default_data_dir())
    out = []
    for path in sorted(PROGRAMS_DIR.glob("*.py")):
        header = read_header(path)
        problem = problems[header["problem"]]
        tests = tuple((t["input"], t["output"]) for t in problem["tests"])
        out.append(
            Program(
                name=path.name,
                problem=header["problem"],
                quirk=header["quirk"],
                note=header["note"],
                source=body(path),
                fn_name=problem["fn_name"],
                tests=tests,
            )
        )
    return out


def our_verdict(reasons: list[str]) -> tuple[str, int | None]:
    """The shared verdict and first failing test index of our executor's per-test reasons."""
    for index, reason in enumerate(reasons):
        if reason not in ("passed", "not_run"):
            return OUR_REASONS[reason], index
    return ("pass", None) if reasons and all(r == "passed" for r in reasons) else ("runtime_error", 0)


def lcb_verdict(raw: list[Any] | None, n_tests: int) -> tuple[str, int | None]:
    """The shared verdict and first failing entry of ``lcb_runner``'s result list (None: it died).

    ``raw`` holds ``True`` or a negative code per entry, as ``lcb_runner_verdicts.json`` records it.
    """
    if raw is None:
        return "died", None
    for index, entry in enumerate(raw):
        if entry is not True:
            verdict = LCB_CODES.get(entry, "wrong_answer")
            return verdict, None if verdict == "died" else index
    return ("pass", None) if len(raw) == n_tests else ("died", None)


def agree(lcb: tuple[str, int | None], ours: tuple[str, int | None]) -> bool:
    """Whether our verdict matches lcb_runner's (its ``died`` matches our runtime or time limit)."""
    if lcb[0] == "died":
        return ours[0] in ("runtime_error", "time_limit")
    return lcb == ours
