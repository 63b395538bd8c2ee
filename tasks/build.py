"""Writes the budget-sweep task YAMLs from one table: ``python -m elastic_bench.tasks.build``.

lm-eval's ``include`` is a shallow merge, so every subtask must repeat its whole
``generation_kwargs``; generating the files keeps the sweeps consistent. For each sweep this
writes ``_template_yaml`` (shared config), one subtask per thinking budget
(``<group>_t<budget:05d>``, zero-padded so they sort) plus ``<group>_unconstrained``, and the
group file. ``--check`` fails when the committed files are out of date (a test runs it).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from elastic_bench.harness.results import SAMPLE_METRICS

TASKS_DIR = Path(__file__).parent


@dataclass(frozen=True)
class Sweep:
    """One benchmark's budget sweep."""

    group: str
    folder: str
    benchmark: str
    budgets: tuple[int, ...]
    solution_budget: int
    max_gen_toks: int
    loader: str = "utils.load"
    doc_to_text: str = "utils.doc_to_text"
    process_results: str = "utils.process_results"
    filter_fn: str = "utils.keep_all"
    doc_to_target: str = "answer"
    test_split: str = "test"
    do_sample: bool = False
    temperature: float = 0.0
    top_p: float = 1.0
    repeats: int = 1
    strategy: str = "elastic"
    prompt_template: str = "e1"
    metadata: dict = field(default_factory=dict)
    description: str = ""


SWEEPS: dict[str, Sweep] = {
    "toy": Sweep(
        group="elastic_toy",
        folder="toy",
        benchmark="toy",
        budgets=(64, 128, 256, 512),
        solution_budget=32,
        max_gen_toks=1024,
        metadata={"n_problems": 200, "seed": 0, "dataset_id": "elastic_bench.tasks.toy.arithmetic"},
        description="the tiny reasoner's synthetic multi-step arithmetic (test split), greedy",
    ),
}

# --------------------------------------------------------------------------- math sweeps
# Protocol of Elastic Reasoning (E1, arXiv 2505.05315) / DeepScaleR: the E1 prompt, sampling with
# temperature 0.6 and top_p 0.95, thinking budgets t in {512, 1024, 2048, 4096} with a solution
# budget s = 1024 (separate budgeting, strategy "elastic"), plus an unconstrained point.
#
# k (``repeats``, avg@k): 16 for AIME and AMC as in E1 (30-60 problems: k=16 is what makes the
# estimate stable). For the large sets the problem-to-problem variance dominates the standard
# error, so extra samples buy little: MATH500 and GaoKao (500 / 385 problems) use k=4 (2,000 /
# 1,540 samples per budget), GSM8K (1,319 problems, near-ceiling accuracy) k=1. Every k can be
# changed per run with ``elastic_bench.harness.task_specs`` (lm-eval's CLI cannot override repeats).
#
# Unconstrained ``max_gen_toks`` caps the thinking phase: 32768 for the competition sets (the
# DeepScaleR / E1 evaluation context; E1's unconstrained AIME answers average ~7k tokens with a
# long tail, and cutting the tail would bias the "unconstrained" point), 8192 for GSM8K (the
# O1-Pruner evaluation cap; GSM8K solutions are a few hundred tokens, even QwQ averages < 800).
#
# GSM8K is far easier, so its budgets are smaller: t in {128, 256, 512, 1024}, s = 512.
MATH_BUDGETS = (512, 1024, 2048, 4096)
GSM8K_BUDGETS = (128, 256, 512, 1024)
_MATH = "elastic_bench.tasks.math.utils"


def _math_sweep(
    key: str,
    benchmark: str,
    repeats: int,
    description: str,
    *,
    budgets: tuple[int, ...] = MATH_BUDGETS,
    solution_budget: int = 1024,
    max_gen_toks: int = 32768,
) -> Sweep:
    from elastic_bench.tasks.math.utils import hub_metadata

    return Sweep(
        group=f"elastic_{key}",
        folder=f"math/{key}",
        benchmark=benchmark,
        budgets=budgets,
        solution_budget=solution_budget,
        max_gen_toks=max_gen_toks,
        loader=f"{_MATH}.load",
        doc_to_text=f"{_MATH}.doc_to_text",
        process_results=f"{_MATH}.process_results",
        filter_fn=f"{_MATH}.keep_all",
        do_sample=True,
        temperature=0.6,
        top_p=0.95,
        repeats=repeats,
        metadata=hub_metadata(benchmark),
        description=f"{description}, E1 sampling, avg@{repeats}",
    )


SWEEPS.update(
    {
        "math500": _math_sweep("math500", "math500", 4, "MATH500 (500)"),
        "gsm8k": _math_sweep(
            "gsm8k",
            "gsm8k",
            1,
            "GSM8K test (1319)",
            budgets=GSM8K_BUDGETS,
            solution_budget=512,
            max_gen_toks=8192,
        ),
        "gaokao": _math_sweep("gaokao", "gaokao", 4, "GaoKao 2023 Math English (385)"),
        "aime": _math_sweep("aime", "aime", 16, "AIME 2024 + 2025 (60)"),
        "aime24": _math_sweep("aime24", "aime24", 16, "AIME 2024 (30)"),
        "aime25": _math_sweep("aime25", "aime25", 16, "AIME 2025 (30)"),
        "amc23": _math_sweep("amc23", "amc23", 16, "AMC 2023 (40)"),
    }
)


def subtask_name(sweep: Sweep, budget: int | None) -> str:
    """``<group>_t00512`` or ``<group>_unconstrained``."""
    return f"{sweep.group}_unconstrained" if budget is None else f"{sweep.group}_t{budget:05d}"


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
    )


def render(sweep: Sweep) -> dict[str, str]:
    """File name -> YAML text for one sweep."""
    header = f"# generated by `python -m elastic_bench.tasks.build` ({sweep.description}); do not edit\n"
    metadata = {
        "version": 1.0,
        "benchmark": sweep.benchmark,
        "prompt_template": sweep.prompt_template,
        "end_of_thinking_marker": "</think>",
        **sweep.metadata,
    }
    meta_lines = "".join(f"  {k}: {_yaml_scalar(v)}\n" for k, v in metadata.items())
    template = (
        header
        + f"custom_dataset: !function {sweep.loader}\n"
        + "output_type: generate_until\n"
        + f"test_split: {sweep.test_split}\n"
        + f"doc_to_text: !function {sweep.doc_to_text}\n"
        + f"doc_to_target: {sweep.doc_to_target}\n"
        + f"process_results: !function {sweep.process_results}\n"
        + f"repeats: {sweep.repeats}\n"
        + "num_fewshot: 0\n"
        + "filter_list:\n"
        + "  - name: all_samples\n"
        + "    filter:\n"
        + "      - function: custom\n"
        + f"        filter_fn: !function {sweep.filter_fn}\n"
        + "metric_list:\n"
        + "".join(
            f"  - metric: {m}\n    aggregation: mean\n    higher_is_better: {str(m == 'acc').lower()}\n"
            for m in SAMPLE_METRICS
        )
        + "metadata:\n"
        + meta_lines
    )
    files = {"_template_yaml": template}
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


def write(check: bool = False) -> list[Path]:
    """Write (or with ``check`` compare) every sweep's files; returns the stale paths."""
    stale = []
    for sweep in SWEEPS.values():
        folder = TASKS_DIR / sweep.folder
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
        f"{'checked' if args.check else 'wrote'} {len(SWEEPS)} sweeps; {len(stale)} files {'stale' if args.check else 'updated'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
