"""Nothing a user has is replaced or deleted silently, and nothing leaks in.

Runs go through the real ``elastic-bench`` command line (a few seconds each on the tiny reasoner).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from elastic_bench.harness.results import (
    RUNS_DIRNAME,
    SAMPLES_DIRNAME,
    SubmissionError,
    entry_filename,
    entry_files,
    entry_path,
    find_existing_entry,
    load_result,
    save_result,
    submit,
)
from tests.factories import make_result, write_result, write_samples

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENV = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
FULL = "reproduced__tiny_reasoner__elastic_toy"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "elastic-bench"), *args], capture_output=True, text=True, env=ENV, timeout=600
    )


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def leaderboard(tmp_path: Path) -> Path:
    """A results folder holding a copy of the committed full 200-problem, 5-budget toy entry."""
    results = tmp_path / "results"
    shutil.copytree(ROOT / "results" / "reproduced", results / "reproduced")
    shutil.copytree(ROOT / "results" / "samples" / FULL, results / "samples" / FULL)
    return results


@pytest.mark.slow
@pytest.mark.parametrize("flag", [[], ["--overwrite"]])
def test_partial_run_never_replaces_a_full_entry(leaderboard: Path, flag: list[str]) -> None:
    entry = leaderboard / "reproduced" / f"{FULL}.json"
    before = _tree(leaderboard / "reproduced"), _tree(leaderboard / "samples")
    proc = _cli(
        "run", "--limit", "2", "--tasks", "elastic_toy_t00064", "--results-dir", str(leaderboard), *flag
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (_tree(leaderboard / "reproduced"), _tree(leaderboard / "samples")) == before
    assert load_result(entry).points[0].n_problems == 200
    # the partial result is kept with the run's own lm-eval outputs, and the user is told so
    [kept] = list((leaderboard / "runs").rglob(f"{FULL}.json"))
    assert load_result(kept).points[0].n_problems == 2
    assert "partial run" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_rerun_replaces_only_with_overwrite_and_convert_checks_too(tmp_path: Path) -> None:
    results = tmp_path / "results"
    small = ["run", "--metadata", '{"n_problems": 3}', "--results-dir", str(results)]
    assert _cli(*small).returncode == 0
    entry = results / "reproduced" / f"{FULL}.json"
    before = _tree(results / "reproduced"), _tree(results / "samples")
    proc = _cli(*small)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (_tree(results / "reproduced"), _tree(results / "samples")) == before
    assert "--overwrite" in proc.stdout + proc.stderr
    proc = _cli(*small, "--overwrite")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert entry.read_bytes() != before[0][f"{FULL}.json"]
    assert (entry.parent / load_result(entry).samples_file).resolve().is_dir()

    # convert goes through the same duplicate check as submit
    run_dir = sorted((results / "runs").iterdir())[0]
    out = tmp_path / "converted"
    first = _cli("convert", str(run_dir), "-o", str(out))
    assert first.returncode == 0, first.stderr[-2000:]
    written = _tree(out)
    again = _cli("convert", str(run_dir), "-o", str(out))
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr
    assert _tree(out) == written
    assert _cli("convert", str(run_dir), "-o", str(out), "--overwrite").returncode == 0
    again = _cli("convert", str(run_dir), "-o", str(results))
    assert again.returncode == 2 and "already exists" in again.stderr


def test_run_folders_are_unique(tmp_path: Path) -> None:
    from elastic_bench.harness.lmeval._run import _new_run_dir

    made = {_new_run_dir(tmp_path, "elastic-hf", ["elastic_toy"]) for _ in range(5)}
    assert len(made) == 5 and all(d.is_dir() for d in made)


# ----------------------------------------------------------------------- submit: samples
def _submission(folder: Path, samples_file: str) -> Path:
    return write_result(make_result(samples_file=samples_file), folder, name="mine.json")


@pytest.mark.parametrize("escape", ["../../../../etc/passwd", "../secret.jsonl"])
def test_submit_refuses_samples_outside_its_folder(tmp_path: Path, escape: str) -> None:
    (tmp_path / "secret.jsonl").write_text('{"doc_id": 0}\n')
    path = _submission(tmp_path / "sub", escape)
    with pytest.raises(SubmissionError, match="outside"):
        submit(path, tmp_path / "results")
    assert not (tmp_path / "results").exists()


def test_submit_refuses_a_symlink_escaping_its_folder(tmp_path: Path) -> None:
    (tmp_path / "secret.jsonl").write_text('{"doc_id": 0}\n')
    folder = tmp_path / "sub"
    path = _submission(folder, "samples_link.jsonl")
    (folder / "samples_link.jsonl").symlink_to(tmp_path / "secret.jsonl")
    with pytest.raises(SubmissionError, match="outside"):
        submit(path, tmp_path / "results")
    samples = folder / "samples_dir"
    samples.mkdir()
    (samples / "samples_x.jsonl").symlink_to(tmp_path / "secret.jsonl")
    write_result(make_result(samples_file="samples_dir"), folder, name="mine.json")
    with pytest.raises(SubmissionError, match="outside"):
        submit(path, tmp_path / "results")
    assert not (tmp_path / "results").exists()


def test_submit_validates_its_samples(tmp_path: Path) -> None:
    folder = tmp_path / "sub"
    path = _submission(folder, "samples.jsonl")
    (folder / "samples.jsonl").write_text("root:x:0:0:root:/root:/bin/bash\n")
    with pytest.raises(SubmissionError, match=r"samples\.jsonl:1: not an lm-eval sample"):
        submit(path, tmp_path / "results")
    result = make_result(samples_file="samples_elastic_nope_t00256_2026-01-01T00-00-00.000001.jsonl")
    write_result(result, folder, name="mine.json")
    write_samples(result, folder / result.samples_file)
    with pytest.raises(SubmissionError, match="elastic_nope_t00256 is not a task of this result"):
        submit(path, tmp_path / "results")
    assert not (tmp_path / "results").exists()
    good = make_result(samples_file=f"samples_{make_result().points[0].task}_2026-01-01T00-00-00.1.jsonl")
    write_result(good, folder, name="mine.json")
    write_samples(good, folder / good.samples_file)
    dest = submit(path, tmp_path / "results")
    assert (dest.parent / load_result(dest).samples_file).is_file()


@pytest.mark.parametrize(
    ("model", "group"), [("é" * 200, "elastic_toy"), ("m" * 200, "t" * 200)], ids=["unicode", "long-group"]
)
def test_submit_a_200_character_model_name(tmp_path: Path, model: str, group: str) -> None:
    from elastic_bench.harness.cli import main

    path = write_result(make_result(model, task_group=group), tmp_path / "sub", name="long.json")
    assert main(["submit", str(path), "--results-dir", str(tmp_path / "results")]) == 0
    [entry] = list((tmp_path / "results").rglob("*.json"))
    assert len(entry.name.encode()) < 255 and load_result(entry).model_name == model
    again = main(["submit", str(path), "--results-dir", str(tmp_path / "results")])
    assert again == 1  # the same entry is found again, under its shortened name


# ----------------------------------------------------------------------------- journal key
def test_journal_key_covers_everything_that_changes_an_output(tmp_path: Path) -> None:
    from lm_eval.api.instance import Instance

    from elastic_bench.models.elastic_hf import ElasticHFLM
    from elastic_bench.models.tiny_reasoner import CHECKPOINT_DIR

    journal = tmp_path / "journal.sqlite"
    retemplated = tmp_path / "model"
    shutil.copytree(CHECKPOINT_DIR, retemplated)
    (retemplated / "chat_template.jinja").write_text(
        "{% for m in messages %}Q: {{ m['content'] }}\n{% endfor %}A: <think>"
    )

    def rows(**kwargs) -> int:
        setup = {"device": "cpu", "batch_size": 2, "max_gen_toks": 6, "journal": str(journal), **kwargs}
        lm = ElasticHFLM(**setup)
        request = Instance("generate_until", {}, ("12+30=", {"until": []}), 0)
        lm.generate_until([request], disable_tqdm=True)
        return len(lm.journal)

    assert rows() == 1
    assert rows() == 1  # the same setup reuses its responses
    changes = [
        {"dtype": "bfloat16"},
        {"think_end": "<|end_think|>"},
        {"chat": "no"},
        {"max_gen_toks": 5},
        {"seed": 7},
        {"pretrained": str(retemplated)},  # same weights, another chat template
    ]
    for n, change in enumerate(changes, start=2):
        assert rows(**change) == n, f"{change} reused a response made under another setup"


def test_journal_fingerprint_names_the_device() -> None:
    from elastic_bench.models.elastic_hf import ElasticHFLM
    from elastic_bench.models.tiny_reasoner import CHECKPOINT_DIR

    cpu = ElasticHFLM._fingerprint(str(CHECKPOINT_DIR), None, "float32", "cpu")
    gpu = ElasticHFLM._fingerprint(str(CHECKPOINT_DIR), None, "float32", "cuda:0")
    assert cpu != gpu


def test_a_kept_partial_run_is_not_taken_for_the_entry(tmp_path: Path) -> None:
    """A --limit run's result kept under results/runs/ is not a leaderboard entry: a later full run of
    the same model is added, not refused as 'an entry already exists at results/runs/...'."""
    result = make_result("tiny_reasoner")
    kept = tmp_path / RUNS_DIRNAME / "elastic-hf__elastic_toy__20261206T000000" / entry_filename(result)
    save_result(result, kept)
    save_result(result, tmp_path / SAMPLES_DIRNAME / "x.json")  # nor is anything under samples/
    assert find_existing_entry(result, tmp_path) is None
    assert entry_files(tmp_path) == []
    entry = save_result(result, entry_path(result, tmp_path))
    assert find_existing_entry(result, tmp_path) == entry and entry_files(tmp_path) == [entry]


def test_a_journal_row_with_null_fields_is_regenerated_not_read_as_text(tmp_path: Path) -> None:
    """A row whose text (or accounting, or marker) is NULL was used as the response "None"."""
    import sqlite3

    from elastic_bench.harness.generation import ElasticResponse, TokenAccounting
    from elastic_bench.models.journal import ResponseJournal

    path = tmp_path / "journal.sqlite"
    journal = ResponseJournal(path)
    kept = ElasticResponse("thought</think>\\boxed{1}", TokenAccounting(3, 2, False, False))
    journal.put_many([("good", kept), ("text", kept), ("acct", kept), ("marker", kept)])
    with sqlite3.connect(path) as db:
        for key, column in (("text", "text"), ("acct", "accounting"), ("marker", "marker")):
            db.execute(f"update responses set {column} = NULL where key = ?", (key,))
    found = ResponseJournal(path).get_many(["good", "text", "acct", "marker"])
    assert list(found) == ["good"] and found["good"] == kept and found["good"].accounting == kept.accounting


def test_a_journal_row_without_prompt_tokens_still_loads(tmp_path: Path) -> None:
    """Rows journaled without ``prompt_tokens`` are finished responses: they load with it unknown."""
    import json
    import sqlite3

    from elastic_bench.harness.generation import ElasticResponse, TokenAccounting
    from elastic_bench.models.journal import ResponseJournal

    path = tmp_path / "journal.sqlite"
    journal = ResponseJournal(path)
    counted = ElasticResponse(
        "thought</think>\\boxed{1}", TokenAccounting(3, 2, False, False, prompt_tokens=7)
    )
    journal.put_many([("new", counted), ("old", counted)])
    assert ResponseJournal(path).get_many(["new"])["new"].accounting.prompt_tokens == 7
    with sqlite3.connect(path) as db:
        [acct] = db.execute("select accounting from responses where key = 'old'").fetchone()
        old = {k: v for k, v in json.loads(acct).items() if k != "prompt_tokens"}
        db.execute("update responses set accounting = ? where key = 'old'", (json.dumps(old),))
    found = ResponseJournal(path).get_many(["old"])["old"]
    assert found == counted and found.accounting == TokenAccounting(3, 2, False, False)
    assert found.accounting.prompt_tokens is None


def test_submit_overwrite_never_replaces_an_entry_with_a_partial_result(tmp_path: Path) -> None:
    """--overwrite replaced a 200-problem entry with a 2-problem run, which `run` refuses."""
    board = tmp_path / "board"
    whole = submit(write_result(make_result("m", n_problems=200), tmp_path / "a"), board)
    small = write_result(make_result("m", n_problems=2), tmp_path / "b")
    with pytest.raises(SubmissionError, match=r"partial result \(2 problems, the existing entry has 200\)"):
        submit(small, board, overwrite=True)
    assert load_result(whole).points[0].n_problems == 200
    bigger = write_result(make_result("m", n_problems=300), tmp_path / "c")
    assert load_result(submit(bigger, board, overwrite=True)).points[0].n_problems == 300


def test_a_misspelled_budget_key_is_refused_not_ignored() -> None:
    """--gen_kwargs thinking_budgte=5 ran unbudgeted, silently."""
    from elastic_bench.models.budgeted_lm import parse_request

    with pytest.raises(
        ValueError, match="unknown generation kwarg 'thinking_budgte'; did you mean 'thinking_budget'"
    ):
        parse_request({"thinking_budgte": 5, "until": []}, 64)
    budget, _, _ = parse_request({"thinking_budget": 5, "until": [], "repetition_penalty": 1.1}, 64)
    assert budget.thinking == 5  # keys of other backends pass through


def test_entries_are_readable_by_everyone_who_can_read_the_folder(tmp_path: Path) -> None:
    """Entries were written 0600 (mkstemp's private mode): a board served by another user saw none."""
    old = os.umask(0o022)
    try:
        entry = submit(write_result(make_result("m"), tmp_path / "in"), tmp_path / "board")
    finally:
        os.umask(old)
    assert entry.stat().st_mode & 0o777 == 0o644


def test_a_run_that_fails_inside_lm_eval_leaves_no_empty_run_folder(tmp_path: Path) -> None:
    from elastic_bench.harness.lmeval import SweepRequest, run_sweep

    request = SweepRequest(
        tasks=("elastic_toy_t00064",), limit=1, results_dir=tmp_path, gen_kwargs={"thinking_budgte": 5}
    )
    with pytest.raises(ValueError, match="unknown generation kwarg 'thinking_budgte'"):
        run_sweep(request)
    assert not (tmp_path / "runs").exists()  # neither the run's folder nor an empty runs/ stays


@pytest.mark.parametrize(("first", "second"), [("org/model", "org_model"), ("a/b\\c", "a_b\\c")])
def test_models_whose_names_differ_in_unsafe_characters_never_share_a_file(
    tmp_path: Path, first, second
) -> None:
    """'org/model' and 'org_model' mapped to one file: the refusal named the other model and
    --overwrite replaced its entry."""
    board = tmp_path / "board"
    a = submit(write_result(make_result(first), tmp_path / "a"), board)
    b = submit(write_result(make_result(second), tmp_path / "b"), board)
    assert a != b and {load_result(a).model_name, load_result(b).model_name} == {first, second}
    again = submit(write_result(make_result(second), tmp_path / "c"), board, overwrite=True)
    assert again == b and load_result(a).model_name == first


def test_a_full_disk_never_advises_deleting_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Disk full during a run said "delete it (its responses are regenerated)": the journal is the
    finished work to keep."""
    from elastic_bench.harness.generation import ElasticResponse, TokenAccounting
    from elastic_bench.models.journal import JournalError, ResponseJournal

    path = tmp_path / "journal.sqlite"
    journal = ResponseJournal(path)
    response = ElasticResponse("x" * 20_000, TokenAccounting(1, 1, False, False), "</think>")
    journal.put_many([("kept", response)])
    pages = journal._db.execute("pragma page_count").fetchone()[0]
    journal._db.execute(f"pragma max_page_count={pages}")  # SQLite's own "database or disk is full"
    with pytest.raises(JournalError) as caught:
        journal.put_many([(f"k{i}", response) for i in range(20)])
    message = str(caught.value)
    assert "database or disk is full" in message and "free space and run again" in message, message
    assert "delete" not in message and "\n" not in message
    assert set(ResponseJournal(path).get_many(["kept", "k0"])) == {"kept"}
    # on a real full tmpfs SQLite may say "disk I/O error" (growing its shared memory): the free space decides
    import sqlite3

    from elastic_bench.models import journal as journal_module

    io_error = sqlite3.OperationalError("disk I/O error")
    monkeypatch.setattr(journal_module, "_free_bytes", lambda folder: 0)
    assert "its disk has 0 KiB left: free space" in str(journal._error(io_error))
    monkeypatch.setattr(journal_module, "_free_bytes", lambda folder: 1 << 40)
    assert "free space" not in str(journal._error(io_error)) and "delete" not in str(journal._error(io_error))


def test_a_full_disk_while_run_writes_its_outputs_leaves_nothing_truncated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """lm-eval's writer logged the error and carried on: a truncated results file, then "not JSON"."""
    from elastic_bench.harness.cli import main
    from tests.test_submit import full_disk_under

    results = tmp_path / "results"
    args = ["run", "--tasks", "elastic_toy_t00064", "--limit", "1", "--results-dir", str(results)]
    (results / RUNS_DIRNAME).mkdir(parents=True)
    full_disk_under(results / RUNS_DIRNAME, monkeypatch)
    assert main(args) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "error: disk full: " in last and "responses are kept in" in last and "delete" not in last, last
    assert not any(p.is_file() for p in (results / RUNS_DIRNAME).rglob("*"))  # nothing truncated
    [journal] = (results / ".cache").glob("*.journal.sqlite")
    monkeypatch.undo()
    assert main(args) == 0  # the rerun reads the journal and writes everything
    assert f"resuming from {journal}: 1 of 1 requests already done" in capsys.readouterr().err
    [kept] = (results / RUNS_DIRNAME).rglob("reproduced__*.json")  # a --limit run stays in its folder
    assert load_result(kept).points[0].n_problems == 1
