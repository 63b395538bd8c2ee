"""elastic_toy: the tiny reasoner's synthetic arithmetic as an lm-eval budget sweep."""

from __future__ import annotations

from elastic_bench.harness.benchmarks import TOY_PROBLEMS, TOY_SEED, get_benchmark
from elastic_bench.tasks.common import doc_to_text, keep_all, prompted_splits, score
from elastic_bench.tasks.task import DatasetSplits, ElasticTask
from elastic_bench.tasks.toy.arithmetic import generate

__all__ = ["ElasticTask", "keep_all", "load", "doc_to_text", "process_results"]


def load(
    n_problems: int = TOY_PROBLEMS,
    seed: int = TOY_SEED,
    split: str = "test",
    prompt_template: str | None = None,
    **_: object,
) -> DatasetSplits:
    """The split (deterministic by seed) as lm-eval's custom_dataset, with the rendered prompt per doc
    (template: ``prompt_template``, else the registry's) and the facts about the data."""
    if int(n_problems) < 1:
        raise ValueError(f"n_problems must be a positive integer, got {n_problems!r}")
    rows = [p.to_record() for p in generate(split, int(n_problems), seed=int(seed))]
    for row in rows:
        row["operations"] = [f"{sym}{operand}" for sym, operand in row["operations"]]
    template = prompt_template or get_benchmark("toy").prompt_template
    source = f"generated: elastic_bench.tasks.toy.arithmetic split={split} seed={int(seed)}"
    return prompted_splits(rows, template, source)


def process_results(doc: dict, results: list) -> dict[str, float]:
    """Per-doc metrics (means over the k samples)."""
    return score(results, doc["answer"], "toy")
