"""The sandboxed executor, through the real sandbox: LiveCodeBench verdicts and an adversarial suite.

Every adversarial case must end within its wall limit + 1 s, leave no process behind (scanned in
/proc by marker, runner command line and the slots' private uids), change nothing outside the
sandbox, and leave the executor serving a normal program. A case is skipped, with the reason,
only when the mode in force cannot provide the protection it attacks (no bubblewrap and no root).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from elastic_bench.harness.sandbox import (
    ExecutionRequest,
    ExecutionResult,
    Limits,
    LocalExecutor,
    call_matches,
    session_seconds,
    stdout_matches,
)
from elastic_bench.harness.sandbox import TestCase as Case

#: a sandbox that fails to kill must fail the test, not hang the suite
pytestmark = pytest.mark.timeout(60)

UID_BASE = 210_000
WORKERS = 2
PROJECT = Path(__file__).resolve().parents[1]
ADVERSARIAL = Limits(wall_s=3, cpu_s=2, memory_bytes=256 << 20, output_bytes=1 << 20, processes=16)
SUM_PROGRAM = "a, b = map(int, input().split())\nprint(a + b)\n"


@pytest.fixture(scope="module")
def executor():
    mode = os.environ.get("EB_SANDBOX_MODE", "auto")  # force a weaker mode to test its fallback
    with LocalExecutor(mode=mode, workers=WORKERS, uid_base=UID_BASE) as ex:
        yield ex


def run(ex: LocalExecutor, program: str, tests: list[Case], **kw) -> ExecutionResult:
    return ex.run(ExecutionRequest(program=program, tests=tests, **kw))


# --- verdict rules (pure) ---------------------------------------------------------------------


def test_stdout_rule_follows_livecodebench():
    assert stdout_matches("3\n", "3")
    assert stdout_matches("  1 2  \n3\n\n", "1 2\n3")
    assert stdout_matches("1.0 2\n", "1 2.00")  # element-wise Decimal comparison
    assert not stdout_matches("0.3333333\n", "0.3333334")  # no tolerance beyond Decimal equality
    assert not stdout_matches("1\n2\n", "1")  # line count matters
    assert not stdout_matches("12\n", "1 2")
    assert not stdout_matches("Yes\n", "YES")


def test_call_rule_parses_both_sides():
    assert call_matches("[1, 2]", "[1,2]")
    assert call_matches("2.0", "2")
    assert not call_matches("[2, 1]", "[1, 2]")
    assert not call_matches('"1"', "1")
    assert not call_matches("not json", "1")


# --- verdicts through the real executor ---------------------------------------------------------

# AtCoder-style stdin problem: print the number of distinct values
DISTINCT_TESTS = [Case("5\n1 2 2 3 3\n", "3\n"), Case("3\n7 7 7\n", "1\n"), Case("1\n4\n", "1\n")]
DISTINCT_RIGHT = "n = int(input())\nprint(len(set(input().split())))\n"
# LeetCode-style functional problem: twoSum
TWO_SUM_TESTS = [Case("[2,7,11,15]\n9", "[0, 1]"), Case("[3,2,4]\n6", "[1, 2]")]
TWO_SUM_RIGHT = """
class Solution:
    def twoSum(self, nums: List[int], target: int) -> List[int]:
        seen = {}
        for i, x in enumerate(nums):
            if target - x in seen:
                return (seen[target - x], i)  # a tuple counts as a list
            seen[x] = i
"""


@pytest.mark.parametrize(
    ("program", "fn_name", "tests", "reason"),
    [
        (DISTINCT_RIGHT, None, DISTINCT_TESTS, "passed"),
        ("n = int(input())\nprint(n)\n", None, DISTINCT_TESTS, "wrong_answer"),
        ("n = int(input())\nprint(len(set(input().split())) // 0)\n", None, DISTINCT_TESTS, "runtime_error"),
        ("n = int(input()\nprint(n)\n", None, DISTINCT_TESTS, "compile_error"),
        ("x = [0] * (10 ** 10)\n", None, DISTINCT_TESTS, "memory_limit"),
        ("while True:\n    pass\n", None, DISTINCT_TESTS, "time_limit"),
        ("while True:\n    print('spam' * 1000)\n", None, DISTINCT_TESTS, "output_limit"),
        (TWO_SUM_RIGHT, "twoSum", TWO_SUM_TESTS, "passed"),
        (TWO_SUM_RIGHT.replace("seen[target - x], i", "i, seen[target - x]"), "twoSum", TWO_SUM_TESTS, "wrong_answer"),
        (TWO_SUM_RIGHT.replace("twoSum", "two_sum"), "twoSum", TWO_SUM_TESTS, "runtime_error"),
        (TWO_SUM_RIGHT.replace("seen = {}", "seen = {}\n        return {1, 2}"), "twoSum", TWO_SUM_TESTS, "wrong_answer"),
    ],
    ids=["stdin-right", "stdin-wa", "stdin-re", "stdin-syntax", "stdin-mle", "stdin-tle", "stdin-ole",
         "call-right", "call-wa", "call-missing-method", "call-unserializable"],
)  # fmt: skip
@pytest.mark.parametrize("semantics", ["lcb", "judge"])
def test_verdicts(executor, program, fn_name, tests, reason, semantics):
    limits = Limits(wall_s=4, cpu_s=2, memory_bytes=256 << 20, output_bytes=1 << 20)
    result = run(executor, program, tests, fn_name=fn_name, limits=limits, semantics=semantics)
    if semantics == "lcb" and reason == "output_limit":  # captured in memory, as LiveCodeBench does
        reason = "memory_limit"
    assert result.reason == reason, result
    assert result.passed == (reason == "passed")
    assert result.mode == executor.mode


LCB_FILE = Path("/work/shared/data/livecodebench/deepcoder_lcb_2408_2501_public_tests.json")
SECOND_LARGEST = "n = int(input())\na = list(map(int, input().split()))\nprint(a.index(sorted(a)[-2]) + 1)\n"
#: LiveCodeBench 3517 (functional), the hand-written solution tests/test_code_solutions.py also runs
SHORTEST_PATH = (Path(__file__).parent / "code_solutions" / "lcb__3517.py").read_text(encoding="utf-8")


@pytest.mark.skipif(not LCB_FILE.exists(), reason=f"LiveCodeBench public tests not found at {LCB_FILE}")
@pytest.mark.parametrize(
    ("index", "program", "reason"),
    [
        (0, SECOND_LARGEST, "passed"),
        (0, SECOND_LARGEST.replace("[-2]", "[-1]"), "wrong_answer"),  # the largest, not the second
        (5, SHORTEST_PATH, "passed"),
        (5, SHORTEST_PATH.replace("adj[u].append(v)", "pass"), "wrong_answer"),  # ignores the new roads
        (5, SHORTEST_PATH.replace("dist[n - 1]", "dist[n]"), "runtime_error"),
    ],
)
def test_real_livecodebench_problems(executor, index, program, reason):
    """Hand-written solutions to real LiveCodeBench v5 problems (stdin and functional) on their tests."""
    problem = json.loads(LCB_FILE.read_text())[index]
    match = re.search(r"def (\w+)\(self", problem["starter_code"])
    tests = [Case(t["input"], t["output"]) for t in problem["tests"]]
    result = run(executor, program, tests, fn_name=match.group(1) if match else None, all_verdicts=True)
    assert result.reason == reason, result.verdicts


def test_stops_at_first_failure_unless_all_verdicts_wanted(executor):
    tests = [Case("1 2", "3"), Case("1 1", "3"), *[Case("2 2", "4")] * 20]
    first = run(executor, SUM_PROGRAM, tests)
    assert first.verdicts[1].reason == "wrong_answer"
    assert any(v.reason == "not_run" for v in first.verdicts)  # the later tests were skipped
    full = run(executor, SUM_PROGRAM, tests, all_verdicts=True)
    assert [v.reason for v in full.verdicts] == ["passed", "wrong_answer"] + ["passed"] * 20


def test_request_and_result_round_trip_as_plain_data(executor):
    request = ExecutionRequest(program=SUM_PROGRAM, tests=[Case("1 2", "3")], limits=ADVERSARIAL)
    assert ExecutionRequest.from_dict(request.to_dict()) == request
    result = executor.run(request)
    assert ExecutionResult.from_dict(result.to_dict()) == result


def test_limits_hold_after_the_program_tries_to_lift_them(executor):
    program = (
        "import resource\n"
        "try:\n"
        "    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))\n"
        "except (ValueError, OSError):\n"
        "    pass\n"
        "block = bytearray(512 << 20)\n"  # fits in RAM, not in the 256 MiB limit
    )
    result = run(executor, program, [Case("", "")], limits=ADVERSARIAL, semantics="judge")
    assert result.reason == "memory_limit"


def test_a_big_grader_process_does_not_turn_a_crash_into_a_memory_verdict():
    """A forked child's ru_maxrss starts at its parent's peak RSS: a grader that has loaded a model
    (here: 400 MiB touched, over the 256 MiB limit) must still call a crash a runtime error.
    CI failed on this: closing every fd read as ``memory_limit`` inside a pytest that had loaded torch."""
    script = (
        "from elastic_bench.harness.sandbox._executor import ExecutionRequest, Limits, TestCase\n"
        "from elastic_bench.harness.sandbox._local import LocalExecutor\n"
        "big = bytearray(400 << 20)\n"
        "for i in range(0, len(big), 4096): big[i] = 1\n"
        "limits = Limits(wall_s=3, cpu_s=2, memory_bytes=256 << 20, output_bytes=1 << 20, processes=16)\n"
        "ex = LocalExecutor()\n"
        "try:\n"
        "    crash = ex.run(ExecutionRequest(program='import os\\nos.closerange(0, 65536)\\nprint(1)\\n',"
        " tests=[TestCase('', '1')], limits=limits, semantics='judge'))\n"
        "    bomb = ex.run(ExecutionRequest(program='x = bytearray(512 << 20)\\n',"
        " tests=[TestCase('', '')], limits=limits, semantics='judge'))\n"
        "finally:\n"
        "    ex.close()\n"
        "print(crash.reason, bomb.reason)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["runtime_error", "memory_limit"]


# --- adversarial suite --------------------------------------------------------------------------


def _leftovers(marker: str) -> list[str]:
    """Processes left by a sandbox: the marker or the runner in their command line, or a slot uid."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = (
                Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            )
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        state = next(line for line in status.splitlines() if line.startswith("State:"))
        if "Z" in state.split()[1]:
            continue  # a zombie is already dead
        if marker in cmdline or "runner.py" in cmdline or UID_BASE <= uid < UID_BASE + WORKERS:
            found.append(f"{entry}: {cmdline[:120]}")
    return found


def _wait_no_leftovers(marker: str, grace: float = 1.0) -> list[str]:
    deadline = time.monotonic() + grace
    while (left := _leftovers(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _snapshot() -> dict[str, float]:
    return {p.name: p.stat().st_mtime for p in PROJECT.iterdir()}


#: the host paths a program must not create (its private /tmp and /dev/shm are fine inside the sandbox)
PLANTED = (
    "{home}/eb_sbx_{marker}",
    "{project}/eb_sbx_{marker}",
    "/tmp/eb_sbx_{marker}",
    "/dev/shm/eb_sbx_{marker}",
)

CASES = {
    "fork_bomb": (
        "nproc",
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    ),
    "memory_bomb": ("", "chunks = []\nwhile True:\n    chunks.append(bytearray(10 ** 7))\n"),
    "infinite_loop": ("", "while True:\n    pass\n"),
    "sleep_forever": ("", "import time\ntime.sleep(10 ** 6)\n"),
    "detached_child": (
        "pids",
        "import os, sys, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(60)', '{marker}'])\n"
        "    os._exit(0)\n"
        "print('CLEAN')\n",
    ),
    "gigabytes_of_output": (
        "",
        "import sys\nblock = 'x' * (1 << 20)\nfor _ in range(4096):\n    sys.stdout.write(block)\n",
    ),
    "write_home_and_project": (
        "fs",
        "import os\nwrote = []\n"
        f"for path in {list(PLANTED)!r}:\n"
        "    path = path.format(home={home!r}, project={project!r}, marker={marker!r})\n"
        "    try:\n        open(path, 'w').write('pwned')\n"
        "        wrote += [path] if path.startswith(({home!r}, {project!r})) else []\n"
        "    except OSError:\n        pass\n"
        "print('CLEAN' if not wrote else wrote)\n",
    ),
    # the root of the sandbox is a tmpfs in host memory: 300 x 15 MB there would take 4.5 GB of RAM
    "fill_the_root_filesystem": (
        "fs",
        "written = 0\nfor i in range(300):\n    try:\n        open(f'/g{{i}}', 'wb').write(b'x' * (15 << 20))\n"
        "        written += 1\n    except OSError:\n        break\nprint('CLEAN' if written == 0 else f'wrote {{written}}')\n",
    ),
    "read_grader_environment": (
        "procs",
        "import os, glob\nfound = 'EB_SBX_SECRET' in os.environ\n"
        "for path in glob.glob('/proc/*/environ'):\n"
        "    try:\n        found = found or b'EB_SBX_SECRET' in open(path, 'rb').read()\n"
        "    except OSError:\n        pass\n"
        "print('FOUND' if found else 'CLEAN')\n",
    ),
    "loopback_connection": (
        "net",
        "import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=1).send(b'{marker}')\n"
        "    print('CONNECTED')\nexcept OSError:\n    print('CLEAN')\n",
    ),
    "kill_parent": (
        "procs",
        "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos.kill(-1, signal.SIGKILL)\n",
    ),
    "close_file_descriptors": ("", "import os\nos.closerange(0, 65536)\nprint('still here')\n"),
    "exhaust_file_descriptors": (
        "",
        "import os\nfds = []\nwhile True:\n    fds.append(os.open('/dev/null', os.O_RDONLY))\n",
    ),
    "raise_resource_limits": (
        "",
        "import resource\nraised = []\n"
        "for name in ('RLIMIT_AS', 'RLIMIT_CPU', 'RLIMIT_NPROC', 'RLIMIT_NOFILE', 'RLIMIT_FSIZE'):\n"
        "    which = getattr(resource, name)\n"
        "    try:\n        resource.setrlimit(which, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))\n"
        "        raised.append(name)\n    except (ValueError, OSError):\n        pass\n"
        "print('CLEAN' if not raised else raised)\n",
    ),
}

#: the verdict each case must get (``passed`` = the probe printed CLEAN: every attempt failed)
EXPECTED = {
    "fork_bomb": "time_limit",
    "memory_bomb": "memory_limit",
    "infinite_loop": "time_limit",
    "sleep_forever": "time_limit",
    "detached_child": "passed",
    "gigabytes_of_output": "output_limit",
    "write_home_and_project": "passed",
    "fill_the_root_filesystem": "passed",
    "read_grader_environment": "passed",
    "loopback_connection": "passed",
    "kill_parent": "runtime_error",
    "close_file_descriptors": "runtime_error",
    "exhaust_file_descriptors": "runtime_error",
    "raise_resource_limits": "passed",
}

#: which protection each requirement needs, by mode (a mode lacking it skips the case, saying why)
PROVIDES = {
    "bwrap+uid": {"nproc", "pids", "fs", "net", "procs"},
    "bwrap": {"pids", "fs", "net", "procs"},
    "rlimits+uid": {"nproc", "pids", "procs"},  # /tmp and /dev/shm stay writable: no "fs"
    "rlimits": set(),
}


class _Listener:
    """A loopback TCP server that records whether anything connected."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.mark.parametrize("semantics", ["judge", "lcb"])
@pytest.mark.parametrize("case", list(CASES))
def test_adversarial(executor, case, semantics, monkeypatch):
    """Each attack, as a judge runs a program (all its powers) and in LiveCodeBench's in-process
    emulation (which disables some functions, so its verdicts differ: only escapes count there)."""
    need, template = CASES[case]
    if need and need not in PROVIDES[executor.mode]:
        pytest.skip(
            f"sandbox mode {executor.mode!r} cannot provide {need!r} isolation (it lacks bubblewrap or root; see sandbox_local.PROTECTIONS)"
        )
    marker = f"ebsbx{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("EB_SBX_SECRET", f"secret-{marker}")
    listener = _Listener()
    # a grader-side process whose initial environment (what /proc/PID/environ shows) holds the secret
    planted_env = subprocess.Popen(["sleep", "30"], env={**os.environ})
    home = os.path.expanduser("~")
    program = template.format(marker=marker, port=listener.port, home=home, project=str(PROJECT))
    before = _snapshot()
    escapes = []
    try:
        start = time.monotonic()
        result = run(executor, program, [Case("", "CLEAN")], limits=ADVERSARIAL, semantics=semantics)
        elapsed = time.monotonic() - start
    finally:
        listener.close()
        planted_env.kill()
        planted_env.wait()
    limit = ADVERSARIAL.wall_s if semantics == "judge" else session_seconds(ADVERSARIAL.wall_s, 1)
    if elapsed > limit + 1:
        escapes.append(f"ran {elapsed:.2f}s, over the {limit}s wall limit + 1s")
    if semantics == "judge" and result.reason != EXPECTED[case]:  # CLEAN (= passed): every attempt failed
        escapes.append(f"expected {EXPECTED[case]}, got {result.reason}: {result.verdicts}")
    if left := _wait_no_leftovers(marker):
        escapes.append(f"processes left behind: {left}")
    if listener.connections:
        escapes.append(f"{listener.connections} connection(s) reached the loopback listener")
    for path in PLANTED:
        planted = Path(path.format(home=home, project=PROJECT, marker=marker))
        if planted.exists():
            planted.unlink()
            escapes.append(f"wrote {planted}")
    if _snapshot() != before:
        escapes.append("the project directory changed")
    after = run(executor, SUM_PROGRAM, [Case("2 3", "5")])
    if not after.passed:
        escapes.append(f"executor no longer serves a normal program: {after.verdicts}")
    assert escapes == [], f"{case}: {len(escapes)} escape(s) in mode {executor.mode}: {escapes}"


def test_without_bubblewrap_the_sandbox_warns_or_refuses_as_configured(monkeypatch):
    """Without bubblewrap the sandbox fell back to rlimits silently (network, /etc and the checkout
    reachable); now it warns once per run, and ELASTIC_BENCH_SANDBOX=bwrap-any refuses to grade."""
    from elastic_bench.harness.sandbox import SANDBOX_ENV, SandboxUnavailable, _local

    def no_bwrap(mode, python, uid):
        return "bubblewrap (bwrap) is not installed" if mode.startswith("bwrap") else None

    monkeypatch.setattr(_local, "_probe", no_bwrap)
    _local._warn_weak.cache_clear()
    monkeypatch.setenv(SANDBOX_ENV, "bwrap-any")
    with pytest.raises(SandboxUnavailable, match=r"no sandbox mode works here \(bwrap\+uid: bubblewrap"):
        LocalExecutor(workers=1)
    monkeypatch.delenv(SANDBOX_ENV)
    with (
        pytest.warns(RuntimeWarning, match="without filesystem or network isolation"),
        LocalExecutor(workers=1) as weak,
    ):
        assert not weak.mode.startswith("bwrap")
    _local._warn_weak.cache_clear()
