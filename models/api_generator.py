"""An OpenAI-compatible server as a :class:`~elastic_bench.harness.generation._contract.TokenGenerator`.

Every call of one :meth:`APITokenGenerator.generate` becomes one request, all sent together with
``num_concurrent`` in flight (:class:`~elastic_bench.models.api_client.APIClient`).

* ``completions`` mode: the prompt is rendered with the model's own chat template locally and sent
  as **token ids** (``tokenized_requests``; the OpenAI API and vLLM accept a list of ints), so the
  solution phase continues exactly the cut thinking plus the marker. With ``extensions="vllm"``
  (vLLM, SGLang) single-token stops go as ``stop_token_ids`` with ``ignore_eos`` (EOS stops only
  where the call lists it), stop strings are kept in the output and the server returns the
  generated **token ids** (``return_token_ids``). With ``extensions="none"`` (plain OpenAI
  semantics) stops go as strings, the server drops them from the text, and the stop is inferred
  from ``stop_reason`` or from ``usage.completion_tokens``; the output's token ids are the local
  tokenizer's encoding of the text.
* ``chat`` mode (servers that only offer chat): the conversation goes as messages; after the first
  phase the cut thinking is sent as the final assistant message with ``continue_final_message``
  (and ``add_generation_prompt=false``) so the server continues it. A server without that option
  starts a new assistant turn instead: the continuation cannot be enforced, which
  :attr:`APITokenGenerator.caveats` records. Reasoning returned in a separate field
  (``reasoning_content`` / ``reasoning``) is put back in front of the marker and the content.

Token counts are cross-checked with the server's ``usage``: :attr:`counter` ``extra`` counts the
answers whose ``completion_tokens`` or ``prompt_tokens`` disagree with the local tokenizer.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from typing import Any

from elastic_bench.harness.generation import Counter, GenerationCall, GenerationOutput
from elastic_bench.harness.protocol import THINK_END
from elastic_bench.harness.provenance import redact
from elastic_bench.models.api_client import APIClient, APIError
from elastic_bench.models.tokenized import Tokenized, cut_at_stop

REASONING_FIELDS = ("reasoning_content", "reasoning")


class APITokenGenerator(Tokenized):
    """Budgeted-generation backend over an OpenAI-compatible HTTP server."""

    def __init__(
        self,
        tokenizer,
        eos_token_ids: list[int],
        client: APIClient,
        *,
        url: str,
        model: str,
        mode: str = "completions",
        tokenized_requests: bool = True,
        extensions: str = "vllm",
        continue_final_message: bool = True,
        marker: str = THINK_END,
    ) -> None:
        if mode not in ("completions", "chat"):
            raise ValueError(f"mode must be completions or chat, got {mode!r}")
        if extensions not in ("vllm", "none"):
            raise ValueError(f"extensions must be vllm or none, got {extensions!r}")
        self.tokenizer = tokenizer
        self._eos = sorted(set(eos_token_ids))
        self.client = client
        self.url = url
        self.model = model
        self.mode = mode
        self.tokenized_requests = tokenized_requests
        self.extensions = extensions
        self.continue_final_message = continue_final_message
        self.marker = marker
        self._chats: dict[tuple[int, ...], list[dict[str, str]]] = {}
        self._chat_lengths: set[int] = set()
        self._handles = itertools.count(1)
        self.counter = Counter(
            extra={"usage_completion_mismatch": 0, "usage_prompt_mismatch": 0, "inferred_stops": 0}
        )
        self.caveats: list[str] = []
        if mode == "chat" and not continue_final_message:
            self._caveat(
                "chat mode without continue_final_message: the solution phase cannot continue the cut "
                "thinking; the server starts a new assistant turn after it (not the E1 protocol)"
            )
        if mode == "chat":
            self._caveat(
                "chat mode: the server applies its own chat template (the prompt tokens are checked "
                "against the local template through usage.prompt_tokens)"
            )

    def _caveat(self, text: str) -> None:
        if text not in self.caveats:
            self.caveats.append(text)
            warnings.warn(f"elastic-api: {text}", stacklevel=3)

    # ---------------------------------------------------------------- states
    def release(self, states: list[int]) -> None:
        """Nothing to free: the server's prefix cache is its own."""

    def remember_chat(self, prompt_ids: Sequence[int], messages: list[dict[str, str]]) -> None:
        """Chat mode: the conversation whose locally rendered prompt is ``prompt_ids``."""
        self._chats[tuple(prompt_ids)] = messages
        self._chat_lengths.add(len(prompt_ids))

    # --------------------------------------------------------------- payloads
    def _sampling(self, call: GenerationCall) -> dict[str, Any]:
        s = call.sampling
        out: dict[str, Any] = {
            "model": self.model,
            "max_tokens": call.max_new_tokens,
            "temperature": 0.0 if s.greedy else s.temperature,
            "top_p": 1.0 if s.greedy else s.top_p,
            "n": 1,
        }
        if not s.greedy:
            out["seed"] = call.seed
            if s.top_k and self.extensions == "vllm":
                out["top_k"] = s.top_k
        singles = sorted({st[0] for st in call.stop_sequences if len(st) == 1})
        longer = [st for st in call.stop_sequences if len(st) > 1]
        if self.extensions == "vllm":
            out.update(
                stop_token_ids=singles,
                ignore_eos=True,
                include_stop_str_in_output=True,
                return_token_ids=True,
                skip_special_tokens=False,
                spaces_between_special_tokens=False,
            )
            stops = [self.decode(st) for st in longer]
        else:  # the server stops at its own EOS; everything else as text
            stops = [
                self.decode(st) for st in call.stop_sequences if not (len(st) == 1 and st[0] in self._eos)
            ]
        if stops:
            out["stop"] = stops
        return out

    def _split_chat(self, prefix: Sequence[int]) -> tuple[list[dict[str, str]], list[int]]:
        for n in sorted(self._chat_lengths, reverse=True):
            messages = self._chats.get(tuple(prefix[:n]))
            if messages is not None:
                return messages, list(prefix[n:])
        raise APIError("chat mode: a prefix that starts with no known conversation (internal error)")

    def _assistant_prefix(self, messages: list[dict[str, str]]) -> str:
        """What the template's generation prompt adds after the assistant header (e.g. ``<think>\\n``)."""
        full = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        base = self.tokenizer.apply_chat_template(
            [*messages, {"role": "assistant", "content": ""}], tokenize=False, continue_final_message=True
        )
        return full[len(base) :] if full.startswith(base) else ""

    def payload(self, call: GenerationCall) -> dict[str, Any]:
        """The JSON body of one call."""
        body = self._sampling(call)
        if self.mode == "completions":
            body["prompt"] = (
                list(call.prefix_ids) if self.tokenized_requests else self.decode(call.prefix_ids)
            )
            return body
        messages, continuation = self._split_chat(call.prefix_ids)
        if continuation:
            content = self._assistant_prefix(messages) + self.decode(continuation)
            messages = [*messages, {"role": "assistant", "content": content}]
            if self.continue_final_message:
                body.update(continue_final_message=True, add_generation_prompt=False)
        body["messages"] = messages
        return body

    # ------------------------------------------------------------- answers
    def _not_a_completion(self, what: str, value: Any) -> APIError:
        shown = " ".join(repr(value).split())[:80]
        return APIError(
            f"the server at {redact(self.url)} answered {what} = {shown} ({type(value).__name__}), "
            "not what an OpenAI-compatible server returns; check base_url, mode and extensions"
        )

    def _text(self, value: Any, what: str) -> str | None:
        """A text field of the server's answer (None stays None); APIError naming the server if not text."""
        if value is None or isinstance(value, str):
            return value
        raise self._not_a_completion(what, value)

    def _answer_text(self, choice: dict[str, Any]) -> str:
        if self.mode == "completions":
            return self._text(choice.get("text"), "choices[0].text") or ""
        message = choice.get("message") or {}
        if not isinstance(message, dict):
            raise self._not_a_completion("choices[0].message", message)
        content = self._text(message.get("content"), "choices[0].message.content")
        reasoning = next(
            (self._text(message[f], f"choices[0].message.{f}") for f in REASONING_FIELDS if message.get(f)),
            None,
        )
        if reasoning is None:
            return content or ""
        # the server split the thinking off: put it back in front of the marker and the content
        self._caveat(
            "the server returns reasoning in a separate field; the output is rebuilt as "
            "reasoning + end-of-thinking marker + content"
        )
        return reasoning + (self.marker + content if content is not None else "")

    def _stripped_stop(
        self, choice: dict[str, Any], tokens: list[int], call: GenerationCall, usage: dict[str, Any]
    ) -> list[int] | None:
        """The stop the server matched but left out of its output (plain OpenAI semantics)."""
        if choice.get("finish_reason") != "stop":
            return None
        reason = choice.get("stop_reason")
        if isinstance(reason, int):
            return [reason]
        if isinstance(reason, str):
            for stop in call.stop_sequences:
                if self.decode(stop) == reason:
                    return list(stop)
        self.counter.extra["inferred_stops"] += 1
        generated = usage.get("completion_tokens")
        eos = [[e] for e in self._eos if [e] in call.stop_sequences]
        others = [list(s) for s in call.stop_sequences if list(s) not in eos]
        if isinstance(generated, int):
            fits = [s for s in [*others, *eos] if len(tokens) + len(s) == generated]
            if fits:
                return fits[0]
        return eos[0] if eos else (others[0] if others else None)

    def _parse(self, call: GenerationCall, answer: dict[str, Any]) -> tuple[list[int], list[int] | None]:
        try:
            choice = answer["choices"][0]
        except (KeyError, IndexError, TypeError):
            raise APIError(
                f"the server at {redact(self.url)} answered with no choices: {str(answer)[:200]}"
            ) from None
        if not isinstance(choice, dict):
            raise self._not_a_completion("choices[0]", choice)
        usage = answer.get("usage") if isinstance(answer.get("usage"), dict) else {}
        ids = choice.get("token_ids")
        if ids is None:
            ids = self.encode(self._answer_text(choice))
        elif not (isinstance(ids, list) and all(type(i) is int and i >= 0 for i in ids)):
            raise self._not_a_completion("choices[0].token_ids", ids)
        tokens, stop = cut_at_stop(list(ids)[: call.max_new_tokens], call.stop_sequences)
        if stop is None:
            stripped = self._stripped_stop(choice, tokens, call, usage)
            if stripped is not None and len(tokens) + len(stripped) <= call.max_new_tokens:
                tokens, stop = [*tokens, *stripped], stripped
        if isinstance(usage.get("completion_tokens"), int) and usage["completion_tokens"] != len(tokens):
            self.counter.extra["usage_completion_mismatch"] += 1
        if isinstance(usage.get("prompt_tokens"), int) and usage["prompt_tokens"] != len(call.prefix_ids):
            self.counter.extra["usage_prompt_mismatch"] += 1
        return tokens, stop

    def generate(self, calls: list[GenerationCall]) -> list[GenerationOutput]:
        """Send every call at once (``num_concurrent`` in flight); outputs in call order."""
        todo = [i for i, c in enumerate(calls) if c.max_new_tokens > 0]
        endpoint = f"{self.url}/completions" if self.mode == "completions" else f"{self.url}/chat/completions"
        answers = self.client.post_many(endpoint, [self.payload(calls[i]) for i in todo])
        outputs = [GenerationOutput([], None, next(self._handles) if c.keep_state else None) for c in calls]
        for i, answer in zip(todo, answers, strict=True):
            tokens, stop = self._parse(calls[i], answer)
            outputs[i] = GenerationOutput(tokens, stop, outputs[i].state)
            self.counter.generated_tokens += len(tokens)
            self.counter.prefill_tokens += len(calls[i].prefix_ids)
        self.counter.calls += len(calls)
        if self.counter.extra["usage_completion_mismatch"] or self.counter.extra["usage_prompt_mismatch"]:
            self._caveat(
                "the server's usage token counts differ from the local tokenizer's on some answers "
                "(counts: generator.counter.extra); token accounting uses the local tokenizer"
            )
        return outputs
