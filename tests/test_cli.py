"""End to end through the real command lines: elastic-bench and lm_eval."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from elastic_bench.harness.results import load_result

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def _run(*args: str, cwd: Path | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=ENV, timeout=timeout)


def _one_line_error(proc: subprocess.CompletedProcess, fragment: str) -> None:
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert re.match(r"elastic-bench( \w+)?: error: ", last) and fragment in last, last


@pytest.mark.slow
def test_run_default_job_writes_a_valid_result(tmp_path):
    proc = _run(
        str(BIN / "elastic-bench"), "run", "--limit", "6", "--results-dir", str(tmp_path), cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "unconstrained" in proc.stdout and "acc" in proc.stdout
    # nothing that is not about the run (tmp_path is outside any git repository)
    assert "Custom kwargs can be passed" not in proc.stderr
    assert "fatal: not a git repository" not in proc.stderr
    [entry] = list(tmp_path.rglob("reproduced__*elastic_toy.json"))
    result = load_result(entry)
    assert [p.thinking_budget for p in result.points] == [64, 128, 256, 512, None]
    assert (
        result.reproducibility.weights_sha256 and result.reproducibility.end_of_thinking_marker == "</think>"
    )
    assert all(p.n_problems == 6 for p in result.points)
    report = _run(str(BIN / "elastic-bench"), "report", str(entry))
    assert report.returncode == 0 and "unconstrained" in report.stdout


@pytest.mark.slow
def test_the_default_model_is_recorded_relative_to_the_checkout(tmp_path):
    """Run from the checkout, the embedded model is named models/tiny_reasoner/checkpoint in the result,
    not this machine's absolute path (a committed entry must read the same in every clone)."""
    from elastic_bench.models.tiny_reasoner import CHECKPOINT_DIR

    root = Path(__file__).resolve().parents[1]
    if not CHECKPOINT_DIR.resolve().is_relative_to(root):
        pytest.skip("installed as a wheel: the embedded model lies outside the checkout")
    args = ("run", "--limit", "1", "--tasks", "elastic_toy_unconstrained", "--results-dir", str(tmp_path))
    proc = _run(str(BIN / "elastic-bench"), *args, cwd=root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [entry] = list(tmp_path.rglob("reproduced__*.json"))
    repro = load_result(entry).reproducibility
    assert repro.model == "models/tiny_reasoner/checkpoint" and repro.tokenizer == repro.model


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["run", "--tasks", "elastic_nope"], "unknown task"),
        (["run", "--model", "no-such-backend"], "unknown model backend"),
        (["run", "--model_args", "pretrained=/no/such/model", "--limit", "1"], "no model at"),
        (["run", "--model_args", "pretrained"], "malformed model_args entry"),
        (["report", "/no/such/result.json"], "result.json"),
        (["run", "--model_args", "device=banana", "--limit", "1"], "device='banana': not a torch device"),
        (["run", "--model_args", "device=cuda:7", "--limit", "1"], "device='cuda:7': this machine has"),
        (["app", "--port", "99999"], "expected a port number 1-65535"),
        (
            ["run", "--model", "elastic-api", "--model_args", "base_url=ftp://x/v1", "--limit", "1"],
            "not an http(s) URL",
        ),
        (
            [
                "codeforces",
                "rating",
                str(REPO / "results/reproduced/reproduced__tiny_reasoner__elastic_toy.json"),
            ],
            "is a result file",
        ),
        (
            [
                "train",
                "sft",
                "--base",
                str(REPO / "models/tiny_reasoner/checkpoint"),
                "--output-dir",
                str(REPO / "README.md"),
            ],
            "is a file, not a folder",
        ),
    ],
)
def test_bad_input_is_one_line(tmp_path, args, fragment):
    _one_line_error(
        _run(str(BIN / "elastic-bench"), *args, "--results-dir", str(tmp_path))
        if args[0] == "run"
        else _run(str(BIN / "elastic-bench"), *args),
        fragment,
    )


def test_ls_lists_tasks_and_models():
    proc = _run(str(BIN / "elastic-bench"), "ls")
    assert proc.returncode == 0
    assert "elastic_toy" in proc.stdout and "elastic-hf" in proc.stdout


def test_ls_piped_prints_whole_names():
    from elastic_bench.tasks.build import SWEEPS, subtask_name

    proc = _run(str(BIN / "elastic-bench"), "ls")  # stdout is a pipe, as in `elastic-bench ls | cat`
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "…" not in proc.stdout
    lines = proc.stdout.splitlines()
    for sweep in SWEEPS.values():
        first, last = subtask_name(sweep, sweep.budgets[0]), subtask_name(sweep, None)
        assert any(first in line and last in line for line in lines), (first, last)
    assert any("elastic_bench.models.elastic_hf:ElasticHFLM" in line for line in lines)


def test_quiet_lm_eval_drops_only_our_metadata_advice_and_git_errors(tmp_path, monkeypatch, capfd):
    import logging

    import lm_eval.evaluator as evaluator

    from elastic_bench.harness.lmeval import quiet_lm_eval
    from elastic_bench.harness.lmeval._quiet import _DropMetadataAdvice

    monkeypatch.setattr(evaluator, "get_git_commit_hash", evaluator.get_git_commit_hash)  # restored after
    logger = logging.getLogger("lm_eval.api.task")
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    logger.addHandler(handler)
    advice = (
        ": Custom kwargs can be passed to `--metadata` in console (as json string) or to the TaskManager."
    )
    try:
        quiet_lm_eval(["elastic_toy_t00064"])
        for task in ("elastic_toy_t00064", "someone_elses_task"):
            logger.warning(task + advice)
        logger.warning("elastic_toy_t00064: another warning")
    finally:
        logger.removeHandler(handler)
        for f in [f for f in logger.filters if isinstance(f, _DropMetadataAdvice)]:
            logger.removeFilter(f)
    assert seen == ["someone_elses_task" + advice, "elastic_toy_t00064: another warning"]

    monkeypatch.chdir(tmp_path)  # not a git repository
    capfd.readouterr()
    assert evaluator.get_git_commit_hash() is None
    assert "fatal" not in capfd.readouterr().err


def test_readme_names_only_tasks_that_exist():
    from elastic_bench.harness.lmeval import tasks_dir

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    named = set(re.findall(r"\belastic_[a-z0-9]+_(?:t\d{5}|unconstrained)\b", readme))
    existing = {p.stem for p in Path(tasks_dir()).rglob("*.yaml")}
    assert named and named <= existing, sorted(named - existing)


def test_lm_eval_sees_our_models_and_keeps_its_own():
    code = (
        "from lm_eval.api.registry import get_model\n"
        "from lm_eval.tasks import TaskManager\n"
        "print(get_model('elastic-hf').__name__, get_model('hf').__name__)\n"
        "tm = TaskManager()\n"
        "print('elastic_toy' in tm.all_tasks, 'gsm8k' in tm.all_tasks)\n"
    )
    proc = _run(sys.executable, "-c", code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["ElasticHFLM", "HFLM", "True", "True"]


@pytest.mark.parametrize(
    ("model_args", "fragment"),
    [
        ("pretrainedd=x", "unknown model arg 'pretrainedd' for ElasticHFLM (did you mean 'pretrained'?)"),
        ("device=banana", "device='banana': not a torch device"),
        ("pretrained=/no/such/model", "/no/such/model"),
    ],
)
def test_lm_eval_with_bad_model_args_for_our_backend_is_one_line(tmp_path, model_args, fragment):
    """The plain lm_eval CLI printed a ModelArgsError traceback (and ran device=banana on the CPU)."""
    args = ("--tasks", "elastic_toy_t00064", "--limit", "1", "--output_path", str(tmp_path))
    proc = _run(
        str(BIN / "lm_eval"), "--model", "elastic-hf", "--model_args", model_args, *args, cwd=tmp_path
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("lm-eval: error: ") and fragment in last, last


def test_lm_eval_keeps_its_own_models_errors():
    args = ("--model_args", "pretrained=/no/such/model", "--tasks", "elastic_toy_t00064", "--limit", "1")
    proc = _run(str(BIN / "lm_eval"), "--model", "hf", *args)
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "lm-eval: error" not in proc.stderr


def _cached_rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return conn.execute("select count(*) from unnamed").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_killed_run_resumes_without_regenerating(tmp_path):
    cache = tmp_path / "cache"
    cmd = [
        str(BIN / "lm_eval"),
        "--model", "elastic-hf",
        "--model_args", "groups_per_batch=2",
        "--batch_size", "8",
        "--tasks", "elastic_toy",
        "--limit", "10",
        "--use_cache", str(cache),
    ]  # fmt: skip
    db = Path(f"{cache}_rank0.db")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    try:
        deadline = time.time() + 300
        while _cached_rows(db) < 10 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert proc.poll() is None, "the run finished before it could be killed"
        proc.kill()
    finally:
        proc.wait()
    done = _cached_rows(db)
    assert 10 <= done < 50  # 10 docs x 5 budgets: killed mid-way, with finished requests cached
    rerun = _run(*cmd)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    log = rerun.stdout + rerun.stderr
    assert f"Cached requests: {done}, Requests remaining: {50 - done}" in log
    assert f"{50 - done}/{50 - done}" in log  # elastic-hf generated only the remaining requests


# --------------------------------------------------------------- one-line errors, in-process
def _main_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run ``elastic-bench ARGS`` in this process; return its one error line (exit status 2)."""
    from elastic_bench.harness.cli import main

    try:
        status = main(list(args))
    except SystemExit as exc:  # argparse
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2, err[-2000:]
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert re.match(r"elastic-bench( \w+)?: error: ", last), last
    return last


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--metadata", "[1,2]"], "--metadata must be a JSON object"),
        (["--limit", "0"], "--limit"),
        (["--limit", "-3"], "--limit"),
        (["--limit", "2.5"], "--limit"),
        (["--k", "0"], "--k"),
        (["--batch_size", "0"], "batch_size='0'"),
        (["--batch_size", "abc"], "batch_size='abc'"),
        (["--model_args", "pretrianed=/x"], "did you mean 'pretrained'?"),
        (["--model_args", "dtyp=float32"], "did you mean 'dtype'?"),
        (["--model_args", "dtype=float33"], "did you mean 'float32'?"),
    ],
)
def test_bad_run_input_is_one_line_before_the_model_loads(tmp_path, capsys, monkeypatch, args, fragment):
    from elastic_bench.models import elastic_hf

    def no_load(*a, **k):
        raise AssertionError("the model was loaded before the input was checked")

    monkeypatch.setattr(elastic_hf, "load_model_and_tokenizer", no_load)
    last = _main_error(capsys, "run", "--tasks", "elastic_toy_t00064", "--results-dir", str(tmp_path), *args)
    assert fragment in last, last


def test_corrupt_or_locked_journal_is_one_line(tmp_path, capsys):
    from elastic_bench.models.journal import JournalError, ResponseJournal

    corrupt = tmp_path / "corrupt.sqlite"
    corrupt.write_bytes(b"this is not a database" * 100)
    with pytest.raises(JournalError, match="corrupt.sqlite"):
        ResponseJournal(corrupt)
    last = _main_error(
        capsys, "run", "--limit", "1", "--tasks", "elastic_toy_t00064", "--results-dir", str(tmp_path),
        "--model_args", f"journal={corrupt}",
    )  # fmt: skip
    assert "corrupt.sqlite" in last and "journal" in last

    # two runs on one journal: the second writer gives up after its timeout, with one line
    from elastic_bench.harness.generation import ElasticResponse, TokenAccounting

    locked = tmp_path / "locked.sqlite"
    ResponseJournal(locked)
    holder = sqlite3.connect(locked)
    holder.execute("begin immediate")
    try:
        second = ResponseJournal(locked, timeout=0.2)
        response = ElasticResponse("x", TokenAccounting(1, 1, False, False), "</think>")
        with pytest.raises(JournalError, match="locked.sqlite: database is locked; another run"):
            second.put_many([("key", response)])
    finally:
        holder.close()


def test_truncated_safetensors_is_one_line(tmp_path, capsys):
    from elastic_bench.models.tiny_reasoner import CHECKPOINT_DIR

    model = tmp_path / "model"
    shutil.copytree(CHECKPOINT_DIR, model)
    [weights] = list(model.glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:1000])
    last = _main_error(
        capsys, "run", "--limit", "1", "--tasks", "elastic_toy_t00064", "--results-dir", str(tmp_path),
        "--model_args", f"pretrained={model}", "--no-cache",
    )  # fmt: skip
    assert "cannot load model" in last and "model" in last
