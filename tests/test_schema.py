"""Result schema 1.1: the new fields, their checks, and the migration from 1.0 files."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from elastic_bench.harness.protocol import TEST_VERDICTS
from elastic_bench.harness.results import (
    SCHEMA_VERSION,
    BudgetPoint,
    CodeforcesRating,
    ResultFileError,
    TrainingRecord,
    load_result,
    parse_result,
    save_result,
)
from tests.factories import make_result

REPO = Path(__file__).resolve().parent.parent
#: results/runs/ (lm-eval's raw outputs of `elastic-bench run`) and results/.cache/ are git-ignored
#: working files, not leaderboard entries: a local pipeline run must not fail the schema tests
UNCOMMITTED = {"runs", ".cache"}
COMMITTED = sorted(
    p
    for p in (REPO / "results").rglob("*.json")
    if p.relative_to(REPO / "results").parts[0] not in UNCOMMITTED
)


def _point(**overrides) -> dict:
    fields = dict(
        label="t=00064", task="elastic_code_t00064", thinking_budget=64, strategy="elastic",
        n_problems=4, k=2, accuracy=0.5, mean_total_tokens=100.0,
    )  # fmt: skip
    return fields | overrides


def _one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert message and "\n" not in message
    return message


# --------------------------------------------------------------------------- committed files


def test_there_are_committed_result_files_of_both_kinds():
    kinds = {json.loads(p.read_text())["kind"] for p in COMMITTED}
    assert kinds == {"reported", "reproduced"}


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name)
def test_every_committed_result_file_loads(path: Path):
    result = load_result(path)
    assert result.schema_version == SCHEMA_VERSION
    if json.loads(path.read_text())["schema_version"] == "1.0":  # migrated: 1.1's new fields stay unset
        assert all(p.timeout_rate is None and p.pass_at_k is None for p in result.points)


def test_1_0_reported_columns_become_budget_not_stated():
    [e1] = [p for p in COMMITTED if p.name == "reported__E1-Math-1.5B__e1_model_card_aime2024.json"]
    raw = json.loads(e1.read_text())
    assert raw["schema_version"] == "1.0"  # read as committed, not rewritten
    result = parse_result(raw)
    assert [p.budget_stated for p in result.points] == [False, False, False, False, True]
    assert [p.unconstrained for p in result.points] == [False, False, False, False, True]
    assert [p.label for p in result.points] == [p["label"] for p in raw["points"]]


#: the embedded model's leaderboard entry as `elastic-bench run` wrote it under schema 1.0 (Nov 21); kept
#: here because the entry itself is rewritten (1.1) whenever the default job is rerun
SCHEMA_1_0_REPRODUCED = (
    Path(__file__).parent / "fixtures" / "schema_1_0_reproduced_tiny_reasoner_elastic_toy.json"
)


def test_1_0_reproduced_file_keeps_its_values_and_round_trips(tmp_path):
    raw = json.loads(SCHEMA_1_0_REPRODUCED.read_text())
    result = parse_result(copy.deepcopy(raw))
    assert raw["schema_version"] == "1.0"
    assert [p.accuracy for p in result.points] == [p["accuracy"] for p in raw["points"]]
    assert result.points[-1].unconstrained and all(p.budget_stated for p in result.points)
    assert result.reproducibility.git_commit == raw["reproducibility"]["git_commit"]
    again = load_result(save_result(result, tmp_path / "r.json"))
    assert again == result and json.loads((tmp_path / "r.json").read_text())["schema_version"] == "1.1"


# --------------------------------------------------------------------------- versions


@pytest.mark.parametrize("version", ["2.0", "10.3"])
def test_newer_major_version_is_refused_in_one_line(version):
    raw = json.loads(make_result("m").model_dump_json()) | {"schema_version": version}
    with pytest.raises(ResultFileError, match=f"schema_version {re.escape(version)} is newer") as exc:
        parse_result(raw, name="future.json")
    assert f"schema_version {version} is newer" in _one_line(exc) and "upgrade" in str(exc.value)


def test_newer_minor_version_reads_when_it_uses_known_fields_only():
    raw = json.loads(make_result("m").model_dump_json()) | {"schema_version": "1.9"}
    assert parse_result(raw).model_name == "m"
    raw["points"][0]["new_field"] = 1
    with pytest.raises(ResultFileError, match="new_field: Extra inputs are not permitted") as exc:
        parse_result(raw)
    assert "upgrade elastic-bench" in _one_line(exc)


@pytest.mark.parametrize("version", [None, "1", "one", 1.0, "0.9"])
def test_missing_or_malformed_version_is_refused(version):
    raw = json.loads(make_result("m").model_dump_json()) | {"schema_version": version}
    with pytest.raises(ResultFileError, match="unsupported schema_version") as exc:
        parse_result(raw)
    assert "unsupported schema_version" in _one_line(exc)


# --------------------------------------------------------------------------- new fields


def test_rates_are_optional_and_bounded():
    point = BudgetPoint(**_point(boxed_rate=0.75, fallback_rate=0.25, timeout_rate=0.0))
    assert (point.boxed_rate, point.fallback_rate, point.timeout_rate) == (0.75, 0.25, 0.0)
    assert BudgetPoint(**_point()).boxed_rate is None
    with pytest.raises(ValueError, match="less than or equal to 1"):
        BudgetPoint(**_point(timeout_rate=1.5))


def test_budget_not_stated_needs_no_budget_and_is_only_reported():
    with pytest.raises(ValueError, match="not stated"):
        BudgetPoint(**_point(budget_stated=False))  # it has thinking_budget=64
    with pytest.raises(ValueError, match="not stated"):
        BudgetPoint(**_point(budget_stated=False, thinking_budget=None, label="unconstrained"))
    column = BudgetPoint(**_point(budget_stated=False, thinking_budget=None, label="column 1"))
    assert not column.unconstrained
    result = make_result("m")
    raw = json.loads(result.model_dump_json())
    raw["points"][0] |= {"budget_stated": False, "thinking_budget": None, "label": "column 1"}
    raw["reproducibility"]["budgets"] = [p["thinking_budget"] for p in raw["points"]]
    with pytest.raises(ResultFileError, match="reproduced result knows its budgets"):
        parse_result(raw)


def test_pass_at_k_must_be_monotone_and_within_k():
    assert BudgetPoint(**_point(pass_at_k={1: 0.5, 2: 0.75})).pass_at_k == {1: 0.5, 2: 0.75}
    assert BudgetPoint.model_validate_json(json.dumps(_point(pass_at_k={"1": 0.5}))).pass_at_k == {1: 0.5}
    with pytest.raises(ValueError, match="not decrease"):
        BudgetPoint(**_point(pass_at_k={1: 0.5, 2: 0.4}))
    with pytest.raises(ValueError, match="k values in 1..2"):
        BudgetPoint(**_point(pass_at_k={1: 0.5, 8: 0.9}))


def test_test_verdicts_count_every_sample_with_known_reasons():
    point = BudgetPoint(**_point(test_verdicts={"passed": 4, "wrong_answer": 3, "time_limit": 1}))
    assert sum(point.test_verdicts.values()) == 4 * 2
    with pytest.raises(ValueError, match="expected n_problems x k = 8"):
        BudgetPoint(**_point(test_verdicts={"passed": 4}))
    with pytest.raises(ValueError, match="unknown test verdicts"):
        BudgetPoint(**_point(test_verdicts={"passed": 4, "wrong_anwser": 4}))
    assert {"passed", "wrong_answer", "runtime_error", "compile_error"} <= set(TEST_VERDICTS)


def test_codeforces_rating_or_reason():
    rated = CodeforcesRating(rating=1450.0, percentile=62.5, contests=["1950", "1951"])
    assert BudgetPoint(**_point(codeforces=rated)).codeforces.rating == 1450.0
    assert CodeforcesRating(unavailable="fewer than 3 contests solved").rating is None
    for bad, reason in (
        ({}, "give either a rating or the reason it is unavailable, not both or neither"),
        ({"rating": 1.0, "unavailable": "x", "contests": ["1"]}, "not both or neither"),
        ({"rating": 1200.0}, "a rating needs the contests it was computed on"),
    ):
        with pytest.raises(ValueError, match=reason):
            CodeforcesRating(**bad)


def _training(**overrides) -> dict:
    fields = dict(
        method="o1-pruner", base_model="org/base", base_weights_sha256="a" * 64,
        training_data="org/prompts", training_data_sha256="b" * 64,
        hyperparameters={"lr": 1e-6, "epochs": 2, "schedule": "cosine"}, optimizer_steps=100,
        training_tokens=1_000_000, reference_sampling_tokens=500_000, wall_time_seconds=3600.0,
        seed=7, hardware="GPU: 1x H100",
    )  # fmt: skip
    return fields | overrides


def test_training_record_and_test_set_round_trip(tmp_path):
    result = make_result("retrained").model_copy(
        update={"training": TrainingRecord(**_training()), "test_set": "hidden"}
    )
    again = load_result(save_result(result, tmp_path / "r.json"))
    assert again.training == result.training and again.test_set == "hidden"
    assert again.training.hyperparameters["lr"] == 1e-6


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"base_weights_sha256": "xyz"}, r"base_weights_sha256\s+String should match pattern"),
        ({"optimizer_steps": -1}, r"optimizer_steps\s+Input should be greater than or equal to 0"),
        ({"hyperparameters": {"lr": float("nan")}}, "hyperparameters must be plain JSON values"),
    ],
)
def test_training_record_rejects_bad_values(bad, reason):
    with pytest.raises(ValueError, match=reason):
        TrainingRecord(**_training(**bad))


def test_test_set_is_public_or_hidden():
    raw = json.loads(make_result("m").model_dump_json()) | {"test_set": "private"}
    with pytest.raises(ResultFileError, match="test_set"):
        parse_result(raw)


@pytest.mark.parametrize("name", ["evil\u202etxt.gpj", "nul\x00name", "tab\there"])
def test_a_model_name_with_control_or_bidi_characters_is_refused(name: str) -> None:
    raw = json.loads(make_result("ok").model_dump_json())
    raw["model_name"] = name
    with pytest.raises(
        ResultFileError, match=r"model_name: Value error, model_name holds control or formatting"
    ):
        parse_result(raw)
