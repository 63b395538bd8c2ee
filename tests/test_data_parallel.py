"""Data-parallel evaluation on elastic-hf through the real command lines: two processes give the
samples of one, every budget of a problem is generated on one process, each process journals its
own share, and a rank whose journal lost work (killed mid-way) generates only what it lacks."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from elastic_bench.harness.protocol import JOURNAL_GENERATIONS_TABLE, JOURNAL_RESPONSES_TABLE

BIN = Path(sys.executable).parent
ENV = {
    **os.environ,
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "OMP_NUM_THREADS": "1",
}
LIMIT = 3  # odd: the ranks get 2 and 1 problems, so lm-eval pads the shorter rank's requests
BUDGET_SUBTASKS = 5  # elastic_toy: 64, 128, 256, 512, unconstrained

pytestmark = pytest.mark.slow


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=ENV, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _samples(folder: Path) -> dict[str, list[dict]]:
    """Each task's logged samples under ``folder``, in file order."""
    found = {}
    for path in folder.rglob("samples_*.jsonl"):
        task = path.name.removeprefix("samples_").rsplit("_", 1)[0]
        found[task] = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _metrics(folder: Path) -> dict:
    """The aggregated metrics of the one lm-eval results file under ``folder`` (only rank 0 writes)."""
    [path] = list(folder.rglob("results_*.json"))
    return json.loads(path.read_text(encoding="utf-8"))["results"]


def _rows(db: Path, table: str) -> int:
    with sqlite3.connect(db) as con:
        return con.execute(f"select count(*) from {table}").fetchone()[0]


@pytest.fixture(scope="module")
def one_process(tmp_path_factory) -> tuple[dict[str, list[dict]], dict]:
    """The reference: elastic_toy on one process (no journal): its samples and aggregated metrics."""
    root = tmp_path_factory.mktemp("one")
    _run(
        str(BIN / "elastic-bench"), "run", "--limit", str(LIMIT), "--no-cache", "--results-dir", ".", cwd=root
    )
    samples = _samples(root / "runs")
    assert len(samples) == BUDGET_SUBTASKS and all(len(rows) == LIMIT for rows in samples.values())
    return samples, _metrics(root / "runs")


def test_elastic_bench_run_on_two_processes_equals_one_and_resumes(one_process, tmp_path):
    cmd = [str(BIN / "elastic-bench"), "run", "--limit", str(LIMIT), "--num-processes", "2"]
    cmd += ["--results-dir", "."]
    proc = _run(*cmd, cwd=tmp_path)
    assert "unconstrained" in proc.stdout  # rank 0 printed the table; the outcome reached the command
    [run] = list((tmp_path / "runs").iterdir())
    # responses, per-sample metrics, hashes, order, and the aggregates to the last bit
    assert (_samples(run), _metrics(run)) == one_process

    # each rank journals its own share: problems 0 and 2 on rank 0, problem 1 on rank 1, all budgets
    journals = {db.name.split(".journal.")[1]: db for db in (tmp_path / ".cache").glob("*.journal.rank*")}
    assert sorted(journals) == ["rank0-of-2.sqlite", "rank1-of-2.sqlite"]
    rank0, rank1 = journals["rank0-of-2.sqlite"], journals["rank1-of-2.sqlite"]
    assert _rows(rank0, JOURNAL_RESPONSES_TABLE) == 2 * BUDGET_SUBTASKS
    assert _rows(rank1, JOURNAL_RESPONSES_TABLE) == 1 * BUDGET_SUBTASKS  # the padding was not generated

    # rank 1 killed after two responses: its journal holds those; a rerun generates only the rest
    with sqlite3.connect(rank1) as con:
        con.execute(
            f"delete from {JOURNAL_RESPONSES_TABLE} where rowid not in "
            f"(select rowid from {JOURNAL_RESPONSES_TABLE} limit 2)"
        )
    generated = {db: _rows(db, JOURNAL_GENERATIONS_TABLE) for db in (rank0, rank1)}
    _run(*cmd, cwd=tmp_path)
    assert _rows(rank0, JOURNAL_GENERATIONS_TABLE) == generated[rank0]  # nothing generated again
    assert _rows(rank1, JOURNAL_GENERATIONS_TABLE) == generated[rank1] + BUDGET_SUBTASKS - 2
    [rerun] = [r for r in (tmp_path / "runs").iterdir() if r != run]
    assert (_samples(rerun), _metrics(rerun)) == one_process


def test_lm_eval_under_accelerate_launch_equals_one_process(one_process, tmp_path):
    """``accelerate launch --multi_gpu`` starts two CPU processes here (``--cpu`` would start one)."""
    _run(
        str(BIN / "accelerate"), "launch", "--multi_gpu", "--num_processes", "2",
        "--main_process_port", str(_free_port()),
        "-m", "lm_eval", "--model", "elastic-hf", "--tasks", "elastic_toy", "--limit", str(LIMIT),
        "--log_samples", "--output_path", "out",
        cwd=tmp_path,
    )  # fmt: skip
    samples = _samples(tmp_path / "out")
    assert (samples, _metrics(tmp_path / "out")) == one_process  # gathered back into one process's order
    assert all(len(row["resps"]) == 1 for rows in samples.values() for row in rows)  # no padding kept


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--num-processes", "0"], "--num-processes"),
        (
            [
                "--model",
                "elastic-api",
                "--model_args",
                "base_url=http://127.0.0.1:9/v1",
                "--num-processes",
                "2",
            ],
            "elastic-api does not split problems across processes",
        ),
    ],
)
def test_bad_num_processes_is_one_line_before_anything_launches(tmp_path, capsys, args, fragment):
    from elastic_bench.harness.cli import main

    try:
        status = main(["run", "--tasks", "elastic_toy_t00064", "--results-dir", str(tmp_path), *args])
    except SystemExit as exc:  # argparse
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err, err[-2000:]
    assert fragment in err.strip().splitlines()[-1]
    assert not (tmp_path / "runs").exists()
