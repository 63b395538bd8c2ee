"""A vLLM implementation of :class:`~elastic_bench.harness.generation._contract.TokenGenerator`.

All calls of one :meth:`VLLMTokenGenerator.generate` go to vLLM in a single ``LLM.generate``
(vLLM's scheduler batches them continuously). Each call becomes one request on token ids
(``TokensPrompt``) with its own ``SamplingParams``:

* limits and stops are the call's own: ``max_tokens``, single-token stops as ``stop_token_ids``
  and ``ignore_eos=True`` so the model's EOS stops only where the call lists it (as in the HF
  backend); a multi-token stop sequence goes in as its text (``stop``, kept in the output), and
  the output is cut at the first place its token ids occur;
* ``seed`` per request, so sampling never depends on what else is in the batch;
* reuse of an earlier call's computation is vLLM's automatic prefix caching: the solution phase
  sends prompt + cut thinking + marker as token ids and the engine finds the thinking's KV blocks
  in its cache (``RequestOutput.num_cached_tokens`` counts the hits, kept in :attr:`counter`).

``keep_state`` handles are only bookkeeping (the cache is the engine's); with data parallelism
(``replicas``) they route a call to the replica whose cache holds its parent.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from elastic_bench.harness.generation import Counter, GenerationCall, GenerationOutput
from elastic_bench.models.tokenized import Tokenized, cut_at_stop

#: runs ``{replica: (prompts, sampling params)}`` on the engine replicas (all at once) and returns
#: ``{replica: [vLLM RequestOutput, ...]}``
Dispatch = Callable[[dict[int, tuple[list[Any], list[Any]]]], dict[int, list[Any]]]


def llm_dispatch(llm, *, use_tqdm: bool = False) -> Dispatch:
    """The :data:`Dispatch` of one in-process ``vllm.LLM`` (replica 0)."""

    def dispatch(jobs: dict[int, tuple[list[Any], list[Any]]]) -> dict[int, list[Any]]:
        return {
            r: llm.generate(prompts, sampling_params=params, use_tqdm=use_tqdm)
            for r, (prompts, params) in jobs.items()
        }

    return dispatch


class VLLMTokenGenerator(Tokenized):
    """Budgeted-generation backend over one or more vLLM engines (``vllm.LLM`` or Ray replicas)."""

    def __init__(
        self,
        tokenizer,
        eos_token_ids: list[int],
        dispatch: Dispatch,
        *,
        replicas: int = 1,
    ) -> None:
        if replicas < 1:
            raise ValueError("at least one engine replica is needed")
        self.tokenizer = tokenizer
        self._eos = sorted(set(eos_token_ids))
        self._dispatch = dispatch
        self.replicas = replicas
        self._states: dict[int, int] = {}  # handle -> replica holding its prefix in cache
        self._handles = itertools.count(1)
        self._next_replica = 0
        self.counter = Counter()

    @classmethod
    def from_llm(cls, llm, tokenizer, eos_token_ids: list[int], *, use_tqdm: bool = False):
        """A generator on one in-process ``vllm.LLM``."""
        return cls(tokenizer, eos_token_ids, llm_dispatch(llm, use_tqdm=use_tqdm))

    # ---------------------------------------------------------------- states
    def release(self, states: list[int]) -> None:
        """Forget handles (vLLM evicts cached blocks itself, least recently used first)."""
        for state in states:
            self._states.pop(state, None)

    # ------------------------------------------------------------- generation
    def sampling_params(self, call: GenerationCall):
        """The ``vllm.SamplingParams`` of one call."""
        from vllm import SamplingParams

        singles = sorted({s[0] for s in call.stop_sequences if len(s) == 1})
        longer = [s for s in call.stop_sequences if len(s) > 1]
        sampling = call.sampling
        return SamplingParams(
            n=1,
            max_tokens=call.max_new_tokens,
            temperature=0.0 if sampling.greedy else sampling.temperature,
            top_p=1.0 if sampling.greedy else sampling.top_p,
            top_k=0 if sampling.greedy else sampling.top_k,
            seed=None if sampling.greedy else call.seed,
            ignore_eos=True,
            stop_token_ids=singles,
            stop=[self.decode(list(s)) for s in longer] or None,
            include_stop_str_in_output=True,
            skip_special_tokens=False,
            spaces_between_special_tokens=False,
            detokenize=bool(longer),
        )

    def _replica_of(self, call: GenerationCall) -> int:
        if self.replicas == 1:
            return 0
        if call.parent is not None and call.parent in self._states:
            return self._states[call.parent]
        replica = self._next_replica  # interleaved, like lm-eval's vllm data parallelism
        self._next_replica = (self._next_replica + 1) % self.replicas
        return replica

    def generate(self, calls: list[GenerationCall]) -> list[GenerationOutput]:
        """Run every call in one ``LLM.generate`` per replica; outputs in call order."""
        from vllm.inputs import TokensPrompt

        outputs: list[GenerationOutput | None] = [None] * len(calls)
        per_replica: dict[int, list[int]] = {}
        replica_of: list[int] = []
        for i, call in enumerate(calls):
            replica = self._replica_of(call)
            replica_of.append(replica)
            if call.max_new_tokens <= 0:
                outputs[i] = GenerationOutput([], None, self._keep(replica) if call.keep_state else None)
            else:
                per_replica.setdefault(replica, []).append(i)
        jobs = {
            replica: (
                [TokensPrompt(prompt_token_ids=list(calls[i].prefix_ids)) for i in indices],
                [self.sampling_params(calls[i]) for i in indices],
            )
            for replica, indices in per_replica.items()
        }
        results_of = self._dispatch(jobs) if jobs else {}
        for replica, indices in per_replica.items():
            for i, result in zip(indices, results_of[replica], strict=True):
                call = calls[i]
                tokens = list(result.outputs[0].token_ids)[: call.max_new_tokens]
                tokens, stop = cut_at_stop(tokens, call.stop_sequences)
                cached = int(getattr(result, "num_cached_tokens", 0) or 0)
                self.counter.generated_tokens += len(tokens)
                self.counter.prefill_tokens += len(call.prefix_ids) - cached
                self.counter.reused_prefix_tokens += cached
                state = self._keep(replica) if call.keep_state else None
                outputs[i] = GenerationOutput(tokens, stop, state)
        self.counter.calls += len(calls)
        return outputs  # type: ignore[return-value]

    def _keep(self, replica: int) -> int:
        handle = next(self._handles)
        self._states[handle] = replica
        return handle
