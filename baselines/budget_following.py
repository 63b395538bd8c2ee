"""How well a model follows a budget stated in its prompt (L1's claims), per budget N.

The ``prompt`` strategy on the elastic_toy test problems, exactly as ``elastic_toy_prompt`` runs it
(same problems, template, greedy decoding, one phase up to ``max_tokens``, nothing enforced; the
budget sentence after the problem), with the wording of the method's training: "Think for N tokens."
for L1-Exact, "Think for maximum N tokens." for L1-Max. Per N it reports the mean thinking tokens
n (own ``</think>`` included, as the strategies count them), the relative error |n - N| / N of that
mean, accuracy (the project's grader), and the share of samples with n <= N::

    python -m elastic_bench.baselines.budget_following models/tiny_reasoner/baselines/l1_max --wording l1_max
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from elastic_bench.harness.benchmarks import TOY_PROBLEMS, TOY_SEED
from elastic_bench.harness.protocol import DEFAULT_SEED, DEFAULT_WORDING, THINK_END

#: elastic_toy's budgets (the prompt variant states each one in the prompt)
TOY_BUDGETS = (64, 128, 256, 512)
#: the wording each L1 method trained with (harness.strategies.L1_WORDINGS via the method's kind)
METHOD_WORDING = {"l1_exact": "exact", "l1_max": "max"}


def wording_of(method: str) -> str:
    """The BUDGET_WORDINGS key a method trained with (``l1`` for anything that is not L1-Max)."""
    from elastic_bench.harness.generation import L1_WORDINGS

    return L1_WORDINGS[METHOD_WORDING.get(method, "exact")]


def budget_following(
    checkpoint: str | Path,
    wording: str = DEFAULT_WORDING,
    budgets: tuple[int, ...] = TOY_BUDGETS,
    *,
    n_problems: int = TOY_PROBLEMS,
    split: str = "test",
    max_tokens: int = 1024,
    batch_size: int = 64,
    seed: int = DEFAULT_SEED,
    work_dir: str | Path | None = None,
) -> dict:
    """``{"checkpoint", "wording", "rows": [{budget, mean_think_tokens, rel_error, accuracy,
    within_budget, n}], ...}`` for each budget and unconstrained (budget None: no sentence).

    The sweep is the project's own: ``run_sweep`` on the ``elastic_toy_prompt`` subtasks of
    ``budgets``, with the loader's ``split`` and ``n_problems`` as task metadata and the method's
    wording and cap as generation kwargs; nothing is added to a leaderboard. ``work_dir`` keeps
    lm-eval's outputs and the response journal (default: a temporary folder).
    """
    from transformers import AutoTokenizer

    from elastic_bench.harness.benchmarks import get_benchmark
    from elastic_bench.harness.generation import BUDGET_WORDINGS
    from elastic_bench.harness.lmeval import SweepRequest, run_sweep
    from elastic_bench.tasks.toy.arithmetic import generate

    BUDGET_WORDINGS.resolve(wording)  # one line naming the known wordings, before any work
    bench = get_benchmark("toy")
    group = f"{bench.task_group}_prompt"
    tasks = (*(f"{group}_t{int(b):05d}" for b in budgets), f"{group}_unconstrained")
    with tempfile.TemporaryDirectory(prefix="elastic_bench_budget_following_") as scratch:
        request = SweepRequest(
            model_args={"pretrained": str(checkpoint)},
            tasks=tasks,
            batch_size=str(batch_size),
            seed=seed,
            metadata={"split": split, "n_problems": int(n_problems)},
            gen_kwargs={"budget_wording": wording, "max_gen_toks": int(max_tokens)},
            results_dir=Path(work_dir or scratch),
            store=False,
        )
        start = time.monotonic()
        outcome = run_sweep(request)
        seconds = round(time.monotonic() - start, 1)
        thinking = _think_tokens_per_sample(outcome.samples_dir)
    [result] = outcome.results
    rows = []
    for point in result.points:
        budget_n = point.thinking_budget
        ns = thinking[point.task]
        mean_n = sum(ns) / len(ns)
        rows.append(
            {
                "budget": budget_n,
                "n": len(ns),
                "mean_think_tokens": round(mean_n, 1),
                "rel_error": None if budget_n is None else round(abs(mean_n - budget_n) / budget_n, 3),
                "accuracy": round(point.accuracy, 4),
                "within_budget": None
                if budget_n is None
                else round(sum(n <= budget_n for n in ns) / len(ns), 4),
            }
        )
    tokenizer = AutoTokenizer.from_pretrained(str(checkpoint))
    problems = generate(split, int(n_problems), seed=TOY_SEED)
    return {
        "checkpoint": str(checkpoint),
        "wording": wording,
        "task": f"elastic_toy {split} split n={n_problems} seed=0, prompt strategy, greedy, max_tokens={max_tokens}",
        "seconds": seconds,
        "rows": rows,
        "attainable": attainable(
            tokenizer, problems, budgets, bench.think_end, countdown=writes_countdown(checkpoint)
        ),
    }


def writes_countdown(checkpoint: str | Path) -> bool:
    """Whether the checkpoint's tiny-reasoner lineage was trained to restate a stated budget
    (``budget_countdown`` in the ``training_summary.json`` of the checkpoint or of the base its
    ``training_record.json`` names)."""
    folder = Path(checkpoint)
    for _ in range(4):  # a method's checkpoint -> its base (-> that base's base)
        summary = folder / "training_summary.json"
        if summary.is_file():
            return bool(json.loads(summary.read_text()).get("budget_countdown"))
        record = folder / "training_record.json"
        if not record.is_file():
            return False
        folder = Path(json.loads(record.read_text())["base_model"])
    return False


def _think_tokens_per_sample(samples_dir: Path) -> dict[str, list[float]]:
    """Each subtask's thinking tokens per sample, from lm-eval's logged samples (k = 1: one per doc)."""
    from elastic_bench.harness.results import samples_file_task

    out: dict[str, list[float]] = {}
    for path in sorted(Path(samples_dir).glob("samples_*.jsonl")):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        out[samples_file_task(path.name)] = [
            float(r["think_tokens"]) for r in sorted(rows, key=lambda r: r["doc_id"])
        ]
    return out


def attainable(
    tokenizer,
    problems,
    budgets: tuple[int, ...] = TOY_BUDGETS,
    marker: str = THINK_END,
    countdown: bool = False,
) -> list[dict]:
    """What the tiny reasoner's habit allows at each N, from every correct trace it was trained to
    write (:func:`~elastic_bench.models.tiny_reasoner.traces.all_thinkings`, with the budget
    countdown's lines when the model was trained to write them): the shortest and longest possible
    mean thinking, the best possible ``|mean n - N| / N``, and the largest share of problems that
    have a correct trace with n <= N (a model that stays correct cannot beat these)."""
    from elastic_bench.models.tiny_reasoner.traces import Countdown, all_thinkings, token_counter

    count = token_counter(tokenizer)

    def spans(budget: int | None) -> list[tuple[int, int]]:
        """(shortest, longest) trace per problem, with the countdown of ``budget`` if given."""
        out = []
        for p in problems:
            counted = Countdown(budget, count) if budget is not None else None
            texts = [t + marker for t in all_thinkings(p, counted)]
            lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
            out.append((min(lengths), max(lengths)))
        return out

    plain = None if countdown else spans(None)  # without a countdown the traces do not depend on N
    rows = []
    for n in budgets:
        spans_n = plain or spans(n)
        low = sum(a for a, _ in spans_n) / len(spans_n)
        high = sum(b for _, b in spans_n) / len(spans_n)
        gap = max(low - n, n - high, 0.0)
        rows.append(
            {
                "budget": n,
                "min_mean_think_tokens": round(low, 1),
                "max_mean_think_tokens": round(high, 1),
                "best_rel_error": round(gap / n, 3),
                "max_within_budget": round(sum(a <= n for a, _ in spans_n) / len(spans_n), 4),
            }
        )
    return rows


def render_table(report: dict, title: str | None = None) -> str:
    """A plain-text table of one report."""
    lines = [title or f"{report['checkpoint']} ({report['wording']} wording)"]
    lines.append(f"{'N':>13} {'mean n':>8} {'|n-N|/N':>8} {'acc %':>6} {'n<=N %':>7}")
    for r in report["rows"]:
        budget = "unconstrained" if r["budget"] is None else str(r["budget"])
        rel = "" if r["rel_error"] is None else f"{r['rel_error']:.3f}"
        within = "" if r["within_budget"] is None else f"{100 * r['within_budget']:.1f}"
        lines.append(
            f"{budget:>13} {r['mean_think_tokens']:>8.1f} {rel:>8} {100 * r['accuracy']:>6.1f} {within:>7}"
        )
    if report.get("attainable"):
        lines.append("attainable by the trace habit (every correct trace it was trained on):")
        for a in report["attainable"]:
            lines.append(
                f"{a['budget']:>13} n in [{a['min_mean_think_tokens']:.0f}, {a['max_mean_think_tokens']:.0f}]"
                f"  best |n-N|/N {a['best_rel_error']:.3f}  best n<=N {100 * a['max_within_budget']:.1f}%"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint")
    p.add_argument(
        "--wording", default=DEFAULT_WORDING, help="BUDGET_WORDINGS key: l1 (L1-Exact), l1_max, tale"
    )
    p.add_argument("--limit", type=int, default=200, help="problems (default: all 200 test problems)")
    p.add_argument("--split", default="test", help="toy split: test, or validation to choose a recipe")
    p.add_argument("--output", default=None, help="write the report as JSON here")
    args = p.parse_args(argv)
    report = budget_following(args.checkpoint, args.wording, n_problems=args.limit, split=args.split)
    print(render_table(report))
    if args.output:
        Path(args.output).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
