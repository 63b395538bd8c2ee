"""Submission: validation reasons, refusal to overwrite, samples handling, the CLI entry points."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from elastic_bench.harness.cli import add_submit_parser, run_submit
from elastic_bench.harness.results import (
    ResultFileError,
    SubmissionError,
    add_entry,
    entry_path,
    load_result,
    read_json,
    submit,
    validate_submission,
    validate_submission_bytes,
)
from tests.factories import make_result, write_result, write_samples


def _raw(**kwargs) -> dict:
    return json.loads(make_result(**kwargs).model_dump_json())


def _reason(raw: object, expected: str) -> None:
    """``raw`` is refused with a one-line reason that contains ``expected``."""
    data = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
    with pytest.raises(SubmissionError, match=re.escape(expected)) as info:
        validate_submission_bytes(data, name="sub.json")
    assert "\n" not in str(info.value)


def test_valid_files_pass(tmp_path: Path) -> None:
    path = write_result(make_result(budgets=(256, 512, None)), tmp_path)
    assert validate_submission(path).model_name == "tiny-elastic"
    reported = make_result("paper-model", kind="reported", with_ci=False)
    assert validate_submission(write_result(reported, tmp_path)).kind == "reported"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "file is empty"),
        (b"{nope", "not JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"schema_version": "1.0", "schema_version": "1.0"}', "duplicate key 'schema_version'"),
        (b'{"a": NaN}', "non-finite number NaN"),
        (b'{"results": {}}', "unsupported schema_version"),
        (b'{"results": {}, "configs": {}, "versions": {}}', "run `elastic-bench convert`"),
    ],
)
def test_malformed_bytes(data: bytes, expected: str) -> None:
    _reason(data, expected)


def test_schema_errors_name_the_field() -> None:
    raw = _raw()
    raw["points"][1]["accuracy"] = 1.5
    _reason(raw, "points.1.accuracy: Input should be less than or equal to 1")
    raw = _raw()
    del raw["reproducibility"]
    _reason(raw, "needs a reproducibility record")
    raw = _raw()
    raw["surprise"] = 1
    _reason(raw, "surprise: Extra inputs are not permitted")


def _mutate(path: list, value, expected: str, **kwargs) -> None:
    raw = _raw(**kwargs)
    target = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    _reason(raw, expected)


def test_consistency_checks() -> None:
    _mutate(["points", 0, "label"], "t=00300", "label says budget 300")
    _mutate(["points", 0, "label"], "small", "must be 't=<budget>'")
    _mutate(["points", 3, "label"], "t=99999", "must be 'unconstrained'", budgets=(256, 512, 1024, None))
    _mutate(["reproducibility", "k"], 2, "k=4 but reproducibility.k=2")
    _mutate(
        ["reproducibility", "strategy"],
        "truncate",
        "strategy 'elastic' but reproducibility.strategy is 'truncate'",
    )
    _mutate(["reproducibility", "dataset", "n_problems"], 11, "dataset.n_problems=11")
    raw = _raw()
    point = raw["points"][0]
    point.update(mean_think_tokens=300.0, mean_answer_tokens=20.0, mean_total_tokens=320.0)
    point["tokens_per_correct"] = 320.0 / point["accuracy"]
    _reason(raw, "exceeds the thinking budget 256")
    _mutate(["points", 0, "mean_answer_tokens"], 5.0, "!= mean_think_tokens + mean_answer_tokens")
    _mutate(["points", 0, "tokens_per_correct"], 1.0, "tokens_per_correct 1.0 != mean_total_tokens")
    _mutate(["benchmark"], "../evil", "benchmark '../evil' may only contain letters")
    _mutate(["task_group"], "a/b", "task_group 'a/b' may only contain letters")
    _mutate(["samples_file"], "/etc/passwd", "must be a relative path")
    _mutate(["reproducibility", "hardware"], " ", "reproducibility.hardware is empty")
    _mutate(["reproducibility", "versions"], {}, "reproducibility.versions is empty")


def test_counts_and_per_problem_values() -> None:
    raw = _raw()
    raw["points"][1]["k"] = 3
    _reason(raw, "k=3 differs")
    raw = _raw(k=4)
    pp = raw["points"][0]["per_problem_accuracy"]
    shift = 0.1
    i = next(j for j, v in enumerate(pp) if v + shift <= 1)
    pp[i] += shift
    raw["points"][0]["accuracy"] = sum(pp) / len(pp)
    lo, hi = raw["points"][0]["accuracy_ci"]
    raw["points"][0]["accuracy_ci"] = [max(0.0, lo - 0.05), min(1.0, hi + 0.05)]
    raw["points"][0]["tokens_per_correct"] = (
        raw["points"][0]["mean_total_tokens"] / raw["points"][0]["accuracy"]
    )
    _reason(raw, "not a multiple of 1/k")


def test_submit_copies_and_refuses_to_overwrite(tmp_path: Path) -> None:
    results = tmp_path / "results"
    src = tmp_path / "run"
    result = make_result(samples_file="samples_run.jsonl")
    path = write_result(result, src, name="mine.json")
    write_samples(result, src / "samples_run.jsonl")

    dest = submit(path, results)
    assert dest == entry_path(result, results)
    stored = load_result(dest)
    assert stored.points == result.points
    assert stored.samples_file is not None
    assert (dest.parent / stored.samples_file).resolve().is_file()

    before = dest.read_bytes()
    with pytest.raises(SubmissionError, match="already exists.*--overwrite"):
        submit(path, results)
    assert dest.read_bytes() == before

    # the same entry under another file name is found too
    moved = results / "other_name.json"
    dest.rename(moved)
    with pytest.raises(SubmissionError, match="other_name.json"):
        submit(path, results)

    changed = make_result(accuracies=(0.5, 0.6, 0.7), samples_file="samples_run.jsonl")
    write_result(changed, src, name="mine.json")
    assert submit(path, results, overwrite=True) == moved
    assert load_result(moved).points[0].accuracy == pytest.approx(0.5)


def test_add_entry_without_samples_base_drops_reference(tmp_path: Path) -> None:
    (tmp_path / "secret.jsonl").write_text("{}\n")
    result = make_result(samples_file="../secret.jsonl")
    dest = add_entry(result, tmp_path / "results")
    assert load_result(dest).samples_file is None


def test_missing_samples_are_dropped(tmp_path: Path) -> None:
    path = write_result(make_result(samples_file="nowhere.jsonl"), tmp_path / "src")
    dest = submit(path, tmp_path / "results")
    assert load_result(dest).samples_file is None


def test_cli_parser_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="elastic-bench")
    add_submit_parser(parser.add_subparsers(dest="command"))
    good = write_result(make_result(), tmp_path / "src")
    args = parser.parse_args(["submit", str(good), "--results-dir", str(tmp_path / "results")])
    assert args.func(args) == 0
    assert "added reproduced 'tiny-elastic'" in capsys.readouterr().out
    assert run_submit(args) == 1
    assert "already exists" in capsys.readouterr().out
    args = parser.parse_args(["submit", str(good), "--results-dir", str(tmp_path / "results"), "--overwrite"])
    assert run_submit(args) == 0
    capsys.readouterr()

    bad = tmp_path / "bad.json"
    bad.write_text("{")
    args = parser.parse_args(["submit", str(bad), "--results-dir", str(tmp_path / "results")])
    assert run_submit(args) == 1
    out = capsys.readouterr().out
    assert out.startswith("rejected: bad.json: not JSON")
    assert args.results_dir == tmp_path / "results"
    assert parser.parse_args(["submit", "x.json"]).results_dir == Path("results")


def test_missing_file_reason(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError, match="cannot read"):
        validate_submission(tmp_path / "absent.json")


def test_json_nested_too_deeply_is_one_line_and_does_not_break_submit(tmp_path: Path) -> None:
    """'[' * 100000 raised RecursionError out of every submit (the entry walk read it), report and grade."""
    deep = tmp_path / "results" / "x" / "deep.json"
    deep.parent.mkdir(parents=True)
    deep.write_text("[" * 100_000)
    with pytest.raises(SubmissionError, match="deep.json: not a result file: JSON nested too deeply"):
        validate_submission(deep)
    with pytest.raises(ResultFileError, match="JSON nested too deeply"):
        read_json(deep)
    assert submit(write_result(make_result("m"), tmp_path / "in"), tmp_path / "results").is_file()


# ----------------------------------------------------------------- races and full disks
def _with_samples_folder(folder: Path, model: str = "m") -> Path:
    """A submission whose samples_file is a folder of lm-eval sample files."""
    result = make_result(model, samples_file="samples")
    write_samples(result, folder / "samples" / f"samples_{result.points[0].task}_2026-01-01T00-00-00.1.jsonl")
    return write_result(result, folder, name="mine.json")


def test_a_lost_submit_race_is_one_line_naming_the_entry_and_keeps_the_winner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two submits of one entry: the second checked before the first landed, then replaced it
    silently (or failed with a raw [Errno 17] on the samples folder)."""
    from elastic_bench.harness.results import _submit

    board = tmp_path / "board"
    winner = make_result("m", n_problems=9)
    bring = _submit._bring_samples

    def the_other_lands_first(*args, **kwargs):
        add_entry(winner, board)  # between this submit's checks and its write
        return bring(*args, **kwargs)

    monkeypatch.setattr(_submit, "_bring_samples", the_other_lands_first)
    with pytest.raises(SubmissionError) as caught:
        submit(_with_samples_folder(tmp_path / "sub"), board)
    message = str(caught.value)
    assert "another submission added the entry for reproduced 'm'" in message and "\n" not in message
    [entry] = list(board.rglob("*.json"))
    assert load_result(entry).points[0].n_problems == 9  # the winner's entry, untouched
    assert not list((board / "samples").iterdir())  # the loser's samples went with it


def test_samples_that_appear_meanwhile_are_one_line_not_errno_17(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from elastic_bench.harness.results import _samples

    board = tmp_path / "board"
    copy = _samples.shutil.copyfile
    path = _with_samples_folder(tmp_path / "sub")
    stem = entry_path(load_result(path), board).stem

    def the_other_copies_first(src, dst, **kwargs):
        theirs = board / "samples" / stem
        if not theirs.exists():
            theirs.mkdir(parents=True)
            (theirs / "samples_theirs.jsonl").write_text("{}\n")
        return copy(src, dst, **kwargs)

    monkeypatch.setattr(_samples.shutil, "copyfile", the_other_copies_first)
    with pytest.raises(SubmissionError, match="samples for the entry for reproduced 'm' .* are already at"):
        submit(path, board)
    assert [p.name for p in (board / "samples").rglob("*")] == [stem, "samples_theirs.jsonl"]
    assert not list(board.rglob("*.json"))


def full_disk_under(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Temporary files created in ``folder`` write to /dev/full: the kernel's own ENOSPC."""
    import os
    import tempfile

    real = tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):  # noqa: A002
        fd, name = real(*args, dir=dir, **kwargs)
        if dir is not None and Path(dir).resolve().is_relative_to(folder.resolve()):
            os.close(fd)
            fd = os.open("/dev/full", os.O_WRONLY)
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


def test_a_full_disk_leaves_no_truncated_entry_and_says_disk_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that hit a full disk left a truncated file, later read as "not JSON"."""
    from elastic_bench.harness.cli import main
    from elastic_bench.harness.results import DiskFullError, save_result

    board = tmp_path / "board"
    kept = save_result(make_result("m", n_problems=9), board / "reproduced" / "kept.json")
    before = kept.read_bytes()
    path = write_result(make_result("m"), tmp_path / "sub")
    full_disk_under(board, monkeypatch)
    with pytest.raises(DiskFullError, match=r"disk full: .*kept\.json was not written"):
        save_result(make_result("m"), kept)
    assert kept.read_bytes() == before and sorted(p.name for p in board.rglob("*")) == [
        "kept.json",
        "reproduced",
    ]
    assert main(["submit", str(path), "--results-dir", str(board / "new")]) == 2
    assert not any(p.is_file() for p in (board / "new").rglob("*"))
