"""What every backend shares, with no torch import: the tokenizer side of a
:class:`~elastic_bench.harness.generation.TokenGenerator`, EOS ids, stop-sequence cutting, chat-template
rendering and lm-eval's batch-size argument."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import AfterValidator


def _batch_size(value: int | str) -> int | str:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"auto(:\d+)?", value):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise ValueError("expected a positive integer, 'auto' or 'auto:N'")


#: lm-eval's batch sizes: a number, or "auto" / "auto:N" (we use a fixed safe default then)
BatchSize = Annotated[int | str, AfterValidator(_batch_size)]


def eos_token_ids(model: Any, tokenizer: Any) -> list[int]:
    """The ids that end a sequence: the tokenizer's EOS and the model's generation config's."""
    ids: set[int] = set()
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    gen_eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if isinstance(gen_eos, int):
        ids.add(gen_eos)
    elif gen_eos:
        ids.update(int(e) for e in gen_eos)
    if not ids:
        raise ValueError("the model has no EOS token: pass eos_token_ids")
    return sorted(ids)


def cut_at_stop(tokens: list[int], stops: Sequence[Sequence[int]]) -> tuple[list[int], list[int] | None]:
    """``tokens`` up to and including the earliest complete stop sequence, and that stop."""
    best: tuple[int, list[int]] | None = None
    for stop in stops:
        n = len(stop)
        if not n:
            continue
        for end in range(n, len(tokens) + 1):
            if best is not None and end >= best[0]:
                break
            if tokens[end - n : end] == list(stop):
                best = (end, list(stop))
                break
    if best is None:
        return tokens, None
    return tokens[: best[0]], best[1]


def render_chat(tokenizer: Any, messages: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
    """A chat rendered with the tokenizer's chat template; without one, the contents joined by blank lines."""
    if tokenizer is None or not getattr(tokenizer, "chat_template", None):
        return "\n\n".join(m["content"] for m in messages)
    return tokenizer.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=add_generation_prompt
    )


class Tokenized:
    """``encode`` / ``decode`` / ``eos_token_ids`` from a transformers tokenizer and a list of EOS ids.

    Subclasses set ``self.tokenizer`` and ``self._eos`` (the ids that end a sequence).
    """

    tokenizer: object
    _eos: list[int]

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` without special tokens added."""
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def decode(self, token_ids: Sequence[int]) -> str:
        """Text of ``token_ids`` (special tokens kept)."""
        return self.tokenizer.decode(list(token_ids), skip_special_tokens=False)

    @property
    def eos_token_ids(self) -> list[int]:
        """Ids that end a sequence."""
        return list(self._eos)
