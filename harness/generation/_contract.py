"""The backend-neutral generation contract.

A backend only has to "generate token sequences under these limits and stops" and count tokens
with the model's tokenizer; the budget strategies (:mod:`elastic_bench.harness.generation._strategies`) are
written once against this protocol and shared by the HF, vLLM and API backends.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Sampling:
    """Decoding parameters. ``temperature == 0`` (or ``do_sample=False``) means greedy."""

    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0

    @property
    def greedy(self) -> bool:
        """True when decoding is deterministic argmax."""
        return self.temperature <= 0.0


@dataclass
class GenerationCall:
    """Continue ``prefix_ids`` by at most ``max_new_tokens`` tokens.

    Generation stops right after any sequence of ``stop_sequences`` is produced (it is kept in
    the output) or at the limit. ``seed`` makes sampling reproducible per call, independent of
    batching. ``parent``/``parent_tokens`` say that the first ``parent_tokens`` tokens of the
    prefix equal the beginning of an earlier call's prefix + output (kept with ``keep_state``),
    so a backend may reuse that computation (the HF backend reuses its KV cache).
    """

    prefix_ids: list[int]
    max_new_tokens: int
    stop_sequences: list[list[int]]
    sampling: Sampling
    seed: int = 0
    keep_state: bool = False
    parent: int | None = None
    parent_tokens: int = 0


@dataclass
class GenerationOutput:
    """What a call produced; ``stop`` is the matched stop sequence or None (limit reached)."""

    token_ids: list[int]
    stop: list[int] | None
    state: int | None = None  # handle for reuse by later calls (when keep_state was set)


@runtime_checkable
class TokenGenerator(Protocol):
    """What a backend supplies to the strategies."""

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (no special tokens added)."""
        ...

    def decode(self, token_ids: list[int]) -> str:
        """Text of ``token_ids`` (special tokens kept as text)."""
        ...

    @property
    def eos_token_ids(self) -> list[int]:
        """Token ids that end a sequence."""
        ...

    def generate(self, calls: list[GenerationCall]) -> list[GenerationOutput]:
        """Run the calls (batched as the backend sees fit), outputs in call order."""
        ...

    def release(self, states: list[int]) -> None:
        """Forget kept states."""
        ...


class BackendError(RuntimeError):
    """A backend failed in a way its user can act on (a server that is down, refuses or answers
    something that is not a completion); the message is one line, and the command lines print it so."""


@dataclass
class Counter:
    """Decode-work accounting: how many tokens a backend generated and prefilled."""

    generated_tokens: int = 0
    prefill_tokens: int = 0
    reused_prefix_tokens: int = 0
    calls: int = 0
    extra: dict = field(default_factory=dict)


def stable_seed(*parts: object) -> int:
    """A 63-bit seed from any parts (stable across processes, unlike ``hash``)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)
