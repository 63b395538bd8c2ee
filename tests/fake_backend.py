"""A deterministic fake TokenGenerator for strategy tests (no model, no torch)."""

from __future__ import annotations

import random

from elastic_bench.harness.generation import GenerationCall, GenerationOutput

MARKER = 1  # "</think>"
EOS = 2
VOCAB = 50


class FakeBackend:
    """Next token is a pure function of the whole prefix (greedy) or of (prefix, seed stream).

    Each prompt "thinks" for a prompt-dependent number of tokens, then emits MARKER, then answers
    for a few tokens and emits EOS — so thinking lengths vary and budgets cut some of them.
    """

    def __init__(self) -> None:
        self.generated = 0
        self.calls: list[GenerationCall] = []
        self.released: list[int] = []
        self._states = 0

    def encode(self, text: str) -> list[int]:
        return [MARKER] if text == "</think>" else [3 + (ord(c) % (VOCAB - 3)) for c in text]

    def decode(self, token_ids: list[int]) -> str:
        return " ".join(map(str, token_ids))

    @property
    def eos_token_ids(self) -> list[int]:
        return [EOS]

    def _next(self, seq: list[int], rng: random.Random | None) -> int:
        prompt_len = seq[0]  # prompts start with their own length
        body = seq[prompt_len:]
        think_len = 5 + (sum(seq[:prompt_len]) % 40)
        if MARKER not in body:
            if len(body) >= think_len:
                return MARKER
            return 3 + ((sum(seq) * 31 + len(seq) + (rng.randrange(5) if rng else 0)) % (VOCAB - 3))
        after = len(body) - body.index(MARKER) - 1
        if after >= 3 + (think_len % 4):
            return EOS
        return 3 + ((sum(seq) * 17 + (rng.randrange(3) if rng else 0)) % (VOCAB - 3))

    def generate(self, calls: list[GenerationCall]) -> list[GenerationOutput]:
        outs = []
        for call in calls:
            self.calls.append(call)
            rng = None if call.sampling.greedy else random.Random(call.seed)
            seq = list(call.prefix_ids)
            out: list[int] = []
            stop = None
            while len(out) < call.max_new_tokens:
                token = self._next(seq, rng)
                seq.append(token)
                out.append(token)
                self.generated += 1
                hit = [s for s in call.stop_sequences if out[-len(s) :] == s]
                if hit:
                    stop = hit[0]
                    break
            state = None
            if call.keep_state:
                self._states += 1
                state = self._states
            outs.append(GenerationOutput(out, stop, state))
        return outs

    def release(self, states: list[int]) -> None:
        self.released += states


def prompt(n: int, seed: int) -> tuple[int, ...]:
    """A prompt whose first token is its length (the fake model reads it)."""
    rng = random.Random(seed)
    return (n, *[3 + rng.randrange(VOCAB - 3) for _ in range(n - 1)])
