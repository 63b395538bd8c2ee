"""Published numbers shown as "reported" entries (never mixed with reproduced ones).

The numbers are transcribed from the sources below (see docs DESIGN.md, "Published numbers");
``write_published(dir)`` regenerates the files shipped in ``results/reported/``:

    python -m elastic_bench.leaderboard_app.published results/reported
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from elastic_bench.harness.benchmarks import get_benchmark
from elastic_bench.harness.protocol import ELASTIC, NO_STRATEGY
from elastic_bench.harness.results import (
    BudgetPoint,
    CodeforcesRating,
    ResultFile,
    entry_filename,
    save_result,
)

O1_PRUNER_SOURCE = (
    "O1-Pruner: Length-Harmonizing Fine-Tuning for O1-Like Reasoning Pruning (arXiv 2501.12570), "
    "Table 2: accuracy (%) / average solution length (tokens); greedy decoding, max 8192 tokens"
)
E1_SOURCE = (
    "Salesforce/E1-Math-1.5B model card, 'Performance (Avg@16)' table (AIME 2024); Elastic Reasoning, "
    "Scalable Chain of Thoughts via Elastic Reasoning (arXiv 2505.05315)"
)
# benchmark (registry name: the leaderboard page) -> the evaluated test set as the paper names it
O1_BENCHMARKS = {"math": "MATH test", "gsm8k": "GSM8K test", "gaokao": "GaoKao 2023 En"}
# sizes of the evaluated sets (not part of the table) where they are not the registry's: O1-Pruner's
# MATH test has 500 problems, the registry's ``math`` the full 5000
O1_SIZES = {"math": 500}
# (model, benchmark) -> (accuracy %, mean length); "<base> + <method>" rows are compared with <base>
# (methods: fast-solving prompt (no training), SFT, DPO, O1-Pruner; the paper trains each on the base)
O1_PRUNER_TABLE2: dict[tuple[str, str], tuple[float, float]] = {
    ("Marco-o1-7B", "math"): (73.8, 1156),
    ("Marco-o1-7B", "gsm8k"): (89.2, 530),
    ("Marco-o1-7B", "gaokao"): (57.1, 1112),
    ("Marco-o1-7B + fast-solving prompt", "math"): (71.0, 1113),
    ("Marco-o1-7B + fast-solving prompt", "gsm8k"): (81.7, 447),
    ("Marco-o1-7B + fast-solving prompt", "gaokao"): (57.1, 1062),
    ("Marco-o1-7B + SFT", "math"): (73.6, 1076),
    ("Marco-o1-7B + SFT", "gsm8k"): (89.9, 497),
    ("Marco-o1-7B + SFT", "gaokao"): (56.3, 1066),
    ("Marco-o1-7B + DPO", "math"): (71.8, 761),
    ("Marco-o1-7B + DPO", "gsm8k"): (88.6, 410),
    ("Marco-o1-7B + DPO", "gaokao"): (56.6, 780),
    ("Marco-o1-7B + O1-Pruner", "math"): (77.5, 657),
    ("Marco-o1-7B + O1-Pruner", "gsm8k"): (91.4, 343),
    ("Marco-o1-7B + O1-Pruner", "gaokao"): (61.6, 664),
    ("QwQ-32B-Preview", "math"): (90.6, 2191),
    ("QwQ-32B-Preview", "gsm8k"): (95.1, 777),
    ("QwQ-32B-Preview", "gaokao"): (79.0, 2183),
    ("QwQ-32B-Preview + fast-solving prompt", "math"): (90.2, 1763),
    ("QwQ-32B-Preview + fast-solving prompt", "gsm8k"): (95.8, 561),
    ("QwQ-32B-Preview + fast-solving prompt", "gaokao"): (78.4, 1911),
    ("QwQ-32B-Preview + SFT", "math"): (90.4, 2031),
    ("QwQ-32B-Preview + SFT", "gsm8k"): (95.7, 717),
    ("QwQ-32B-Preview + SFT", "gaokao"): (79.5, 2112),
    ("QwQ-32B-Preview + DPO", "math"): (91.7, 1999),
    ("QwQ-32B-Preview + DPO", "gsm8k"): (95.3, 704),
    ("QwQ-32B-Preview + DPO", "gaokao"): (79.7, 2021),
    ("QwQ-32B-Preview + O1-Pruner", "math"): (91.0, 1385),
    ("QwQ-32B-Preview + O1-Pruner", "gsm8k"): (96.5, 534),
    ("QwQ-32B-Preview + O1-Pruner", "gaokao"): (80.3, 1446),
}
# model -> [(mean tokens, accuracy %)] for the card's four budget columns, then unconstrained
E1_CARD_AIME2024: dict[str, list[tuple[float, float]]] = {
    "E1-Math-1.5B": [(1340, 13.5), (1799, 17.5), (2650, 24.8), (3377, 27.9), (6825, 35.0)],
    "DeepScaleR-1.5B-Preview": [(1488, 5.2), (1904, 9.6), (2809, 15.8), (3700, 22.7), (10050, 41.0)],
}
# the card's benchmark page and the set it evaluated (AIME 2024: the registry's aime24)
E1_BENCHMARK, E1_EVAL_SET = "aime", "aime24"
PUBLISHED_DATE = datetime(2025, 5, 8, tzinfo=timezone.utc)
E1_CODE_SOURCE = (
    "Scalable Chain of Thoughts via Elastic Reasoning (arXiv 2505.05315), Codeforces results (CodeElo "
    "method, 2024 contests), as summarised in the project's PUBLISHED.md"
)
# model -> (strategy, point label, Codeforces rating, percentile); the sources state no pass rate, token
# count or budget for these, so the points carry the rating only (never an invented accuracy)
E1_CODEFORCES: dict[str, tuple[str, str, float, float]] = {
    "E1-Code-14B": (ELASTIC, "as published", 1987.0, 96.0),
    "o1-2024-12-17 (low)": (NO_STRATEGY, "low reasoning effort", 1991.0, 96.1),
}
E1_PAPER_SOURCE = (
    "Scalable Chain of Thoughts via Elastic Reasoning (arXiv 2505.05315), MATH500 comparison with L1 "
    "(LCPO, arXiv 2503.04697), as summarised in the project's PUBLISHED.md"
)
# model -> (accuracy %, mean tokens) on MATH500, unconstrained; AIME 2024 accuracy (no token count
# stated, so no point: the schema needs both) goes into the notes
E1_PAPER_MATH500: dict[str, tuple[float, float]] = {
    "E1-Math-1.5B": (83.6, 1619),
    "L1-Exact": (79.9, 1959),
    "L1-Max": (83.6, 1796),
}
E1_PAPER_AIME2024_ACC = {"E1-Math-1.5B": 35.0, "L1-Exact": 24.2, "L1-Max": 27.1}
#: the 57 contests of the CodeElo 2024 set (metadata_cf.json's problem ids)
CODEELO_2024_CONTESTS = (*range(1971, 2009), 2013, 2014, *range(2018, 2031), 2032, 2033, 2035, 2036)


def _registry_name(bench: str) -> str:
    """``bench`` itself, checked against the registry (a published row must land on a benchmark's page)."""
    name = get_benchmark(bench).name
    if name != bench:
        raise ValueError(f"published rows name benchmark {bench!r}; the registry calls it {name!r}")
    return name


def _point(
    label: str, task: str, strategy: str, n: int, k: int, acc_pct: float, tokens: float
) -> BudgetPoint:
    acc = acc_pct / 100.0
    return BudgetPoint(
        label=label,
        task=task,
        thinking_budget=None,
        budget_stated=label == "unconstrained",  # the sources give no budget values for their columns
        strategy=strategy,
        n_problems=n,
        k=k,
        accuracy=acc,
        mean_total_tokens=float(tokens),
        tokens_per_correct=tokens / acc if acc > 0 else None,
    )


def published_results() -> list[ResultFile]:
    """Every published row as a kind="reported" :class:`ResultFile`."""
    out = []
    for (model, bench), (acc, length) in O1_PRUNER_TABLE2.items():
        bench = _registry_name(bench)
        dataset = O1_BENCHMARKS[bench]
        n = O1_SIZES.get(bench) or get_benchmark(bench).expected_count
        group = f"o1_pruner_table2_{bench}"
        out.append(
            ResultFile(
                kind="reported",
                model_name=model,
                benchmark=bench,
                task_group=group,
                created=PUBLISHED_DATE,
                points=[_point("unconstrained", group, NO_STRATEGY, n, 1, acc, length)],
                source=O1_PRUNER_SOURCE,
                notes=f"Published numbers on {dataset} (greedy, one sample per problem). Length is the "
                "paper's average solution length. Not reproduced with this harness.",
            )
        )
    n_aime24 = get_benchmark(E1_EVAL_SET).expected_count
    for model, row in E1_CARD_AIME2024.items():
        group = "e1_model_card_aime2024"
        points = [
            _point(f"budget column {i + 1}", group, ELASTIC, n_aime24, 16, acc, tokens)
            for i, (tokens, acc) in enumerate(row[:-1])
        ]
        points.append(_point("unconstrained", group, ELASTIC, n_aime24, 16, row[-1][1], row[-1][0]))
        out.append(
            ResultFile(
                kind="reported",
                model_name=model,
                benchmark=_registry_name(E1_BENCHMARK),
                task_group=group,
                created=PUBLISHED_DATE,
                points=points,
                source=E1_SOURCE,
                notes="AIME 2024 (30 problems), avg@16, separate budgeting (thinking + solution budgets). "
                "The card gives tokens used and accuracy per budget column but not each column's budget "
                "values, so thinking_budget is left unset and the columns are labelled in order; the "
                "curve's x axis (tokens used) is what the card reports. Not reproduced with this harness.",
            )
        )
    n_math500 = get_benchmark("math500").expected_count
    for model, (acc, tokens) in E1_PAPER_MATH500.items():
        group = "e1_paper_math500"
        out.append(
            ResultFile(
                kind="reported",
                model_name=model,
                benchmark=_registry_name("math500"),
                task_group=group,
                created=PUBLISHED_DATE,
                points=[_point("unconstrained", group, NO_STRATEGY, n_math500, 1, acc, tokens)],
                source=E1_PAPER_SOURCE,
                notes=f"MATH500 accuracy and mean tokens, unconstrained. The same source gives AIME 2024 "
                f"accuracy {E1_PAPER_AIME2024_ACC[model]}% without a token count (not plotted). L1-Exact / "
                "L1-Max are the L1 paper's 1.5B models (DeepScaleR-1.5B trained with LCPO). Sampling "
                "settings are not stated in the summary (k = 1 recorded). Not reproduced with this harness.",
            )
        )
    n_cf = get_benchmark("codeforces").expected_count
    contests = [str(c) for c in CODEELO_2024_CONTESTS]
    for model, (strategy, label, rating, pct) in E1_CODEFORCES.items():
        group = "e1_paper_codeforces"
        point = BudgetPoint(
            label=label,
            task=group,
            thinking_budget=None,
            budget_stated=False,
            strategy=strategy,
            n_problems=n_cf,
            k=8,
            accuracy=None,
            mean_total_tokens=None,
            codeforces=CodeforcesRating(rating=rating, percentile=pct, contests=contests),
        )
        out.append(
            ResultFile(
                kind="reported",
                model_name=model,
                benchmark=_registry_name("codeforces"),
                task_group=group,
                created=PUBLISHED_DATE,
                points=[point],
                source=E1_CODE_SOURCE,
                notes="Published Codeforces rating and percentile among 2024's rated users (CodeElo set: 408 "
                "problems of 57 contests of 2024). The source gives no pass rate, token count or budget, so "
                "the entry has the rating only. Elastic Reasoning also reports E1-Code-14B +0.3% with 37.4% "
                "fewer tokens than DeepCoder-14B unconstrained on code, relative numbers only (no "
                "LiveCodeBench points are stated, so none are seeded). Not reproduced with this harness.",
            )
        )
    return out


def write_published(directory: str | Path) -> list[Path]:
    """Write every published row as ``<directory>/<entry file name>``; returns the paths."""
    directory = Path(directory)
    return [save_result(r, directory / entry_filename(r)) for r in published_results()]


if __name__ == "__main__":
    for written in write_published(sys.argv[1] if len(sys.argv) > 1 else "results/reported"):
        print(written)
