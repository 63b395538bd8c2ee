"""The transformers TokenGenerator: batching, KV reuse and seeded sampling must not change outputs."""

from __future__ import annotations

import warnings

import pytest
import torch

from elastic_bench.harness.generation import GenerationCall, Sampling
from elastic_bench.models.hf_generator import HFTokenGenerator


@pytest.fixture(scope="module")
def generator():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    vocab = {f"t{i}": i for i in range(64)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="t0"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, eos_token="t1", pad_token="t0")
    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        eos_token_id=1,
        pad_token_id=0,
    )
    model = Qwen2ForCausalLM(config).eval()
    return HFTokenGenerator(model, tokenizer, batch_size=4, eos_token_ids=[1])


def _prompts():
    g = torch.Generator().manual_seed(1)
    return [torch.randint(2, 64, (n,), generator=g).tolist() for n in (3, 7, 5, 11, 4, 9)]


def test_batched_equals_one_by_one(generator):
    calls = [GenerationCall(p, 12, [], Sampling()) for p in _prompts()]
    batched = [o.token_ids for o in generator.generate(calls)]
    single = [generator.generate([c])[0].token_ids for c in calls]
    assert batched == single
    assert all(len(o) == 12 for o in batched)


def test_stops_and_limits_per_row(generator):
    prompts = _prompts()
    free = generator.generate([GenerationCall(p, 10, [], Sampling()) for p in prompts])
    # stop on each row's own 4th token: every row ends right there, stop sequence kept
    calls = [
        GenerationCall(p, 10, [[o.token_ids[3]]], Sampling()) for p, o in zip(prompts, free, strict=True)
    ]
    for call, out, ref in zip(calls, generator.generate(calls), free, strict=True):
        first = ref.token_ids.index(call.stop_sequences[0][0])
        assert out.token_ids == ref.token_ids[: first + 1] and out.stop == call.stop_sequences[0]


def test_kv_reuse_matches_recompute(generator):
    prompts = _prompts()
    first = generator.generate([GenerationCall(p, 10, [], Sampling(), keep_state=True) for p in prompts])
    # continue each from a different cut of its own output, with and without reusing the cache
    marker = [5]
    reuse, fresh = [], []
    for i, (p, out) in enumerate(zip(prompts, first, strict=True)):
        cut = 2 + i
        prefix = p + out.token_ids[:cut] + marker
        reuse.append(GenerationCall(prefix, 6, [], Sampling(), parent=out.state, parent_tokens=len(p) + cut))
        fresh.append(GenerationCall(prefix, 6, [], Sampling()))
    before = generator.counter.reused_prefix_tokens
    a = [o.token_ids for o in generator.generate(reuse)]
    assert generator.counter.reused_prefix_tokens > before
    b = [o.token_ids for o in generator.generate(fresh)]
    assert a == b
    generator.release([o.state for o in first])


def test_sampling_is_seeded_per_call_not_per_batch(generator):
    sampling = Sampling(temperature=1.0, top_p=0.9, top_k=20)
    calls = [GenerationCall(p, 8, [], sampling, seed=100 + i) for i, p in enumerate(_prompts())]
    together = [o.token_ids for o in generator.generate(calls)]
    alone = [generator.generate([c])[0].token_ids for c in calls]
    reordered = [o.token_ids for o in generator.generate(calls[::-1])][::-1]
    assert together == alone == reordered
    others = [GenerationCall(calls[0].prefix_ids, 8, [], sampling, seed=s) for s in range(900, 905)]
    assert any(o.token_ids != together[0] for o in generator.generate(others))  # the seed matters


def test_zero_token_call(generator):
    [out] = generator.generate([GenerationCall([3, 4], 0, [], Sampling())])
    assert out.token_ids == []


def test_uses_current_cache_keyword(generator):
    """The loop names the KV cache as this transformers does (``cache``; ``past_key_values`` is deprecated
    and goes in 5.40), so a run prints no deprecation warning and survives the removal."""
    prompts = _prompts()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r".*past_key_values")
        first = generator.generate([GenerationCall(p, 6, [], Sampling(), keep_state=True) for p in prompts])
        again = [
            GenerationCall(p + o.token_ids[:3], 4, [], Sampling(), parent=o.state, parent_tokens=len(p) + 3)
            for p, o in zip(prompts, first, strict=True)
        ]
        generator.generate(again)
    generator.release([o.state for o in first])


def _multinomial_draw(logits: torch.Tensor, sampling: Sampling, generator: torch.Generator) -> int:
    """The reference draw: temperature, top-k, top-p on one row, then ``torch.multinomial``."""
    scores = logits.float() / sampling.temperature
    if sampling.top_k and sampling.top_k < scores.numel():
        scores = scores.masked_fill(scores < torch.topk(scores, sampling.top_k).values[-1], float("-inf"))
    probs = torch.softmax(scores, dim=-1)
    if sampling.top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        drop = torch.cumsum(sorted_probs, dim=-1) - sorted_probs > sampling.top_p
        probs = torch.zeros_like(probs).scatter(0, order, sorted_probs.masked_fill(drop, 0.0))
    return int(torch.multinomial(probs, 1, generator=generator).item())


def test_batched_sampling_draws_what_per_row_multinomial_draws(generator):
    """Rows of a batch are sampled in one tensor operation, yet each row's tokens are exactly those a
    per-row ``torch.multinomial`` with the row's own seeded generator draws (replayed here on the
    model's logits), so seeded samples, cached references and rollouts keep their values. Mixed
    settings and a greedy row share the batch; outputs run past one chunk of pre-drawn noise."""
    from elastic_bench.models import hf_generator

    settings = [
        Sampling(temperature=1.0),
        Sampling(temperature=0.7, top_k=9),
        Sampling(1.3, top_p=0.8),
        Sampling(),
    ]
    calls = [
        GenerationCall(p, 20, [], settings[i % len(settings)], seed=40 + i) for i, p in enumerate(_prompts())
    ]
    old_chunk = hf_generator.NOISE_CHUNK_STEPS
    hf_generator.NOISE_CHUNK_STEPS = 7  # several chunks per row
    try:
        outputs = generator.generate(calls)
    finally:
        hf_generator.NOISE_CHUNK_STEPS = old_chunk
    model = generator.model
    for call, out in zip(calls, outputs, strict=True):
        ids = torch.tensor([list(call.prefix_ids) + out.token_ids])
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0, len(call.prefix_ids) - 1 : -1]
        if call.sampling.greedy:
            assert out.token_ids == torch.argmax(logits, dim=-1).tolist()
            continue
        g = torch.Generator().manual_seed(call.seed)
        replay = [_multinomial_draw(row, call.sampling, g) for row in logits]
        assert out.token_ids == replay


def test_samples_of_one_prompt_share_one_prefill(generator):
    """k calls with the same prompt are prefilled once (the counter counts that prompt's tokens once)
    and each still decodes exactly what it decodes alone, greedy and sampled rows alike."""
    prompts = _prompts()[:2]
    sampling = Sampling(temperature=1.0)
    calls = [GenerationCall(p, 10, [], sampling, seed=s) for p in prompts for s in range(4)]
    calls.append(GenerationCall(prompts[0], 10, [], Sampling()))
    before, generator.batch_size = generator.counter.prefill_tokens, len(calls)  # one batch
    try:
        together = [o.token_ids for o in generator.generate(calls)]
    finally:
        generator.batch_size = 4
    assert generator.counter.prefill_tokens - before == sum(len(p) for p in prompts)
    assert together == [generator.generate([c])[0].token_ids for c in calls]
    assert len({tuple(t) for t in together[:4]}) > 1  # the seeds still differ
