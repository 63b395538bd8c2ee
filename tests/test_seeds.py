"""The run's seed drives sampling: two seeds give different sampled responses, each reproducible, and
the record names the seed that drove the backend (unless the model args set their own)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from elastic_bench.harness.lmeval import SweepRequest, run_sweep

SAMPLED = {"do_sample": True, "temperature": 1.0}


def _sampled(seed: int, folder: Path, model_args: str = "") -> tuple[list[str], dict]:
    outcome = run_sweep(
        SweepRequest(
            model_args=model_args,
            tasks=("elastic_toy_t00256",),
            limit=4,
            seed=seed,
            gen_kwargs=SAMPLED,
            journal=False,
            store=False,
            results_dir=folder,
        )
    )
    texts = [
        json.loads(line)["resps"][0][0]
        for f in sorted(outcome.samples_dir.glob("samples_*.jsonl"))
        for line in f.read_text().splitlines()
    ]
    return texts, outcome.results[0].reproducibility.seeds


@pytest.mark.slow
def test_two_seeds_sample_differently_and_each_reproduces(tmp_path: Path) -> None:
    one, seeds_one = _sampled(1, tmp_path / "a")
    seven, seeds_seven = _sampled(7, tmp_path / "b")
    again, _ = _sampled(7, tmp_path / "c")
    assert one != seven and seven == again
    assert seeds_one["model_seed"] == 1 and seeds_seven["model_seed"] == 7
    pinned, seeds = _sampled(1, tmp_path / "d", model_args="seed=7")  # the model args' seed wins
    assert pinned == seven and seeds["model_seed"] == 7 and seeds["random_seed"] == 1
