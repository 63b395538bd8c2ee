"""Starting the Streamlit app (what ``elastic-bench app`` calls)."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from elastic_bench.harness.results import DEFAULT_RESULTS_DIR
from elastic_bench.leaderboard_app.data import RESULTS_ENV

MAIN_SCRIPT = Path(__file__).resolve().parent / "main.py"


def app_command(
    results_dir: str | Path, port: int = 8501, headless: bool = True, address: str | None = None
) -> list[str]:
    """The ``streamlit run`` command line for the app on ``results_dir``."""
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(MAIN_SCRIPT),
        "--server.port",
        str(port),
        "--server.headless",
        "true" if headless else "false",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--client.toolbarMode",
        "minimal",
    ]
    if address:
        cmd += ["--server.address", address]
    return [*cmd, "--", "--results-dir", str(Path(results_dir).resolve())]


def start_app(
    results_dir: str | Path = "results",
    port: int = 8501,
    headless: bool = True,
    address: str | None = None,
    **popen,
) -> subprocess.Popen:
    """Start the app in the background; the caller stops it (:func:`stop_app`)."""
    env = {**os.environ, RESULTS_ENV: str(Path(results_dir).resolve())}
    env.update(popen.pop("env", {}) or {})
    return subprocess.Popen(app_command(results_dir, port, headless, address), env=env, **popen)


def run_app(
    results_dir: str | Path = "results", port: int = 8501, headless: bool = True, address: str | None = None
) -> int:
    """Run the app in the foreground until it exits (Ctrl-C stops it); returns its exit status."""
    proc = start_app(results_dir, port=port, headless=headless, address=address)

    def _stop(signum, frame):  # a SIGTERM to us stops the server too, not only Ctrl-C
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return stop_app(proc, timeout=10)
    finally:
        signal.signal(signal.SIGTERM, previous)


def stop_app(proc: subprocess.Popen, timeout: float = 15.0) -> int:
    """Stop an app started by :func:`start_app`: SIGTERM, then SIGKILL after ``timeout`` seconds;
    returns its exit status."""
    proc.terminate()
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Block until the app at ``url`` answers its health check; RuntimeError if it exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("the app did not become healthy")


#: flags for headless Chromium in containers (tests, benchmarks)
HEADLESS_CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    """A local Chromium-family browser: $ELASTIC_BENCH_CHROMIUM, the usual paths, then PATH."""
    for candidate in (
        os.environ.get("ELASTIC_BENCH_CHROMIUM"),
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
        shutil.which("chromium"),
    ):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def _port(text: str) -> int:
    """A TCP port number (1-65535) for argparse."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 1-65535, got {text!r}")
    return value


def cmd_app(args: argparse.Namespace) -> int:
    """Start the Streamlit leaderboard."""
    return (
        run_app(args.results_dir, port=args.port, headless=not args.open_browser, address=args.address) or 0
    )


def add_app_parser(sub: argparse._SubParsersAction) -> None:
    """``elastic-bench app [--results-dir DIR] [--port N]`` (added through the ``elastic_bench.commands``
    entry points)."""
    p = sub.add_parser("app", help="start the Streamlit leaderboard on a results directory")
    p.add_argument("--results-dir", default=str(DEFAULT_RESULTS_DIR))
    p.add_argument("--port", type=_port, default=8501)
    p.add_argument("--address", default="127.0.0.1", help="interface to serve on (0.0.0.0 to share it)")
    p.add_argument("--open-browser", action="store_true")
    p.set_defaults(func=cmd_app)
