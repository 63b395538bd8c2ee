"""End to end through the plain CLIs: `lm_eval --tasks elastic_lcb,elastic_codeforces --limit 3` with a
scripted backend (tests/scripted_code_lm.py), `elastic-bench convert`, `elastic-bench submit`, and the
leaderboard's loader showing both entries, labelled "public tests only" (offline copies)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from elastic_bench.harness.results import load_result
from elastic_bench.leaderboard_app.analysis import Filters, filter_entries, summary_table
from elastic_bench.leaderboard_app.data import load_leaderboard

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DATA_DIR = REPO.parent / "shared" / "data"
if not DATA_DIR.is_dir():
    DATA_DIR = Path("/work/shared/data")


@pytest.mark.slow
@pytest.mark.skipif(not (DATA_DIR / "livecodebench").is_dir(), reason="shared code data not present")
def test_lm_eval_cli_code_sweeps_to_the_leaderboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One lm_eval process for both groups (lm-eval indexes its ~10k task files once per process)."""
    env = {
        **os.environ,
        "ELASTIC_BENCH_LM_EVAL_MODELS": "scripted-code=tests.scripted_code_lm:ScriptedCodeLM",
        "PYTHONPATH": str(REPO),
        "ELASTIC_BENCH_DATA_DIR": str(DATA_DIR),
        "ELASTIC_BENCH_CODEFORCES_CACHE": str(tmp_path / "no-standings"),
    }
    out, results = tmp_path / "out", tmp_path / "results"
    cmd = [
        str(BIN / "lm_eval"), "--model", "scripted-code", "--model_args", "pretrained=scripted-code",
        "--tasks", "elastic_lcb,elastic_codeforces", "--limit", "3",
        "--output_path", str(out), "--log_samples",
    ]  # fmt: skip
    start = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [results_json] = list(out.rglob("results_*.json"))
    raw = json.loads(results_json.read_text())
    # problem 1 of each set: sample 0 right, sample 1 a wrong variant; k = 4 (lcb), 8 (codeforces)
    assert raw["configs"]["elastic_lcb_t01024"]["repeats"] == 4
    assert raw["configs"]["elastic_codeforces_unconstrained"]["repeats"] == 8
    assert raw["configs"]["elastic_lcb_t01024"]["metadata"]["test_set"] == "public"
    proc = subprocess.run(
        [str(BIN / "elastic-bench"), "convert", str(out), "-o", str(tmp_path / "converted")],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    files = sorted((tmp_path / "converted").rglob("*.json"))
    assert len(files) == 2, files
    for f in files:
        r = load_result(f)
        assert r.test_set == "public" and r.sandbox_mode and r.model_name == "scripted-code"
        # each benchmark's own semantics, recorded: LiveCodeBench's runner, Codeforces' judge
        assert r.grading_semantics == {"lcb": "lcb", "codeforces": "judge"}[r.benchmark]
        p = r.points[0]
        assert p.accuracy == pytest.approx(1 / 3) and p.no_answer_rate == pytest.approx(
            1 / 3
        )  # 2 of 3 solved
        assert p.test_verdicts["passed"] == p.test_verdicts["wrong_answer"] == p.n_problems * p.k // 3
        assert p.pass_at_k[1] == pytest.approx(1 / 3) and p.mean_think_tokens == 300
        if r.benchmark == "codeforces":
            assert p.codeforces.rating is None and "no usable standings" in p.codeforces.unavailable
        proc = subprocess.run(
            [str(BIN / "elastic-bench"), "submit", str(f), "--results-dir", str(results)],
            capture_output=True, text=True, env=env,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    data = load_leaderboard(results)
    assert not data.skipped and set(data.entries["benchmark"]) == {"lcb", "codeforces"}
    assert all(s.endswith("[public tests only]") for s in data.entries["series"])
    cf = summary_table(filter_entries(data.entries, Filters("codeforces")), data.points, None)
    assert cf.loc[0, "cf_rating"] == "unavailable"
    print(f"lm_eval + convert + submit: {time.time() - start:.1f}s")
