"""Running untrusted programs: the executor interface, the grading semantics (LiveCodeBench's runner or
a contest judge), LiveCodeBench's output rules, and the local executor (bubblewrap namespaces, a
private uid, rlimits).
"""

from __future__ import annotations

from elastic_bench.harness.sandbox._executor import (
    JUDGE_MEMORY_BYTES,
    ExecutionRequest,
    ExecutionResult,
    Executor,
    Limits,
    SandboxUnavailable,
    TestCase,
    TestVerdict,
    call_matches,
    call_verdict,
    machine_memory_cap,
    stdout_matches,
)
from elastic_bench.harness.sandbox._local import (
    MODES,
    PROTECTIONS,
    SANDBOX_ENV,
    LocalExecutor,
    session_seconds,
)

__all__ = [
    "JUDGE_MEMORY_BYTES",
    "call_verdict",
    "machine_memory_cap",
    "session_seconds",
    "ExecutionRequest",
    "ExecutionResult",
    "Executor",
    "Limits",
    "LocalExecutor",
    "MODES",
    "PROTECTIONS",
    "SANDBOX_ENV",
    "SandboxUnavailable",
    "TestCase",
    "TestVerdict",
    "call_matches",
    "stdout_matches",
]
