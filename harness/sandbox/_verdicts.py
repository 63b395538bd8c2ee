"""From the in-sandbox runner's status lines and a test's output to per-test verdicts.

A ``judge`` test runs in its own process: one status line, the program's real standard output and
how the process ended (:func:`judge_verdict`). An ``lcb`` program runs every test in one process
that reports a line per test as it finishes (:class:`SessionReader`), the captured output in the
line; the executor stops the process at the first failing test unless every verdict is wanted.
"""

from __future__ import annotations

import json
import signal

from elastic_bench.harness.sandbox._executor import (
    ExecutionRequest,
    TestVerdict,
    call_verdict,
    stdout_matches,
)
from elastic_bench.harness.sandbox._proc import Outcome, peak_rss_bytes

#: failures the runner itself reports (anything else it sends is a runtime error)
RUNNER_FAILURES = ("compile_error", "runtime_error", "memory_limit", "time_limit", "output_limit")


def parse_status(line: bytes) -> dict | None:
    """One status line as a dict, or None when it is not one."""
    try:
        status = json.loads(line)
    except ValueError:
        return None
    return status if isinstance(status, dict) else None


def status_reason(
    status: dict, request: ExecutionRequest, index: int, stdout: bytes | None
) -> tuple[str, str]:
    """The reason and detail of one reported test; ``stdout`` is the real output (judge, stdin)."""
    kind = status.get("status")
    if kind == "ok":
        expected = request.tests[index].output
        if request.fn_name is not None:
            return call_verdict(status.get("result"), expected), ""
        text = status.get("stdout")
        if not isinstance(text, str):
            text = (stdout or b"").decode("utf-8", errors="replace")
        return ("passed" if stdout_matches(text, expected) else "wrong_answer"), ""
    if kind in RUNNER_FAILURES:
        return str(kind), str(status.get("error", ""))[:300]
    return "runtime_error", "the runner sent an unknown status"


def _seconds(status: dict, key: str, default: float) -> float:
    value = status.get(key)
    return round(float(value), 4) if isinstance(value, int | float) else round(default, 4)


def judge_verdict(index: int, request: ExecutionRequest, out: Outcome, wall: float) -> TestVerdict:
    """The verdict of one test run in its own process."""
    limits = request.limits
    lines = [line for line in bytes(out.status).splitlines() if line.strip()]
    status = parse_status(lines[-1]) if lines else None
    detail = ""
    if out.over_output:
        reason = "output_limit"
    elif out.timed_out:
        reason = "time_limit"
    elif status is not None and status.get("status") in ("ok", *RUNNER_FAILURES):
        reason, detail = status_reason(status, request, index, bytes(out.stdout))
    elif out.exit_code in (-signal.SIGXCPU, 128 + signal.SIGXCPU) or out.cpu_s >= limits.cpu_s - 0.05:
        reason = "time_limit"
    elif (
        limits.memory_bytes
        and out.maxrss_bytes >= 0.9 * limits.memory_bytes
        and out.maxrss_bytes > 1.05 * peak_rss_bytes()
    ):
        reason = "memory_limit"
    else:
        reason = "runtime_error"
        detail = f"exit code {out.exit_code}; " + out.stderr_tail.decode(errors="replace")[-200:]
    return TestVerdict(
        index=index, reason=reason, wall_s=round(wall, 4), cpu_s=round(out.cpu_s, 4), detail=detail
    )


class SessionReader:
    """Reads an ``lcb`` process's status lines as they arrive and judges each test at once."""

    def __init__(self, request: ExecutionRequest) -> None:
        self.request = request
        self.verdicts: dict[int, TestVerdict] = {}
        self._buffer = bytearray()
        self._scanned = 0

    @property
    def failed(self) -> bool:
        return any(not v.passed for v in self.verdicts.values())

    def feed(self, chunk: bytes) -> bool:
        """Take a chunk of the status stream; True when the process should be stopped now."""
        self._buffer += chunk
        while (end := self._buffer.find(b"\n", self._scanned)) >= 0:
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            self._scanned = 0
            self._take(line)
        self._scanned = len(self._buffer)
        return self.failed and not self.request.all_verdicts

    def _take(self, line: bytes) -> None:
        status = parse_status(line)
        index = status.get("index") if status else None
        if not isinstance(index, int) or not 0 <= index < len(self.request.tests) or index in self.verdicts:
            return
        reason, detail = status_reason(status, self.request, index, None)
        self.verdicts[index] = TestVerdict(
            index=index, reason=reason, wall_s=_seconds(status, "wall_s", 0.0),
            cpu_s=_seconds(status, "cpu_s", 0.0), detail=detail,
        )  # fmt: skip

    def finish(self, out: Outcome, wall: float) -> list[TestVerdict]:
        """Every test's verdict: the first unreported test failed as the process ended, later
        tests (and every test after a failure, unless all verdicts were wanted) did not run."""
        verdicts: list[TestVerdict] = []
        ended = False
        for index in range(len(self.request.tests)):
            verdict = self.verdicts.get(index)
            if ended:
                verdict = TestVerdict(index=index, reason="not_run")
            elif verdict is None:
                verdict, ended = self._unreported(index, out, wall), True
            elif not verdict.passed and not self.request.all_verdicts:
                ended = True
            verdicts.append(verdict)
        return verdicts

    def _unreported(self, index: int, out: Outcome, wall: float) -> TestVerdict:
        done = sum(v.wall_s for v in self.verdicts.values())
        elapsed = round(max(0.0, wall - done), 4)
        if out.over_output:
            reason, detail = "output_limit", ""
        elif out.timed_out or out.exit_code in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
            reason, detail = "time_limit", "the process ran out of time"
        else:
            reason = "runtime_error"
            detail = (
                f"the process died (exit code {out.exit_code}) "
                + out.stderr_tail.decode(errors="replace")[-200:]
            )
        return TestVerdict(
            index=index, reason=reason, wall_s=elapsed, cpu_s=round(out.cpu_s, 4), detail=detail.strip()
        )
