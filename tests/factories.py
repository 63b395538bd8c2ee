"""Synthetic, schema-valid result files (and lm-eval style logged samples) for tests and benchmarks.

from tests.factories import make_result, write_result, write_samples
r = make_result("my-model", budgets=(256, 512, 1024), accuracies=(0.2, 0.4, 0.5))
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

from elastic_bench.harness.results import BudgetPoint, DatasetRecord, Reproducibility, ResultFile, save_result


def make_reproducibility(
    budgets: Sequence[int | None], *, strategy: str = "elastic", k: int = 4, n_problems: int = 10, **overrides
) -> Reproducibility:
    """A complete reproducibility record matching the given sweep."""
    fields = dict(
        model="org/tiny-reasoner",
        model_revision="0123abcd",
        tokenizer="org/tiny-reasoner",
        prompt_template="{problem} Let's think step by step and output the final answer within \\boxed{}.",
        end_of_thinking_marker="</think>",
        strategy=strategy,
        budgets=list(budgets),
        solution_budget=256,
        sampling={"temperature": 0.6, "top_p": 0.95},
        seeds={"sampling": 1234},
        k=k,
        dataset=DatasetRecord(id="toy", split="test", n_problems=n_problems),
        backend="elastic-hf",
        backend_args={"dtype": "float32"},
        versions={"lm_eval": "0.4.13", "elastic_bench": "0.1.0"},
        git_commit="deadbeef",
        hardware="cpu",
        wall_time_seconds=12.5,
    )
    fields.update(overrides)
    return Reproducibility(**fields)


def _per_problem(target: float, n_problems: int, k: int, rng: random.Random) -> list[float]:
    """Per-problem avg@k scores (multiples of 1/k) whose mean is as close to ``target`` as possible."""
    total = round(target * n_problems * k)
    counts = [0] * n_problems
    order = list(range(n_problems))
    rng.shuffle(order)
    i = 0
    while total > 0:
        j = order[i % n_problems]
        if counts[j] < k:
            counts[j] += 1
            total -= 1
        i += 1
    return [c / k for c in counts]


def make_result(
    model_name: str = "tiny-elastic",
    *,
    benchmark: str = "toy",
    task_group: str | None = None,
    kind: str = "reproduced",
    strategy: str = "elastic",
    budgets: Sequence[int | None] = (256, 512, 1024),
    accuracies: Sequence[float] | None = None,
    tokens: Sequence[float] | None = None,
    n_problems: int = 10,
    k: int = 4,
    with_ci: bool = True,
    seed: int = 0,
    samples_file: str | None = None,
    source: str | None = None,
) -> ResultFile:
    """A valid :class:`ResultFile`: accuracy rises and tokens grow with the budget unless given."""
    rng = random.Random(seed)
    n = len(budgets)
    if accuracies is None:
        accuracies = [min(0.95, 0.15 + 0.6 * (i + 1) / n + 0.05 * rng.random()) for i in range(n)]
    if tokens is None:
        tokens = [0.8 * (b if b is not None else 2048) + 64 for b in budgets]
    points = []
    for i, budget in enumerate(budgets):
        per_problem = _per_problem(accuracies[i], n_problems, k, rng)
        acc = sum(per_problem) / n_problems
        total = float(tokens[i])
        answer = round(min(0.2 * total, 200.0), 3)
        think = round(total - answer, 3)
        points.append(
            BudgetPoint(
                label="unconstrained" if budget is None else f"t={budget:05d}",
                task=f"{task_group or 'elastic_' + benchmark}_{'unconstrained' if budget is None else f't{budget:05d}'}",
                thinking_budget=budget,
                solution_budget=256,
                strategy=strategy,
                n_problems=n_problems,
                k=k,
                accuracy=acc,
                accuracy_ci=(max(0.0, acc - 0.1), min(1.0, acc + 0.1)) if with_ci else None,
                mean_think_tokens=think,
                mean_answer_tokens=answer,
                mean_total_tokens=think + answer,
                think_truncation_rate=0.0 if budget is None else round(max(0.0, 0.6 - 0.15 * i), 3),
                answer_truncation_rate=0.0,
                no_answer_rate=round(0.1 / (i + 1), 4),
                tokens_per_correct=(think + answer) / acc if acc > 0 else None,
                per_problem_accuracy=per_problem,
            )
        )
    return ResultFile(
        kind=kind,
        model_name=model_name,
        benchmark=benchmark,
        task_group=task_group or f"elastic_{benchmark}",
        points=points,
        problem_ids=[f"p{j}" for j in range(n_problems)],
        reproducibility=(
            make_reproducibility(budgets, strategy=strategy, k=k, n_problems=n_problems)
            if kind == "reproduced"
            else None
        ),
        source=source or ("Synthetic paper, Table 1" if kind == "reported" else None),
        samples_file=samples_file,
    )


def write_result(result: ResultFile, directory: str | Path, name: str | None = None) -> Path:
    """Save ``result`` under ``directory`` (file name from its entry id unless given)."""
    return save_result(result, Path(directory) / (name or f"{result.entry_id()}.json"))


def write_samples(result: ResultFile, path: str | Path, n_docs: int = 3, marker: str = "</think>") -> Path:
    """Write lm-eval 0.4.13 ``--log_samples`` style JSONL lines for the first point of ``result``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    point = result.points[0]
    lines = []
    for doc_id in range(n_docs):
        cut = doc_id % 2 == 0
        thinking = f"Let me think about problem {doc_id}. " + ("step " * 20) + ("" if cut else "Done.")
        answer = f"The answer is \\boxed{{{doc_id}}}."
        resp = f"{thinking}{marker}{answer}"
        lines.append(
            {
                "doc_id": doc_id,
                "doc": {"problem": f"What is {doc_id} + 0?", "answer": str(doc_id)},
                "target": str(doc_id),
                "arguments": {"gen_args_0": {"arg_0": f"What is {doc_id} + 0?", "arg_1": {}}},
                "resps": [[resp]],
                "filtered_resps": [resp],
                "filter": "none",
                "metrics": ["acc", "think_tokens"],
                "acc": 1.0,
                "think_tokens": point.thinking_budget if cut else 30,
                "answer_tokens": 12,
                "total_tokens": (point.thinking_budget or 30) + 12,
                "think_truncated": cut,
                "answer_truncated": False,
                "no_answer": False,
            }
        )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def committed_entry(reproduced_dir: str | Path, method_label: str) -> Path:
    """The one committed result file of the tiny reasoner retrained with ``method_label`` (e.g.
    ``Elastic``) in ``reproduced_dir``; its name ends in a hash of the training record."""
    matches = sorted(
        Path(reproduced_dir).glob(f"reproduced__tiny_reasoner__{method_label}___elastic_toy__*.json")
    )
    if len(matches) != 1:
        raise FileNotFoundError(
            f"expected one committed {method_label} entry in {reproduced_dir}, found {len(matches)}"
        )
    return matches[0]
