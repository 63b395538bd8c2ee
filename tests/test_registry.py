"""The benchmark registry: one entry defines a benchmark for the YAMLs, lm-eval, the loader and the app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from elastic_bench.harness.benchmarks import (
    BENCHMARKS,
    Benchmark,
    HubSource,
    SweepDefaults,
    UnknownBenchmark,
    benchmark_label,
    get_benchmark,
    resolve_benchmark,
)
from elastic_bench.harness.protocol import THINK_END
from elastic_bench.harness.registry import DuplicateName, Registry, UnknownName
from elastic_bench.tasks import build
from elastic_bench.tasks.prompts import PROMPTS, render

#: a benchmark that does not exist yet, with budgets of its own
NEW = Benchmark(
    name="hmmt25",
    description="HMMT February 2025 (3)",
    answer_kind="integer",
    aliases=("hmmt_2025",),
    hub=HubSource("example/hmmt25", "0123456789abcdef0123456789abcdef01234567", "train"),
    local_files=("hmmt2025/test.jsonl",),
    expected_count=3,
    sweep=SweepDefaults(budgets=(256, 768), solution_budget=128, max_gen_toks=2048, repeats=2),
)


@pytest.fixture
def with_new(tmp_path: Path) -> Iterator[Path]:
    """Registers NEW (one entry, nothing else) and writes its data; returns the data directory."""
    BENCHMARKS.register(NEW.name, NEW, aliases=NEW.aliases)
    data = tmp_path / "data"
    (data / "hmmt2025").mkdir(parents=True)
    rows = [{"problem": f"What is {i} + {i}?", "answer": str(2 * i)} for i in range(1, 4)]
    (data / "hmmt2025" / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    yield data
    del BENCHMARKS[NEW.name]


def test_a_new_entry_flows_into_the_yamls_lm_eval_and_the_loader(with_new: Path, tmp_path: Path) -> None:
    from lm_eval.tasks import TaskManager

    root = tmp_path / "tasks"
    build.write(root=root)
    folder = root / "math" / "hmmt25"
    names = ["elastic_hmmt25_t00256", "elastic_hmmt25_t00768", "elastic_hmmt25_unconstrained"]
    variants = [f"elastic_hmmt25_{v}" for v in ("prompt", "force")]
    variant_files = [f"{g}{s}.yaml" for g in variants for s in ("", "_t00256", "_t00768", "_unconstrained")]
    fast = ["elastic_hmmt25_fast.yaml", "elastic_hmmt25_fast_unconstrained.yaml"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["_template_yaml", "elastic_hmmt25.yaml", *(f"{n}.yaml" for n in names), *variant_files, *fast]
    )
    assert "hmmt25" in build.SWEEPS and NEW.task_names == names

    tm = TaskManager(include_defaults=False, include_path=str(folder), metadata={"data_dir": str(with_new)})
    loaded = tm.load(["elastic_hmmt25"])
    assert loaded["group_map"] == {"elastic_hmmt25": names}
    budgets = [loaded["tasks"][n].config.generation_kwargs["thinking_budget"] for n in names]
    assert budgets == [256, 768, None]
    force = tm.load(["elastic_hmmt25_force"])["tasks"]["elastic_hmmt25_force_t00768"].config.generation_kwargs
    assert (force["strategy"], force["min_thinking_budget"], force["thinking_budget"]) == ("force", 384, 768)
    task = loaded["tasks"]["elastic_hmmt25_t00768"]
    assert task.config.repeats == 2 and task.config.generation_kwargs["solution_budget"] == 128
    meta = task.dump_config()["metadata"]  # what the results JSON records
    assert meta["benchmark"] == "hmmt25" and meta["end_of_thinking_marker"] == THINK_END
    assert meta["dataset_id"] == "example/hmmt25" and meta["dataset_revision"] == NEW.hub.revision
    assert meta["dataset_size"] == 3 and meta["dataset_source"] == str(with_new / "hmmt2025" / "test.jsonl")
    docs = list(task.eval_docs)
    assert [d["answer"] for d in docs] == ["2", "4", "6"] and docs[0]["benchmark"] == "hmmt25"
    right = f"So.{THINK_END}\nThe answer is \\boxed{{4}}."
    assert task.process_results(docs[1], [[right, right]])["acc"] == 1.0


def test_marker_and_prompt_of_an_entry_reach_the_task_metadata() -> None:
    own = replace(NEW, think_end="<|end_of_thought|>", prompt_template="o1_pruner")
    template = build.render(build.sweep_of(own))["_template_yaml"]
    assert "  end_of_thinking_marker: '<|end_of_thought|>'\n" in template
    assert "  prompt_template: 'o1_pruner'\n" in template


def test_the_loader_checks_the_new_entrys_count(with_new: Path) -> None:
    from elastic_bench.tasks.math.data import DataError, load_problems

    assert len(load_problems("hmmt_2025", data_dir=with_new)) == 3
    with (with_new / "hmmt2025" / "test.jsonl").open("a") as f:
        f.write(json.dumps({"problem": "extra", "answer": "1"}) + "\n")
    with pytest.raises(DataError, match="4 problems, expected 3 for hmmt25"):
        load_problems("hmmt25", data_dir=with_new)


def test_names_aliases_and_task_names_resolve() -> None:
    assert resolve_benchmark("elastic_aime24_t01024") == "aime24"
    assert resolve_benchmark("GaoKao2023En") == "gaokao"
    assert resolve_benchmark("elastic_toy_unconstrained") == "toy"
    assert get_benchmark("aime").parts == ("aime24", "aime25")
    with pytest.raises(UnknownBenchmark, match="unknown benchmark 'nope'; known: aime, aime24"):
        get_benchmark("nope")
    assert benchmark_label("aime24") == "aime24 · AIME 2024 (30)"
    assert benchmark_label("someone_elses_set") == "someone_elses_set"


def test_every_entry_is_consistent() -> None:
    names = set(BENCHMARKS)
    aliases = [a for b in BENCHMARKS.values() for a in b.aliases]
    assert len(aliases) == len(set(aliases)) and not names & set(aliases)
    for name, bench in BENCHMARKS.items():
        assert bench.name == name and bench.description
        assert bench.prompt_template in PROMPTS, name
        for part in bench.components:  # parts are real entries graded the same way
            assert BENCHMARKS[part].answer_kind == bench.answer_kind and not BENCHMARKS[part].components
        if bench.sweep is not None:
            assert bench.family in build.FAMILIES, name
            assert list(bench.sweep.budgets) == sorted(set(bench.sweep.budgets)), name


# --------------------------------------------------------------------------- the generic registry


def test_a_registry_names_what_it_knows_and_refuses_a_second_entry() -> None:
    table: Registry[int] = Registry("colour", normalize=str.lower)
    table.register("red", 1, aliases=("rouge",))
    assert table.get_entry("ROUGE") == 1 and table.resolve("Rouge") == "red" and "RED" in table
    with pytest.raises(UnknownName, match="unknown colour 'blue'; known: red"):
        table.get_entry("blue")
    with pytest.raises(DuplicateName, match="colour 'rouge' is already registered"):
        table.register("crimson", 2, aliases=("rouge",))
    with pytest.raises(KeyError, match="blue"):
        table["blue"]  # a Mapping: a missing key is a KeyError
    table["red"] = 3  # replaces, keeping the alias
    assert dict(table) == {"red": 3} and table.get_entry("rouge") == 3
    del table["red"]
    assert "rouge" not in table and len(table) == 0


def test_a_lazy_entry_is_imported_on_first_lookup_only() -> None:
    import sys

    table: Registry[object] = Registry("thing")
    table.register("dumps", "json:dumps")
    table.register("colorsys", "colorsys:rgb_to_hsv")
    sys.modules.pop("colorsys", None)
    assert table.targets()["colorsys"] == "colorsys:rgb_to_hsv" and "colorsys" not in sys.modules
    assert table.get_entry("dumps") is json.dumps
    assert callable(table.get_entry("colorsys")) and "colorsys" in sys.modules


def test_the_project_tables_are_registries_with_one_line_errors() -> None:
    from elastic_bench.harness.generation import BUDGET_WORDINGS, budget_sentence
    from elastic_bench.harness.grading import GRADERS, UnknownGrader, get_grader
    from elastic_bench.harness.lmeval import MODELS

    for table in (BENCHMARKS, GRADERS, MODELS, PROMPTS, BUDGET_WORDINGS):
        assert isinstance(table, Registry)
    with pytest.raises(UnknownGrader, match="unknown grader 'nope'; known: code, math"):
        get_grader("nope")
    with pytest.raises(ValueError, match="unknown budget wording 'terse'; known: l1, l1_max, tale"):
        budget_sentence("terse", 10)
    with pytest.raises(ValueError, match="unknown prompt template 'x'; known: e1, lcb, o1_pruner"):
        render("p", "x")
    assert MODELS.targets()["elastic-hf"] == "elastic_bench.models.elastic_hf:ElasticHFLM"
