"""Helpers for elastic-api's tests: the local test server as a subprocess, and a fault proxy."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "tests" / "api_server.py"
ENV = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(proc: subprocess.Popen, url: str, timeout: float = 300.0) -> None:
    """Wait until ``url`` answers (or the process died)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {proc.stdout.read()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def start_server(port: int, *flags: str) -> subprocess.Popen:
    """The tiny reasoner behind tests/api_server.py on 127.0.0.1:``port``, ready."""
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), "--port", str(port), *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=ENV,
    )
    wait_ready(proc, f"http://127.0.0.1:{port}/v1/models")
    return proc


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def stats(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=10) as r:
        return json.loads(r.read())


class FaultProxy:
    """An HTTP proxy in a thread: forwards POSTs to ``upstream`` unless a scripted fault comes first.

    ``faults`` maps the index of an incoming POST (0-based) to ``"500"``, ``"429"`` or ``"hang"``
    (hold the request without forwarding it until the client gives up). Upstream failures answer
    502, as a real proxy does. ``counts`` tallies what happened.
    """

    def __init__(self, upstream: str, faults: dict[int, str] | None = None, hang_seconds: float = 30.0):
        self.upstream = upstream.rstrip("/")
        self.faults = dict(faults or {})
        self.hang_seconds = hang_seconds
        self.counts: Counter = Counter()
        self._lock = threading.Lock()
        self._index = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a) -> None:
                pass

            def _reply(self, status: int, data: bytes, headers: dict | None = None) -> None:
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                self._forward(None)

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with proxy._lock:
                    index, proxy._index = proxy._index, proxy._index + 1
                fault = proxy.faults.get(index)
                proxy.counts[fault or "forwarded"] += 1
                if fault == "500":
                    return self._reply(500, b'{"error": "injected"}')
                if fault == "429":
                    return self._reply(429, b'{"error": "slow down"}', {"Retry-After": "0.2"})
                if fault == "hang":
                    time.sleep(proxy.hang_seconds)
                    return
                self._forward(body)

            def _forward(self, body: bytes | None) -> None:
                request = urllib.request.Request(
                    proxy.upstream + self.path, data=body, headers={"Content-Type": "application/json"}
                )
                try:
                    with urllib.request.urlopen(request, timeout=600) as r:
                        self._reply(r.status, r.read())
                except urllib.error.HTTPError as exc:
                    self._reply(exc.code, exc.read())
                except (urllib.error.URLError, OSError):
                    proxy.counts["upstream_down"] += 1
                    self._reply(502, b'{"error": "bad gateway"}')

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
