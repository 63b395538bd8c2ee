"""What a budgeted backend hands to a task's ``process_results``.

lm-eval passes the model's ``str`` through the ``take_first`` filter unchanged, so a ``str``
subclass carries the token accounting along with the text. Tasks must also accept a plain
``str`` (a cached or re-loaded response, or a backend that is not ours): :func:`accounting`
then recounts what it can from the text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from elastic_bench.harness.protocol import THINK_END


@dataclass(frozen=True)
class TokenAccounting:
    """Per-request token counts and flags (model's own tokenizer).

    ``prompt_tokens`` is the problem's prompt as sent (chat template applied), counted once per
    request; None where it is unknown (a response journaled before it was recorded). A two-phase
    strategy's solution call re-sends prompt + thinking: a shared-prefix backend reuses that prefix,
    but an API bills it again as input, so API input billing may exceed ``prompt_tokens``.
    """

    think_tokens: int
    answer_tokens: int
    think_truncated: bool
    answer_truncated: bool
    marker_appended: bool = False
    ended_in_thinking: bool = False
    prompt_tokens: int | None = None

    @property
    def total_tokens(self) -> int:
        """Thinking + solution tokens."""
        return self.think_tokens + self.answer_tokens


class ElasticResponse(str):
    """The full continuation text (thinking, marker, solution) plus its :class:`TokenAccounting`."""

    accounting: TokenAccounting
    marker: str

    def __new__(cls, text: str, accounting: TokenAccounting, marker: str = THINK_END) -> ElasticResponse:
        obj = super().__new__(cls, text)
        obj.accounting = accounting
        obj.marker = marker
        return obj

    def __reduce__(self):
        # keeps the accounting through pickling (lm-eval's --use_cache stores responses with pickle)
        return (ElasticResponse, (str(self), self.accounting, self.marker))

    def to_dict(self) -> dict:
        """Accounting as a plain dict."""
        return asdict(self.accounting)


def accounting(response: str, marker: str = THINK_END) -> TokenAccounting | None:
    """The accounting of a response, or None for a plain string (no token counts known)."""
    return getattr(response, "accounting", None)
