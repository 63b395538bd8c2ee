"""The budget strategies and the shared-prefix sweep, on a deterministic fake backend."""

from __future__ import annotations

import pytest

from elastic_bench.harness.generation import (
    ANSWER_CUE,
    MAX_WAITS,
    WAIT,
    Budget,
    BudgetedGenerator,
    BudgetedRequest,
    Sampling,
    budget_instruction,
)
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
@pytest.mark.parametrize("strategy", ["elastic", "truncate", "force", "fast"])
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


# ------------------------------------------------------------- force, prompt, fast
def _force(t, minimum, p, max_tokens=64):
    backend = FakeBackend()
    engine = BudgetedGenerator(backend)
    req = BudgetedRequest(p, Budget(t, 6, "force", max_tokens=max_tokens, min_thinking=minimum), GREEDY)
    return engine.run([req])[0], backend, engine


def test_force_extends_early_thinking_with_wait_up_to_the_minimum():
    p = prompt(5, 1)
    natural, _, _ = _force(None, None, p)  # no minimum: the model's own thinking, its own marker
    n = natural.think_tokens
    assert natural.thinking_ids[-1] == MARKER and not natural.marker_appended
    forced, backend, engine = _force(None, n + 6, p)
    wait = backend.encode(WAIT)
    body = forced.thinking_ids[:-1]  # the model closes its thinking itself once past the minimum
    assert forced.thinking_ids[-1] == MARKER and len(body) >= n + 6 and MARKER not in body
    assert body[: n - 1] == natural.thinking_ids[: n - 1] and body[n - 1 : n - 1 + len(wait)] == wait
    assert engine.stats.extra["waits"] >= 1 and forced.answer_ids[-1] == EOS


def test_force_cuts_at_the_budget_with_the_marker_and_a_final_answer_cue():
    p = prompt(5, 3)
    cut, backend, _ = _force(8, None, p)
    assert cut.think_tokens == 8 and cut.think_truncated and cut.marker_appended
    assert cut.marker_ids == [MARKER, *backend.encode(ANSWER_CUE)]
    out = cut.output_ids()
    assert out[8 : 8 + len(cut.marker_ids)] == cut.marker_ids  # the solution continues after the cue
    # a minimum above the budget stops at the budget, never beyond
    capped, _, _ = _force(12, 40, p)
    assert capped.think_tokens == 12 and capped.think_truncated


def test_force_gives_up_after_max_waits():
    p = prompt(5, 1)
    result, _, engine = _force(None, 10_000, p, max_tokens=10_000)
    assert engine.stats.extra["waits"] == MAX_WAITS and result.thinking_ids[-1] == MARKER


def test_prompt_states_the_budget_and_enforces_nothing():
    assert budget_instruction(Budget(512, 32, "prompt")) == "Think for 512 tokens."
    assert budget_instruction(Budget(512, 32, "prompt", wording="l1_max")) == "Think for maximum 512 tokens."
    assert "less than 512 tokens" in budget_instruction(Budget(512, 32, "prompt", wording="tale"))
    assert budget_instruction(Budget(None, 32, "prompt")) is None  # unconstrained: nothing stated
    assert "quickly" in budget_instruction(Budget(None, 32, "fast"))
    assert budget_instruction(Budget(8, 32, "elastic")) is None
    with pytest.raises(ValueError, match="unknown budget wording"):
        Budget(8, 8, "prompt", wording="polite")
    p = prompt(5, 9)
    [free] = BudgetedGenerator(FakeBackend()).run(
        [BudgetedRequest(p, Budget(4, 2, "prompt", max_tokens=64), GREEDY)]
    )
    [cut] = BudgetedGenerator(FakeBackend()).run(
        [BudgetedRequest(p, Budget(4, 2, "fast", max_tokens=64), GREEDY)]
    )
    assert free.think_tokens > 4 + 2 and not free.think_truncated  # the stated budget is not enforced
    assert cut.total_tokens == 4 + 2  # fast is capped like truncate
