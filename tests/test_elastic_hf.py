"""elastic-hf on the embedded tiny reasoner: the sweep is exact, accounting reaches the task."""

from __future__ import annotations

import pickle

import pytest
from lm_eval.api.instance import Instance

from elastic_bench.harness.generation import ElasticResponse
from elastic_bench.harness.protocol import THINK_END
from elastic_bench.tasks.prompts import render
from elastic_bench.tasks.toy.arithmetic import generate

BUDGETS = [32, 64, 128, 256, None]


def _requests(n: int, budgets=BUDGETS, k: int = 1, sampled: bool = False) -> list[Instance]:
    requests = []
    for problem in generate("test", n, seed=5):
        for budget in budgets:
            kwargs = {
                "until": [],
                "do_sample": sampled,
                "temperature": 0.6 if sampled else 0.0,
                "top_p": 0.95 if sampled else 1.0,
                "max_gen_toks": 1024,
                "strategy": "elastic",
                "thinking_budget": budget,
                "solution_budget": 32,
            }
            for _ in range(k):
                requests.append(
                    Instance("generate_until", {}, (render(problem.problem), kwargs), len(requests))
                )
    return requests


@pytest.fixture(scope="module")
def backends():
    from elastic_bench.models.elastic_hf import ElasticHFLM

    shared = ElasticHFLM(share_prefix=True, batch_size=16)
    # the same weights, every budget generated on its own (no shared thinking, no KV reuse)
    separate = ElasticHFLM(share_prefix=False, batch_size=16)
    return shared, separate


def _accounting(responses):
    return [(str(r), r.accounting) for r in responses]


def test_greedy_sweep_is_token_for_token_the_separate_runs(backends):
    shared, separate = backends
    requests = _requests(12)
    swept = shared.generate_until(requests, disable_tqdm=True)
    alone = separate.generate_until(requests, disable_tqdm=True)
    assert _accounting(swept) == _accounting(alone)
    # and it did less work: one thinking generation per prompt instead of one per budget
    assert shared.engine.stats.thinking_generations == 12
    assert separate.engine.stats.thinking_generations == 12 * len(BUDGETS)
    # each budget on its own, in a fresh batch, also gives the same tokens
    one_budget = [r for r in requests if r.args[1]["thinking_budget"] == 64]
    assert [str(r) for r in separate.generate_until(one_budget, disable_tqdm=True)] == [
        str(r) for r, q in zip(swept, requests, strict=True) if q.args[1]["thinking_budget"] == 64
    ]


def test_accounting_and_budgets(backends):
    shared, _ = backends
    requests = _requests(6)
    responses = shared.generate_until(requests, disable_tqdm=True)
    assert all(isinstance(r, ElasticResponse) for r in responses)
    for request, response in zip(requests, responses, strict=True):
        budget = request.args[1]["thinking_budget"]
        acct = response.accounting
        if budget is not None:
            assert acct.think_tokens <= budget
        assert acct.answer_tokens <= 32
        assert THINK_END in response  # appended when the thinking was cut
        assert acct.marker_appended == acct.think_truncated
    smallest = [
        r.accounting for r, q in zip(responses, requests, strict=True) if q.args[1]["thinking_budget"] == 32
    ]
    assert all(a.think_truncated and a.think_tokens == 32 for a in smallest)
    # the accounting survives pickling (lm-eval's --use_cache stores responses with pickle)
    again = pickle.loads(pickle.dumps(responses[0]))
    assert isinstance(again, ElasticResponse) and again.accounting == responses[0].accounting


def test_sampled_samples_share_thinking_across_budgets(backends):
    shared, separate = backends
    # budget 16 cuts every trace (the shortest correct trace of a toy problem is far longer)
    requests = _requests(6, budgets=[16, None], k=2, sampled=True)
    before = shared.engine.stats.thinking_generations, separate.engine.stats.thinking_generations
    swept = shared.generate_until(requests, disable_tqdm=True)
    alone = separate.generate_until(requests, disable_tqdm=True)
    # sample j at every budget starts from the same thinking; seeded, so separate runs agree too
    assert [str(r) for r in swept] == [str(r) for r in alone]
    # and the shared run generated it once per (prompt, sample), the separate one once per budget too
    assert shared.engine.stats.thinking_generations - before[0] == 6 * 2
    assert separate.engine.stats.thinking_generations - before[1] == 6 * 2 * 2
    for p in range(6):
        cut = swept[p * 4 : p * 4 + 2]  # budget 16, samples 0 and 1
        free = swept[p * 4 + 2 : p * 4 + 4]
        for j in range(2):
            assert cut[j].accounting.think_truncated and cut[j].accounting.think_tokens == 16
            assert not free[j].accounting.think_truncated
            assert str(free[j]).startswith(str(cut[j]).split(THINK_END)[0])
    # sampling really samples: some prompt's two unconstrained samples differ
    assert any(str(swept[p * 4 + 2]) != str(swept[p * 4 + 3]) for p in range(6))


def test_plain_task_without_budgets_uses_until(backends):
    shared, _ = backends
    context = render(generate("test", 1, seed=2)[0].problem)
    request = Instance("generate_until", {}, (context, {"until": ["\n"], "max_gen_toks": 64}), 0)
    [response] = shared.generate_until([request], disable_tqdm=True)
    assert "\n" not in response and response.accounting.total_tokens <= 64


def test_journal_resumes_sampled_requests(tmp_path):
    import sqlite3

    from elastic_bench.models.elastic_hf import ElasticHFLM

    journal = tmp_path / "journal.sqlite"
    requests = _requests(3, budgets=[64, None], k=2, sampled=True)
    first = ElasticHFLM(batch_size=16, journal=str(journal))
    before = first.generate_until(requests, disable_tqdm=True)
    # lose one finished response, as if the run had died just before recording it
    with sqlite3.connect(journal) as db:
        [key] = db.execute("select key from responses limit 1").fetchone()
        db.execute("delete from responses where key = ?", (key,))
    second = ElasticHFLM(batch_size=16, journal=str(journal))
    after = second.generate_until(requests, disable_tqdm=True)
    assert _accounting(after) == _accounting(before)
    assert second.engine.stats.requests == 1  # only the lost one was generated again
    # the same journal with another seed shares nothing: every request is generated afresh
    third = ElasticHFLM(batch_size=16, journal=str(journal), seed=99)
    third.generate_until(requests[:2], disable_tqdm=True)
    assert third.engine.stats.requests == 2
    # another journal file shares nothing either
    fourth = ElasticHFLM(batch_size=16, journal=str(tmp_path / "other.sqlite"))
    fourth.generate_until(requests[:2], disable_tqdm=True)
    assert fourth.engine.stats.requests == 2


@pytest.mark.slow
def test_a_sweep_records_prompt_tokens_per_sample_and_per_point(tmp_path):
    """``elastic-bench run`` on the tiny reasoner: each sample's prompt_tokens is the tokenizer's count
    of its prompt as sent (chat template applied), and the result file has their mean."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from transformers import AutoTokenizer

    from elastic_bench.harness.results import load_result

    checkpoint = Path(__file__).resolve().parents[1] / "models" / "tiny_reasoner" / "checkpoint"
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    args = ["run", "--limit", "2", "--tasks", "elastic_toy_t00064", "--results-dir", str(tmp_path)]
    cli = Path(sys.executable).parent / "elastic-bench"
    proc = subprocess.run([str(cli), *args], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    [samples] = list(tmp_path.glob("runs/*/*/samples_elastic_toy_t00064_*.jsonl"))
    [entry] = list(tmp_path.glob("runs/*/reproduced__*.json"))
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    counts = []
    for line in samples.read_text().splitlines():
        row = json.loads(line)
        context = row["arguments"]["gen_args_0"]["arg_0"]
        sent = tokenizer.apply_chat_template(
            [{"role": "user", "content": context}], tokenize=False, add_generation_prompt=True
        )
        counts.append(len(tokenizer(sent, add_special_tokens=False)["input_ids"]))
        assert row["prompt_tokens"] == counts[-1]
    assert len(counts) == 2 and counts[-1] > len(tokenizer(context, add_special_tokens=False)["input_ids"])
    [point] = load_result(entry).points
    assert point.mean_prompt_tokens == pytest.approx(sum(counts) / len(counts))
