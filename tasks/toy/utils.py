"""elastic_toy: the tiny reasoner's synthetic arithmetic as an lm-eval budget sweep."""

from __future__ import annotations

import datasets

from elastic_bench.tasks.common import keep_all, score
from elastic_bench.tasks.prompts import render
from elastic_bench.tasks.toy.arithmetic import generate

__all__ = ["keep_all", "load", "doc_to_text", "process_results"]


def load(
    n_problems: int = 200, seed: int = 0, split: str = "test", **_: object
) -> dict[str, datasets.Dataset]:
    """The test split (deterministic by seed) as lm-eval's custom_dataset."""
    rows = [p.to_record() for p in generate(split, int(n_problems), seed=int(seed))]
    for row in rows:
        row["operations"] = [f"{sym}{operand}" for sym, operand in row["operations"]]
    return {"test": datasets.Dataset.from_list(rows)}


def doc_to_text(doc: dict) -> str:
    """The E1 / DeepScaleR prompt."""
    return render(doc["problem"], "e1")


def process_results(doc: dict, results: list) -> dict[str, float]:
    """Per-doc metrics (means over the k samples)."""
    return score(results, doc["answer"], "toy")
