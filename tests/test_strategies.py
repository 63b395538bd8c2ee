"""The budget strategies and the shared-prefix sweep, on a deterministic fake backend."""

from __future__ import annotations

import pytest

from elastic_bench.harness.generation import Sampling
from elastic_bench.harness.strategies import Budget, BudgetedGenerator, BudgetedRequest
from tests.fake_backend import EOS, MARKER, FakeBackend, prompt

BUDGETS = [8, 16, 24, 32, None]


GREEDY = Sampling()


def _requests(budgets, prompts, sampling=GREEDY, strategy="elastic", solution=6, k=1):
    return [
        BudgetedRequest(p, Budget(t, solution, strategy, max_tokens=64), sampling, sample_index=j, seed=7)
        for p in prompts
        for t in budgets
        for j in range(k)
    ]


def _run(requests, share):
    backend = FakeBackend()
    engine = BudgetedGenerator(backend, share_prefix=share)
    return engine.run(requests, groups_per_batch=3), backend, engine


@pytest.mark.parametrize("sampling", [Sampling(), Sampling(temperature=0.7, top_p=0.9)])
@pytest.mark.parametrize("strategy", ["elastic", "truncate"])
def test_sweep_equals_separate_runs(sampling, strategy):
    prompts = [prompt(n, s) for n, s in [(5, 1), (9, 2), (7, 3), (12, 4)]]
    requests = _requests(BUDGETS, prompts, sampling, strategy, k=2)
    swept, swept_backend, _ = _run(requests, share=True)
    separate, separate_backend, _ = _run(requests, share=False)
    assert [r.output_ids() for r in swept] == [r.output_ids() for r in separate]
    assert [(r.think_tokens, r.answer_tokens, r.think_truncated, r.answer_truncated) for r in swept] == [
        (r.think_tokens, r.answer_tokens, r.think_truncated, r.answer_truncated) for r in separate
    ]
    assert swept_backend.generated < separate_backend.generated


def test_elastic_procedure_exactly():
    p = prompt(9, 2)
    think_len = 5 + sum(p) % 40
    results, backend, _ = _run(_requests([4, think_len + 1, None], [p]), share=True)
    cut, natural, free = results
    # cut at the budget: exactly t thinking tokens, then the marker appended (and not counted)
    assert cut.think_tokens == 4 and cut.think_truncated and cut.marker_appended
    assert cut.output_ids()[4] == MARKER and MARKER not in cut.thinking_ids
    # thinking that ends within the budget keeps the model's own marker, nothing appended
    assert natural.thinking_ids[-1] == MARKER and not natural.marker_appended and not natural.think_truncated
    assert natural.output_ids() == free.output_ids()
    assert natural.answer_ids[-1] == EOS and not natural.answer_truncated
    # the solution phase starts from prompt + thinking (+ marker)
    phase2 = [c for c in backend.calls if c.parent is not None]
    assert sorted(len(c.prefix_ids) for c in phase2) == sorted([len(p) + 4 + 1, len(p) + think_len + 1])


def test_one_solution_per_distinct_cut():
    p = prompt(6, 5)  # thinks for 5 + sum % 40 tokens
    think_len = 5 + sum(p) % 40
    budgets = [2, 3, think_len + 1, think_len + 5, None]
    _, backend, engine = _run(_requests(budgets, [p]), share=True)
    assert engine.stats.thinking_generations == 1
    # cuts: 2, 3, and the natural end shared by the three budgets above it
    assert engine.stats.solution_generations == 3
    assert backend.released  # kept states are freed


def test_solution_budget_truncates_answer():
    p = prompt(5, 1)
    [res] = _run(_requests([None], [p], solution=2), share=True)[0]
    assert res.answer_tokens == 2 and res.answer_truncated


def test_truncate_splits_at_marker():
    p = prompt(7, 3)
    think_len = 5 + sum(p) % 40
    small, large = _run(_requests([2, think_len + 10], [p], strategy="truncate", solution=1), share=True)[0]
    assert small.think_truncated and small.answer_tokens == 0 and small.total_tokens == 3
    assert not large.think_truncated and large.thinking_ids[-1] == MARKER


def test_samples_share_thinking_per_index():
    prompts = [prompt(8, 9)]
    requests = _requests([8, None], prompts, Sampling(temperature=1.0), k=3)
    results, backend, engine = _run(requests, share=True)
    by = {(r_i % 3, r_i // 3): r for r_i, r in enumerate(results)}
    for j in range(3):
        short, full = by[(j, 0)], by[(j, 1)]
        assert short.think_truncated and full.thinking_ids[:8] == short.thinking_ids
    # shared: one thinking generation per sample index, not one per (sample, budget)
    assert engine.stats.thinking_generations == 3
    assert sum(call.parent is None for call in backend.calls) == 3
    separate, separate_backend, alone = _run(requests, share=False)
    assert [r.output_ids() for r in separate] == [r.output_ids() for r in results]
    assert alone.stats.thinking_generations == 6
    assert backend.generated < separate_backend.generated


def test_budget_validation():
    with pytest.raises(ValueError, match="strategy"):
        Budget(8, 8, "magic")
    with pytest.raises(ValueError, match="thinking"):
        Budget(0, 8)
