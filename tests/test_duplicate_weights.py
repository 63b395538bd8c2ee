"""A submission with the weights of an existing entry under another name cannot displace it: refused
with one line naming that entry, unless declared its alias (``--alias``) or replacing it (``--overwrite``);
an alias is never a base or a method of its own in the Baselines comparisons."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from elastic_bench.harness.cli import add_submit_parser
from elastic_bench.harness.results import (
    SubmissionError,
    TrainingRecord,
    add_entry,
    entry_files,
    find_same_weights,
    load_result,
    submit,
)
from elastic_bench.leaderboard_app.analysis import Filters, filter_entries, own_bases
from elastic_bench.leaderboard_app.comparison import comparison_groups
from elastic_bench.leaderboard_app.data import load_leaderboard
from elastic_bench.leaderboard_app.ranking import ranking_table
from tests.factories import make_result, write_result

BASE_SHA = "a" * 64
OTHER_SHA = "b" * 64


def _with_weights(name: str, sha: str, **kwargs):
    result = make_result(name, **kwargs)
    result.reproducibility.weights_sha256 = sha
    return result


def _board(tmp_path: Path) -> Path:
    """A results dir with a base entry and a method retrained from it."""
    results = tmp_path / "results"
    add_entry(_with_weights("tiny_reasoner", BASE_SHA), results)
    method = _with_weights("tiny_reasoner (SFT)", OTHER_SHA)
    method.training = TrainingRecord(
        method="sft",
        base_model="tiny_reasoner",
        base_weights_sha256=BASE_SHA,
        optimizer_steps=24,
        training_tokens=1000,
        hardware="cpu",
    )
    add_entry(method, results)
    return results


def test_a_copy_of_the_base_under_another_name_is_refused_naming_the_entry(tmp_path):
    results = _board(tmp_path)
    copy = write_result(_with_weights("my_new_model", BASE_SHA), tmp_path / "src")
    with pytest.raises(SubmissionError) as info:
        submit(copy, results)
    message = str(info.value)
    assert "'tiny_reasoner'" in message and "--alias" in message and "--overwrite" in message
    assert "\n" not in message
    assert len(entry_files(results)) == 2  # nothing added
    # another task group, or other weights, is not a duplicate
    assert submit(write_result(_with_weights("x", OTHER_SHA, benchmark="math500"), tmp_path / "s2"), results)
    assert find_same_weights(_with_weights("y", "c" * 64), results) is None


def test_alias_is_recorded_and_never_displaces_the_base_in_comparisons(tmp_path):
    results = _board(tmp_path)
    # more problems than the base: were it not left out, the alias would be taken for the base
    copy = write_result(_with_weights("my_new_model", BASE_SHA, n_problems=20), tmp_path / "src")
    dest = submit(copy, results, alias=True)
    assert load_result(dest).alias_of == "tiny_reasoner"
    # a further copy names the original, not the alias
    third = write_result(_with_weights("zz_copy", BASE_SHA), tmp_path / "src3")
    with pytest.raises(SubmissionError, match="'tiny_reasoner'"):
        submit(third, results)
    data = load_leaderboard(results)
    alias = dest.relative_to(results).as_posix()
    assert data.entries.set_index("entry").loc[alias, "alias_of"] == "tiny_reasoner"
    [group] = comparison_groups(data.entries)
    names = data.entries.set_index("entry")["model_name"]
    assert names[group.base] == "tiny_reasoner" and group.title.startswith("tiny_reasoner and")
    assert alias not in {group.base, *group.methods}
    # the leaderboard's AES base of the retrained method is the original, not its alias
    [method] = [e for e in data.entries["entry"] if "SFT" in e]
    assert names[own_bases(data.entries)[method][0]] == "tiny_reasoner"
    # the leaderboard's charts and its ranking show the original once, never the alias as a model
    shown = filter_entries(data.entries, Filters(benchmark="toy"))
    assert alias not in set(shown["entry"]) and len(shown) == 2
    ranking = ranking_table(data.entries, data.points, data.problems, "toy")
    assert "my_new_model" not in set(ranking["model"]) and len(ranking) == 2


def test_alias_without_a_same_weights_entry_is_refused(tmp_path):
    results = _board(tmp_path)
    lone = write_result(_with_weights("lonely", "c" * 64), tmp_path / "src")
    with pytest.raises(SubmissionError, match="--alias: no entry on elastic_toy has the weights"):
        submit(lone, results, alias=True)
    claimed = _with_weights("claims", "c" * 64)
    claimed.alias_of = "tiny_reasoner"  # a file cannot call itself an alias of an entry with other weights
    with pytest.raises(SubmissionError, match="alias_of names 'tiny_reasoner', but no entry"):
        submit(write_result(claimed, tmp_path / "src2"), results)


def test_overwrite_replaces_the_entry_with_the_same_weights(tmp_path):
    results = _board(tmp_path)
    copy = write_result(_with_weights("tiny_reasoner_v2", BASE_SHA), tmp_path / "src")
    dest = submit(copy, results, overwrite=True)
    names = sorted(load_result(p).model_name for p in entry_files(results))
    assert names == ["tiny_reasoner (SFT)", "tiny_reasoner_v2"] and dest.is_file()


def test_runs_may_store_the_same_weights_under_the_name_they_were_given(tmp_path):
    results = _board(tmp_path)  # elastic-bench run / the worker name the model themselves
    assert add_entry(_with_weights("tiny_reasoner, verified run", BASE_SHA), results).is_file()


def test_cli_refuses_with_one_line_and_accepts_alias(tmp_path, capsys):
    results = _board(tmp_path)
    copy = write_result(_with_weights("my_new_model", BASE_SHA), tmp_path / "src")
    parser = argparse.ArgumentParser()
    add_submit_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["submit", str(copy), "--results-dir", str(results)])
    assert args.func(args) == 1
    out = capsys.readouterr().out.strip()
    assert out.startswith("rejected:") and "'tiny_reasoner'" in out and len(out.splitlines()) == 1
    args = parser.parse_args(["submit", str(copy), "--results-dir", str(results), "--alias"])
    assert args.func(args) == 0
    assert "alias of 'tiny_reasoner'" in capsys.readouterr().out
