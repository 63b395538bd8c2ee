"""One rule per fact: the app, the report and the grader agree, and no second definition creeps back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from elastic_bench.harness.analysis import aes_base_point, base_point, summary_frame
from elastic_bench.harness.generation import Budget
from elastic_bench.harness.grading import extract_answer, extract_boxed
from elastic_bench.harness.protocol import (
    RUNNABLE_STRATEGIES,
    STRATEGY_NAMES,
    THINK_END,
    safe_filename,
    split_thinking,
)
from elastic_bench.harness.results import BudgetPoint, entry_filename
from elastic_bench.leaderboard_app.analysis import (
    Filters,
    budget_table,
    filter_entries,
    points_of,
    summary_table,
)
from elastic_bench.leaderboard_app.data import load_leaderboard
from elastic_bench.leaderboard_app.samples import split_generation
from tests.factories import make_result, write_result

REPO = Path(__file__).resolve().parents[1]
SOURCE_DIRS = ("harness", "tasks", "models", "leaderboard_app", "baselines", "benchmarks")


def _sources() -> dict[str, ast.Module]:
    out = {}
    for folder in SOURCE_DIRS:
        for path in sorted((REPO / folder).rglob("*.py")):
            out[path.relative_to(REPO).as_posix()] = ast.parse(path.read_text(encoding="utf-8"))
    return out


def _string_constants(tree: ast.Module) -> list[str]:
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


# --------------------------------------------------------------------------- thinking / answer split


def test_app_splits_thinking_where_the_grader_does() -> None:
    # a model that writes the marker inside its draft: the grader reads after the LAST marker
    text = f"<think>plan{THINK_END}draft \\boxed{{1}}{THINK_END}final: \\boxed{{2}}"
    thinking, solution = split_thinking(text)
    gen = split_generation(text)
    assert gen.has_marker
    assert gen.answer == solution.strip() == "final: \\boxed{2}"
    assert gen.thinking == thinking.removeprefix("<think>").strip()
    assert extract_boxed(gen.answer) == extract_answer(text) == "2"
    assert split_generation("no marker").has_marker is False


# --------------------------------------------------------------------------- AES base point


def _point(budget: int | None) -> BudgetPoint:
    return BudgetPoint(
        label="unconstrained" if budget is None else f"t={budget:05d}",
        task="t",
        thinking_budget=budget,
        strategy="elastic",
        n_problems=1,
        k=1,
        accuracy=0.5,
        mean_total_tokens=10.0,
    )


def test_aes_base_point_rule() -> None:
    assert aes_base_point([_point(64), _point(None), _point(256)]).label == "unconstrained"
    assert aes_base_point([_point(64), _point(512), _point(256)]).thinking_budget == 512
    unstated = [_point(None).model_copy(update={"label": f"column {i}"}) for i in (1, 2)]
    assert aes_base_point([_point(64), *unstated]).label == "column 2"
    assert aes_base_point([]) is None


def test_report_and_app_use_the_same_aes_base(tmp_path: Path) -> None:
    # the base has no unconstrained point: its largest budget is the AES base, and the report, the
    # app's per-budget table (budgets matched by thinking budget) and its summary give the same AES
    base = make_result("base", budgets=(256, 1024), accuracies=(0.4, 0.8), tokens=(300, 900), seed=1)
    run = make_result(
        "run", budgets=(256, 512, 1024, None), accuracies=(0.3, 0.5, 0.7, 0.9), tokens=(200, 400, 700, 1500)
    )
    write_result(base, tmp_path)
    write_result(run, tmp_path)
    assert base_point(base, "toy").label == "t=01024"
    report_aes = summary_frame(run, base).set_index("label")["aes"]

    data = load_leaderboard(tmp_path)
    entries = filter_entries(data.entries, Filters(benchmark="toy"))
    base_entry = entries.set_index("model_name").loc["base", "entry"]
    base_points = data.points[data.points["entry"] == base_entry]
    table = budget_table(points_of(data.points, entries), base_points).set_index(["model", "budget"])
    for label, value in report_aes.items():
        assert table.loc[("run · elastic", label), "AES"] == pytest.approx(value, abs=1e-3)
    summary = summary_table(entries, data.points, base_entry).set_index("model")
    assert summary.loc["run · elastic", "last_budget"] == "unconstrained"
    assert summary.loc["run · elastic", "AES_vs_base"] == pytest.approx(report_aes["unconstrained"], abs=1e-3)


# --------------------------------------------------------------------------- single definitions


def test_think_end_is_written_out_once() -> None:
    holders = {name for name, tree in _sources().items() if THINK_END in _string_constants(tree)}
    assert "harness/protocol.py" in holders  # the one definition
    assert holders - {"harness/protocol.py"} == set(), "import THINK_END instead"


def _names_in(node: ast.AST) -> set[str]:
    """Identifiers and attribute names an expression mentions."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
    }


def strategy_literals(tree: ast.Module) -> list[int]:
    """Lines where a strategy name is written out as a string where a strategy is meant: assigned to,
    compared with or passed as something named ``strategy``, or as a ``"strategy"`` dict value."""
    names = set(STRATEGY_NAMES)
    spots: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any("strategy" in name for t in targets for name in _names_in(t)) and node.value:
                spots.append(node.value)
        elif isinstance(node, ast.keyword) and node.arg and "strategy" in node.arg:
            spots.append(node.value)
        elif isinstance(node, ast.Compare) and any(
            "strategy" in name for side in (node.left, *node.comparators) for name in _names_in(side)
        ):
            spots.append(node)
        elif isinstance(node, ast.Dict):
            spots += [
                v
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant) and k.value == "strategy"
            ]
    return sorted(
        n.lineno
        for spot in spots
        for n in ast.walk(spot)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in names
    )


def test_strategy_names_are_defined_once() -> None:
    assert set(RUNNABLE_STRATEGIES) <= set(STRATEGY_NAMES)
    for strategy in RUNNABLE_STRATEGIES:
        Budget(thinking=8, solution=8, strategy=strategy)
    with pytest.raises(ValueError, match="unknown strategy"):
        Budget(thinking=8, solution=8, strategy="none")  # known to the schema, not runnable
    planted = ast.parse('budget = Budget(8, 8, strategy="force")\nif p.strategy == "elastic": pass\n')
    assert strategy_literals(planted) == [1, 2]  # the guard sees both spellings
    found = {
        f"{name}:{line}"
        for name, tree in _sources().items()
        if name != "harness/protocol.py"
        for line in strategy_literals(tree)
    }
    assert found == set(), "import the strategy names from harness.protocol"


def test_file_names_are_made_safe_once() -> None:
    assert safe_filename("org/model:v1 é.x") == "org_model_v1_é.x"
    assert entry_filename(make_result("org-x_y")) == "reproduced__org-x_y__elastic_toy.json"
    assert entry_filename(make_result("org/x y")).startswith("reproduced__org_x_y__elastic_toy__")
    for name, tree in _sources().items():
        if name == "harness/protocol.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "isalnum":
                raise AssertionError(f"{name}:{node.lineno}: use harness.protocol.safe_filename")
