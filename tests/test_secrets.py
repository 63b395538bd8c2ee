"""A credential in a URL is never written: not in result files, lm-eval's outputs, journals or what
the command prints. The run goes through the real CLI against the local test server (loopback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from elastic_bench.harness.provenance import redact
from tests.api_helpers import free_port, start_server, stop

BIN = Path(sys.executable).parent
CHECKPOINT = Path(__file__).resolve().parents[1] / "models" / "tiny_reasoner" / "checkpoint"
ENV = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
SECRET = "s3cr3t-planted-7f2c"


def test_redact_strips_userinfo_and_credential_query_values_only() -> None:
    assert redact(f"base_url=http://alice:{SECRET}@127.0.0.1:8000/v1,model=m") == (
        "base_url=http://***@127.0.0.1:8000/v1,model=m"
    )
    assert redact({"u": [f"https://h/v1?api_key={SECRET}&n=2", f"http://h?access_token={SECRET}"]}) == {
        "u": ["https://h/v1?api_key=***&n=2", "http://h?access_token=***"]
    }
    assert redact("mail me at alice@example.com; see https://example.com/v1?model=x") == (
        "mail me at alice@example.com; see https://example.com/v1?model=x"
    )


@pytest.mark.slow
def test_a_secret_in_base_url_is_in_no_file_a_run_convert_and_submit_write(tmp_path: Path) -> None:
    port = free_port()
    server = start_server(port)
    try:
        results = tmp_path / "results"
        args = f"base_url=http://alice:{SECRET}@127.0.0.1:{port}/v1,tokenizer={CHECKPOINT},num_concurrent=4"
        run = subprocess.run(
            [str(BIN / "elastic-bench"), "run", "--model", "elastic-api", "--model_args", args]
            + ["--tasks", "elastic_toy_t00064", "--limit", "2", "--results-dir", str(results)],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=600,
        )
    finally:
        stop(server)
    assert run.returncode == 0, run.stderr[-3000:]  # elastic-api runs through `run` (no pretrained= added)
    [run_dir] = (results / "runs").iterdir()
    [kept] = run_dir.glob("reproduced__*.json")
    convert = subprocess.run(
        [str(BIN / "elastic-bench"), "convert", str(run_dir), "-o", str(tmp_path / "converted")],
        capture_output=True, text=True, env=ENV, timeout=300,
    )  # fmt: skip
    submit = subprocess.run(
        [str(BIN / "elastic-bench"), "submit", str(kept), "--results-dir", str(tmp_path / "board")],
        capture_output=True, text=True, env=ENV, timeout=300,
    )  # fmt: skip
    assert convert.returncode == 0 and submit.returncode == 0, convert.stderr + submit.stdout
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.startswith("results_") for p in written) and any(p.suffix == ".sqlite" for p in written)
    leaks = [str(p.relative_to(tmp_path)) for p in written if SECRET.encode() in p.read_bytes()]
    printed = run.stdout + run.stderr + convert.stdout + convert.stderr + submit.stdout + submit.stderr
    assert leaks == [] and SECRET not in printed
    assert "http://***@127.0.0.1" in kept.read_text()  # recorded, with the credential masked
