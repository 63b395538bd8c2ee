"""A transformers implementation of :class:`~elastic_bench.harness.generation._contract.TokenGenerator`.

Its own batched decoding loop (rather than ``model.generate``) because budgeted sweeps need
three things ``generate`` does not give: per-row limits and stop sequences, per-row seeded
sampling that does not depend on batch composition, and reuse of a finished call's KV cache as
the prefix of later calls (the solution phase continues the thinking phase's cache, cropped at
the cut point). Finished rows leave the batch at once, so short rows cost no further compute.
"""

from __future__ import annotations

import inspect
import itertools
from dataclasses import dataclass

import torch
from transformers import DynamicCache

from elastic_bench.harness.generation import Counter, GenerationCall, GenerationOutput
from elastic_bench.models.tokenized import Tokenized
from elastic_bench.models.tokenized import eos_token_ids as model_eos_ids


@dataclass
class _Stash:
    """A finished call's KV cache (per layer ``[kv_heads, n, head_dim]``) and its tokens."""

    keys: list[torch.Tensor]
    values: list[torch.Tensor]
    token_ids: list[int]


class _Row:
    """Decoding state of one call inside a batch."""

    def __init__(self, index: int, call: GenerationCall, device: torch.device):
        self.index = index
        self.call = call
        self.output: list[int] = []
        self.stop: list[int] | None = None
        self.generator: torch.Generator | None = None
        self._noise: torch.Tensor | None = None
        self._noise_used = 0
        if not call.sampling.greedy:
            self.generator = torch.Generator(device=device)
            self.generator.manual_seed(call.seed)

    def noise(self, vocab: int, device: torch.device) -> torch.Tensor:
        """This row's Exp(1) noise for its next token. Drawn from its own generator in chunks of
        steps: the chunk equals the same number of one-step draws, so the stream is independent of
        how far ahead it is drawn."""
        if self._noise is None or self._noise_used == self._noise.shape[0]:
            steps = max(1, min(NOISE_CHUNK_STEPS, NOISE_CHUNK_ELEMENTS // vocab))
            steps = min(steps, self.call.max_new_tokens - len(self.output))
            self._noise = torch.empty((max(1, steps), vocab), device=device).exponential_(
                generator=self.generator
            )
            self._noise_used = 0
        self._noise_used += 1
        return self._noise[self._noise_used - 1]

    def push(self, token: int) -> bool:
        """Append a token; True when the row is finished."""
        self.output.append(token)
        for stop in self.call.stop_sequences:
            if len(self.output) >= len(stop) and self.output[-len(stop) :] == stop:
                self.stop = stop
                return True
        return len(self.output) >= self.call.max_new_tokens


#: how many steps of noise a sampling row draws at once (at most this many elements per draw)
NOISE_CHUNK_STEPS = 64
NOISE_CHUNK_ELEMENTS = 1 << 20


def _sample_rows(logits: torch.Tensor, rows: list[_Row]) -> list[int]:
    """Draw one token for each sampling row (``logits`` has one row each): temperature, top-k,
    top-p, then ``argmax(p / q)`` with ``q ~ Exp(1)`` from the row's own generator. That is how
    ``torch.multinomial(p, 1, generator)`` draws, so each row gets exactly the token a per-row
    ``multinomial`` call would, whatever the batch; here rows sharing sampling settings are one
    tensor operation."""
    tokens = [0] * len(rows)
    groups: dict[tuple, list[int]] = {}
    for i, row in enumerate(rows):
        sampling = row.call.sampling
        groups.setdefault((sampling.temperature, sampling.top_k, sampling.top_p), []).append(i)
    vocab = logits.shape[-1]
    for (temperature, top_k, top_p), members in groups.items():
        index = torch.tensor(members, device=logits.device)
        scores = logits.index_select(0, index).float() / temperature
        if top_k and top_k < vocab:
            kth = torch.topk(scores, top_k, dim=-1).values[:, -1:]
            scores = scores.masked_fill(scores < kth, float("-inf"))
        probs = torch.softmax(scores, dim=-1)
        if top_p < 1.0:
            sorted_probs, order = torch.sort(probs, dim=-1, descending=True)
            cumulative = torch.cumsum(sorted_probs, dim=-1)
            sorted_probs = sorted_probs.masked_fill(cumulative - sorted_probs > top_p, 0.0)
            probs = torch.zeros_like(probs).scatter(-1, order, sorted_probs)
        noise = torch.stack([rows[i].noise(vocab, logits.device) for i in members])
        for i, token in zip(members, torch.argmax(probs / noise, dim=-1).tolist(), strict=True):
            tokens[i] = token
    return tokens


class HFTokenGenerator(Tokenized):
    """Batched generation with KV-cache reuse for a causal LM from transformers."""

    def __init__(self, model, tokenizer, *, batch_size: int = 32, eos_token_ids: list[int] | None = None):
        self.model = model
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.device = next(model.parameters()).device
        if eos_token_ids is None:
            eos_token_ids = model_eos_ids(model, tokenizer)
        self._eos = eos_token_ids
        # the KV cache's name in forward's arguments and outputs: ``cache`` in current transformers,
        # ``past_key_values`` before it (the vLLM CPU venv pins transformers < 5.20)
        forward = inspect.signature(model.forward).parameters
        self._cache_name = "cache" if "cache" in forward else "past_key_values"
        # a prefill needs the logits of its last position only
        self._last_logits_only = {"logits_to_keep": 1} if "logits_to_keep" in forward else {}
        self._stash: dict[int, _Stash] = {}
        self._handles = itertools.count(1)
        self.counter = Counter()

    # ---------------------------------------------------------------- states
    def release(self, states: list[int]) -> None:
        """Drop kept KV caches."""
        for state in states:
            self._stash.pop(state, None)

    # ------------------------------------------------------------- generation
    @torch.inference_mode()
    def generate(self, calls: list[GenerationCall]) -> list[GenerationOutput]:
        """Run calls in length-sorted batches; outputs in call order."""
        outputs: list[GenerationOutput | None] = [None] * len(calls)
        todo = []
        for i, call in enumerate(calls):
            if call.max_new_tokens <= 0:
                outputs[i] = GenerationOutput([], None, self._keep_empty(call) if call.keep_state else None)
            else:
                todo.append(i)
        todo.sort(key=lambda i: len(calls[i].prefix_ids))
        for start in range(0, len(todo), self.batch_size):
            batch = todo[start : start + self.batch_size]
            for i, out in zip(batch, self._generate_batch([calls[i] for i in batch]), strict=True):
                outputs[i] = out
        self.counter.calls += len(calls)
        return outputs  # type: ignore[return-value]

    def _keep_empty(self, call: GenerationCall) -> int:
        handle = next(self._handles)
        cfg = self.model.config.get_text_config()
        empty = torch.zeros(0, device=self.device)
        self._stash[handle] = _Stash([empty] * cfg.num_hidden_layers, [empty] * cfg.num_hidden_layers, [])
        return handle

    def _reusable(self, call: GenerationCall) -> _Stash | None:
        stash = self._stash.get(call.parent) if call.parent is not None else None
        if stash is None or call.parent_tokens <= 0 or not stash.token_ids:
            return None
        n = min(call.parent_tokens, len(stash.token_ids), len(call.prefix_ids) - 1)
        if n <= 0 or stash.token_ids[:n] != call.prefix_ids[:n]:
            return None
        return stash

    def _generate_batch(self, calls: list[GenerationCall]) -> list[GenerationOutput]:
        device = self.device
        rows = [_Row(i, c, device) for i, c in enumerate(calls)]
        # how much of each prefix comes from a kept cache; at least one token is fed
        reuse: list[tuple[_Stash | None, int]] = []
        for call in calls:
            stash = self._reusable(call)
            n = min(call.parent_tokens, len(stash.token_ids), len(call.prefix_ids) - 1) if stash else 0
            reuse.append((stash, n))
        past_len = max(n for _, n in reuse)
        feed = [c.prefix_ids[n:] for c, (_, n) in zip(calls, reuse, strict=True)]
        width = max(len(f) for f in feed)
        batch = len(calls)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0

        input_ids = torch.full((batch, width), pad, dtype=torch.long, device=device)
        feed_mask = torch.zeros((batch, width), dtype=torch.long, device=device)
        positions = torch.zeros((batch, width), dtype=torch.long, device=device)
        for r, (f, (_, n)) in enumerate(zip(feed, reuse, strict=True)):
            input_ids[r, width - len(f) :] = torch.tensor(f, device=device)
            feed_mask[r, width - len(f) :] = 1
            positions[r, width - len(f) :] = torch.arange(n, n + len(f), device=device)

        cache = DynamicCache(config=self.model.config)
        past_mask = torch.zeros((batch, past_len), dtype=torch.long, device=device)
        if past_len:
            layers = self.model.config.get_text_config().num_hidden_layers
            ref = next(s for s, _ in reuse if s is not None)
            heads, dim = ref.keys[0].shape[0], ref.keys[0].shape[-1]
            dtype = ref.keys[0].dtype
            for layer in range(layers):
                k = torch.zeros((batch, heads, past_len, dim), dtype=dtype, device=device)
                v = torch.zeros_like(k)
                for r, (stash, n) in enumerate(reuse):
                    if stash is not None and n:
                        k[r, :, past_len - n :] = stash.keys[layer][:, :n]
                        v[r, :, past_len - n :] = stash.values[layer][:, :n]
                cache.update(k, v, layer)
            for r, (_, n) in enumerate(reuse):
                if n:
                    past_mask[r, past_len - n :] = 1
        attention = torch.cat([past_mask, feed_mask], dim=1)
        # calls with the same fresh prefix (k samples of one prompt, a GRPO group) share one prefill:
        # it runs once per distinct prefix and its cache rows are copied to the others
        source = list(range(batch))
        if not past_len:
            first: dict[tuple[int, ...], int] = {}
            source = [first.setdefault(tuple(f), r) for r, f in enumerate(feed)]
        distinct = sorted(set(source))
        self.counter.prefill_tokens += sum(len(feed[r]) for r in distinct)
        self.counter.reused_prefix_tokens += sum(n for _, n in reuse)

        run = torch.tensor(distinct, device=device)
        out = self.model(
            input_ids=input_ids.index_select(0, run),
            attention_mask=attention.index_select(0, run),
            position_ids=positions.index_select(0, run),
            use_cache=True,
            **{self._cache_name: cache},
            **self._last_logits_only,
        )
        cache, logits = out[self._cache_name], out.logits[:, -1, :]
        if len(distinct) < batch:
            slot_of = {r: i for i, r in enumerate(distinct)}
            expand = torch.tensor([slot_of[r] for r in source], device=device)
            for layer in cache.layers:
                layer.batch_select_indices(expand)
            logits = logits.index_select(0, expand)
        next_pos = positions[:, -1] + 1
        fed_tokens = [list(c.prefix_ids) for c in calls]
        active = list(range(batch))  # positions in the current (compacted) batch -> row
        results: list[GenerationOutput | None] = [None] * batch
        while True:
            chosen = torch.argmax(logits, dim=-1).tolist()
            sampling = [slot for slot, r in enumerate(active) if rows[r].generator is not None]
            if sampling:
                index = torch.tensor(sampling, device=device)
                drawn = _sample_rows(logits.index_select(0, index), [rows[active[s]] for s in sampling])
                for slot, token in zip(sampling, drawn, strict=True):
                    chosen[slot] = token
            still, next_tokens = [], []
            for slot, r in enumerate(active):
                row = rows[r]
                token = chosen[slot]
                if row.push(token):
                    results[r] = self._finish(row, cache, slot, attention, fed_tokens[r])
                else:
                    still.append(slot)
                    next_tokens.append(token)
            self.counter.generated_tokens += len(active)
            if not still:
                break
            if len(still) < len(active):
                keep = torch.tensor(still, device=device)
                for layer in cache.layers:
                    layer.batch_select_indices(keep)
                attention, next_pos = attention[keep], next_pos[keep]
                active = [active[s] for s in still]
            for r, token in zip(active, next_tokens, strict=True):
                fed_tokens[r].append(token)
            attention = torch.cat(
                [attention, torch.ones((len(active), 1), dtype=torch.long, device=device)], 1
            )
            out = self.model(
                input_ids=torch.tensor(next_tokens, device=device).unsqueeze(1),
                attention_mask=attention,
                position_ids=next_pos.unsqueeze(1),
                use_cache=True,
                **{self._cache_name: cache},
            )
            cache, logits = out[self._cache_name], out.logits[:, -1, :]
            next_pos = next_pos + 1
        return results  # type: ignore[return-value]

    def _finish(
        self, row: _Row, cache, slot: int, attention: torch.Tensor, fed: list[int]
    ) -> GenerationOutput:
        state = None
        if row.call.keep_state:
            valid = attention[slot].bool()
            keys = [layer.keys[slot][:, valid] for layer in cache.layers]
            values = [layer.values[slot][:, valid] for layer in cache.layers]
            state = next(self._handles)
            self._stash[state] = _Stash(keys, values, list(fed))
        return GenerationOutput(list(row.output), row.stop, state)
