"""Result schema 1.2: the fields of 1.1 and 1.2, their checks, and the migrations from 1.0 and 1.1 files."""

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
    if json.loads(path.read_text())["schema_version"] in ("1.0", "1.1"):  # migrated: new fields stay unset
        assert result.reported_source is None and result.grading_semantics is None
    if result.kind == "reported":  # every shipped reported entry names its source table
        assert result.reported_source is not None


#: the E1 model card entry as it was committed under schema 1.0 (the entries are rebuilt at each version)
SCHEMA_1_0_REPORTED = Path(__file__).parent / "fixtures" / "schema_1_0_reported_e1_math_model_card.json"
#: a reported entry as committed under schema 1.1 (before reported entries named their source table)
SCHEMA_1_1_REPORTED = Path(__file__).parent / "fixtures" / "schema_1_1_reported_l1_max_e1_paper_math500.json"
#: a retrained baseline's entry as `elastic-bench baselines` wrote it under schema 1.1; kept here
#: because the committed entries are rewritten whenever the baselines are retrained
SCHEMA_1_1_REPRODUCED = (
    Path(__file__).parent / "fixtures" / "schema_1_1_reproduced_tiny_reasoner_elastic_toy.json"
)


def test_1_0_reported_columns_become_budget_not_stated():
    raw = json.loads(SCHEMA_1_0_REPORTED.read_text())
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
    assert again == result and json.loads((tmp_path / "r.json").read_text())["schema_version"] == "1.3"


def test_1_1_files_keep_their_values_and_gain_no_provenance(tmp_path):
    raw = json.loads(SCHEMA_1_1_REPORTED.read_text())
    assert raw["schema_version"] == "1.1"
    result = parse_result(copy.deepcopy(raw))
    assert (
        result.schema_version == "1.3" and result.reported_source is None and result.grading_semantics is None
    )
    assert [(p.accuracy, p.mean_total_tokens) for p in result.points] == [
        (p["accuracy"], p["mean_total_tokens"]) for p in raw["points"]
    ]
    assert load_result(save_result(result, tmp_path / "r.json")) == result
    raw = json.loads(SCHEMA_1_1_REPRODUCED.read_text())
    assert raw["schema_version"] == "1.1" and raw["kind"] == "reproduced" and raw["training"] is not None
    result = parse_result(copy.deepcopy(raw))
    assert result.schema_version == "1.3" and result.training.method == raw["training"]["method"]
    assert [p.accuracy for p in result.points] == [p["accuracy"] for p in raw["points"]]
    assert load_result(save_result(result, tmp_path / "reproduced.json")) == result


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


# --------------------------------------------------------------------------- 1.2: provenance


def _source(**overrides) -> dict:
    fields = dict(
        table="paper_t1", table_label="Paper T1", citation="A paper (arXiv 0000.00000), Table 1", row="Method",
        evaluated_by="reimplementation", benchmark_version="AIME 2024 (30)", k=16, tokens_counted="thinking",
    )  # fmt: skip
    return fields | overrides


def _reported(**source) -> dict:
    raw = json.loads(make_result("paper-method", kind="reported", with_ci=False).model_dump_json())
    return raw | {"reported_source": _source(**source)}


def test_reported_source_round_trips_with_its_badge(tmp_path):
    raw = _reported(k=None)
    result = parse_result(raw)
    assert result.reported_source.badge == "secondary"
    assert load_result(save_result(result, tmp_path / "r.json")).reported_source == result.reported_source
    assert parse_result(
        _reported(k=None, evaluated_by="authors", read_from="image")
    ).reported_source.badge == ("authors, image")
    assert parse_result(_reported(k=None, evaluated_by="authors")).reported_source.badge == "authors"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"tokens_counted": "characters"},
            r"tokens_counted: Input should be 'thinking', 'response' or 'unstated'",
        ),
        ({"evaluated_by": "someone"}, "evaluated_by: Input should be"),
        ({"budget_meaning": "vibes"}, "budget_meaning: Input should be"),
        ({"table": "Has Spaces"}, "table: String should match pattern"),
        ({"k": 16}, r"reported_source.k=16 but a point has another k"),
    ],
)
def test_reported_source_rejects_bad_values(change, reason):
    with pytest.raises(ResultFileError, match=reason):
        parse_result(_reported(**change))


def test_reported_source_is_for_reported_results_only():
    raw = json.loads(make_result("m").model_dump_json()) | {"reported_source": _source(k=None)}
    with pytest.raises(ResultFileError, match="reported_source is for reported results"):
        parse_result(raw)


def test_accuracy_only_points_are_published_ones_without_token_counts():
    point = BudgetPoint(**_point(mean_total_tokens=None, n_problems=None))
    assert point.accuracy == 0.5 and point.mean_total_tokens is None and point.n_problems is None
    with pytest.raises(ValueError, match="an accuracy-only point has no token counts"):
        BudgetPoint(**_point(mean_total_tokens=None, mean_think_tokens=10.0))
    with pytest.raises(ValueError, match="per-problem values and test verdicts need n_problems"):
        BudgetPoint(**_point(n_problems=None, per_problem_accuracy=[0.5] * 4))
    raw = json.loads(make_result("m").model_dump_json())
    raw["points"][0].update(mean_total_tokens=None, per_problem_tokens=None, tokens_per_correct=None,
                            mean_think_tokens=None, mean_answer_tokens=None)  # fmt: skip
    with pytest.raises(ResultFileError, match="reproduced result has accuracy and mean_total_tokens"):
        parse_result(raw)
    raw = json.loads(make_result("m").model_dump_json())
    for p in raw["points"]:
        p.update(n_problems=None, per_problem_accuracy=None, per_problem_tokens=None)
    raw["problem_ids"] = None
    with pytest.raises(ResultFileError, match="reproduced result has n_problems at every point"):
        parse_result(raw)


@pytest.mark.parametrize("semantics", ["lcb", "judge"])
def test_grading_semantics_names_lcb_or_judge(semantics):
    raw = json.loads(make_result("m").model_dump_json())
    assert parse_result(raw | {"grading_semantics": semantics}).grading_semantics == semantics
    with pytest.raises(ResultFileError, match="grading_semantics"):
        parse_result(raw | {"grading_semantics": "strict"})
