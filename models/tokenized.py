"""The tokenizer side of every :class:`~elastic_bench.harness.generation._contract.TokenGenerator` backend."""

from __future__ import annotations

from collections.abc import Sequence


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
