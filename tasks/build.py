"""Writes the budget-sweep task YAMLs from the benchmark registry: ``python -m elastic_bench.tasks.build``.

lm-eval's ``include`` is a shallow merge, so every subtask must repeat its whole
``generation_kwargs``; generating the files keeps the sweeps consistent. For each registry
benchmark with a sweep (:mod:`elastic_bench.harness.benchmarks`) this writes ``_template_yaml``
(shared config), one subtask per thinking budget (``<group>_t<budget:05d>``, zero-padded so they
sort) plus ``<group>_unconstrained``, and the group file. Where the files go and which module holds
the lm-eval hooks depend on the benchmark's ``family`` (:data:`FAMILIES`). ``--check`` fails when
the committed files are out of date (a test runs it).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from elastic_bench.harness.benchmarks import Benchmark, hub_metadata, sweeps
from elastic_bench.harness.protocol import (
    CODE_SAMPLE_METRICS,
    DEFAULT_WORDING,
    FORCE,
    HIGHER_IS_BETTER,
    PROMPT,
    SAMPLE_METRICS,
)

TASKS_DIR = Path(__file__).parent


@dataclass(frozen=True)
class Family:
    """A task package (``tasks/<family>``): where its sweeps' YAMLs go and the module of its hooks."""

    #: folder of a benchmark's YAMLs under ``tasks/``; ``{name}`` is the benchmark name
    folder: str
    #: module holding ``ElasticTask``, ``load``, ``doc_to_text``, ``process_results``, ``keep_all``
    #: (lm-eval resolves a bare ``utils`` next to the YAML)
    hooks: str
    #: the per-sample metrics its ``process_results`` returns
    metrics: tuple[str, ...] = SAMPLE_METRICS
    #: the doc field lm-eval logs as the target
    doc_to_target: str = "answer"


FAMILIES: dict[str, Family] = {
    "toy": Family(folder="toy", hooks="utils"),
    "math": Family(folder="math/{name}", hooks="elastic_bench.tasks.math.utils"),
    "code": Family(
        folder="code/{name}",
        hooks="elastic_bench.tasks.code.utils",
        metrics=CODE_SAMPLE_METRICS,
        doc_to_target="id",
    ),
}


@dataclass(frozen=True)
class Sweep:
    """One benchmark's budget sweep as the YAMLs spell it (a view of its registry entry)."""

    group: str
    folder: str
    benchmark: str
    budgets: tuple[int, ...]
    solution_budget: int
    max_gen_toks: int
    hooks: str
    do_sample: bool
    temperature: float
    top_p: float
    repeats: int
    strategy: str
    prompt_template: str
    think_end: str
    description: str
    #: subtask names, one per budget then the unconstrained one (the registry's ``task_names``)
    subtasks: tuple[str, ...] = ()
    metadata: dict = field(default_factory=dict)
    test_split: str = "test"
    doc_to_target: str = "answer"
    metrics: tuple[str, ...] = SAMPLE_METRICS


def sweep_of(bench: Benchmark) -> Sweep:
    """The sweep of a registry entry (which must have ``sweep`` defaults and a known ``family``)."""
    s = bench.sweep
    if s is None:
        raise ValueError(f"{bench.name}: no sweep defaults in the registry")
    if bench.family not in FAMILIES:
        raise ValueError(f"{bench.name}: unknown task family {bench.family!r}; known: {', '.join(FAMILIES)}")
    family = FAMILIES[bench.family]
    return Sweep(
        group=bench.task_group,
        folder=family.folder.format(name=bench.name),
        benchmark=bench.name,
        budgets=s.budgets,
        solution_budget=s.solution_budget,
        max_gen_toks=s.max_gen_toks,
        hooks=family.hooks,
        do_sample=s.do_sample,
        temperature=s.temperature,
        top_p=s.top_p,
        repeats=s.repeats,
        strategy=s.strategy,
        prompt_template=bench.prompt_template,
        think_end=bench.think_end,
        description=f"{bench.description}, {s.summary}",
        subtasks=tuple(bench.task_names),
        metadata={**hub_metadata(bench), **bench.metadata},
        doc_to_target=family.doc_to_target,
        metrics=family.metrics,
    )


def all_sweeps() -> dict[str, Sweep]:
    """Benchmark name -> sweep, for every registry entry with a sweep (read live from the registry)."""
    return {b.name: sweep_of(b) for b in sweeps()}


#: inference-baseline variants of every sweep (``<group>_<variant>``), sharing the sweep's template:
#: ``prompt`` states each budget in the prompt (L1 wording; nothing enforced), ``force`` is s1 budget
#: forcing at each budget with "Wait" until half of it, ``fast`` is O1-Pruner's fast-solving prompt
#: with no budget (one unconstrained subtask, as in the paper)
VARIANTS = ("prompt", "force", "fast")


def variant_of(sweep: Sweep, variant: str) -> Sweep:
    """The ``variant`` of a sweep: same data, template and sampling, another strategy."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {VARIANTS}")
    group = f"{sweep.group}_{variant}"
    budgets = () if variant == "fast" else sweep.budgets
    names = [f"{group}_t{b:05d}" for b in budgets] + [f"{group}_unconstrained"]
    return replace(
        sweep,
        group=group,
        budgets=budgets,
        strategy=variant,
        subtasks=tuple(names),
        description=f"{sweep.description}, {variant} strategy",
    )


def __getattr__(name: str) -> Any:
    if name == "SWEEPS":  # the registry's sweeps, read when asked (never a second table)
        return all_sweeps()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def subtask_name(sweep: Sweep, budget: int | None) -> str:
    """``<group>_t00512`` or ``<group>_unconstrained`` (as the registry names them)."""
    return sweep.subtasks[[*sweep.budgets, None].index(budget)]


def _yaml_scalar(value: object) -> str:
    if value is None:
        return "null"
    return repr(value) if isinstance(value, str) else str(value)


def _generation_kwargs(sweep: Sweep, budget: int | None) -> str:
    thinking = "null" if budget is None else str(budget)
    return (
        "generation_kwargs:\n"
        "  until: []\n"
        f"  do_sample: {str(sweep.do_sample).lower()}\n"
        f"  temperature: {sweep.temperature}\n"
        f"  top_p: {sweep.top_p}\n"
        f"  max_gen_toks: {sweep.max_gen_toks}\n"
        f"  strategy: {sweep.strategy}\n"
        f"  thinking_budget: {thinking}\n"
        f"  solution_budget: {sweep.solution_budget}\n"
        + (
            f"  min_thinking_budget: {_yaml_scalar(budget and budget // 2)}\n"
            if sweep.strategy == FORCE
            else ""
        )
        + (f"  budget_wording: {DEFAULT_WORDING}\n" if sweep.strategy == PROMPT else "")
    )


def render(sweep: Sweep) -> dict[str, str]:
    """File name -> YAML text for one sweep."""
    header = f"# generated by `python -m elastic_bench.tasks.build` ({sweep.description}); do not edit\n"
    metadata = {
        "version": 1.0,
        "benchmark": sweep.benchmark,
        "prompt_template": sweep.prompt_template,
        "end_of_thinking_marker": sweep.think_end,
        **sweep.metadata,
    }
    meta_lines = "".join(f"  {k}: {_yaml_scalar(v)}\n" for k, v in metadata.items())
    hooks = sweep.hooks
    template = (
        header
        + f"class: !function {hooks}.ElasticTask\n"
        + f"custom_dataset: !function {hooks}.load\n"
        + "output_type: generate_until\n"
        + f"test_split: {sweep.test_split}\n"
        + f"doc_to_text: !function {hooks}.doc_to_text\n"
        + f"doc_to_target: {sweep.doc_to_target}\n"
        + f"process_results: !function {hooks}.process_results\n"
        + f"repeats: {sweep.repeats}\n"
        + "num_fewshot: 0\n"
        + "filter_list:\n"
        + "  - name: all_samples\n"
        + "    filter:\n"
        + "      - function: custom\n"
        + f"        filter_fn: !function {hooks}.keep_all\n"
        + "metric_list:\n"
        + "".join(
            f"  - metric: {m}\n    aggregation: mean\n    higher_is_better: {str(m in HIGHER_IS_BETTER).lower()}\n"
            for m in sweep.metrics
        )
        + "metadata:\n"
        + meta_lines
    )
    files = {} if sweep.strategy in VARIANTS else {"_template_yaml": template}
    names = []
    for budget in [*sweep.budgets, None]:
        name = subtask_name(sweep, budget)
        names.append(name)
        files[f"{name}.yaml"] = (
            header + "include: _template_yaml\n" + f"task: {name}\n" + _generation_kwargs(sweep, budget)
        )
    files[f"{sweep.group}.yaml"] = (
        header + f"group: {sweep.group}\ntask:\n" + "".join(f"  - {n}\n" for n in names)
    )
    return files


def write(check: bool = False, root: Path = TASKS_DIR) -> list[Path]:
    """Write (or with ``check`` compare) every sweep's files under ``root``; returns the stale paths."""
    stale = []
    every = [v for base in all_sweeps().values() for v in (base, *(variant_of(base, n) for n in VARIANTS))]
    for sweep in every:
        folder = root / sweep.folder
        for name, text in render(sweep).items():
            path = folder / name
            if path.exists() and path.read_text() == text:
                continue
            stale.append(path)
            if not check:
                folder.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
    return stale


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="write the budget-sweep task YAMLs")
    parser.add_argument("--check", action="store_true", help="fail if the files are out of date")
    args = parser.parse_args(argv)
    stale = write(check=args.check)
    if args.check and stale:
        print("out of date: " + ", ".join(str(p) for p in stale), file=sys.stderr)
        return 1
    print(
        f"{'checked' if args.check else 'wrote'} {len(all_sweeps())} sweeps; {len(stale)} files {'stale' if args.check else 'updated'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
