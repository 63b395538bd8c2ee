"""Running untrusted programs: the executor interface, LiveCodeBench's output rules, and the local
executor (bubblewrap namespaces, a private uid, rlimits).
"""

from __future__ import annotations

from elastic_bench.harness.sandbox._executor import (
    ExecutionRequest,
    ExecutionResult,
    Executor,
    Limits,
    SandboxUnavailable,
    TestCase,
    TestVerdict,
    call_matches,
    stdout_matches,
)
from elastic_bench.harness.sandbox._local import (
    MODES,
    PROTECTIONS,
    SANDBOX_ENV,
    LocalExecutor,
)

__all__ = [
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
