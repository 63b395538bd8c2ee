"""Budgeted generation strategies and the shared-prefix sweep, over any :class:`TokenGenerator`.

* ``elastic`` (E1 separate budgeting): phase 1 generates at most ``t`` thinking tokens, stopping
  at the end-of-thinking marker; if it did not end with the marker, exactly the marker is
  appended; phase 2 continues with at most ``s`` solution tokens, stopping at EOS.
* ``truncate``: one phase capped at ``t + s`` tokens.
* ``force`` (s1 budget forcing): while the model ends its thinking (marker or EOS) before
  ``min_thinking`` tokens, the end is removed and "Wait" appended (at most :data:`MAX_WAITS` times);
  thinking cut at ``t`` gets the marker plus a final-answer cue (:data:`ANSWER_CUE`); then the
  solution phase as in ``elastic``. Inserted "Wait" tokens count as thinking tokens.
* ``prompt`` (L1 / TALE): the budget is stated in the prompt (``budget_instruction``, wording
  ``l1`` "Think for N tokens.", ``l1_max`` "Think for maximum N tokens.", ``tale``); nothing is
  enforced: one phase with the generous ``max_tokens`` cap, and the tokens actually used are recorded.
* ``fast`` (O1-Pruner's fast-solving prompt baseline): ``FAST_INSTRUCTION`` in the prompt,
  then one phase capped like ``truncate`` (``max_tokens`` when unconstrained).
* unconstrained: ``thinking=None`` (the cap is the request's ``max_tokens``).

Sweeps: requests that differ only in their budget (same prompt, sampling and sample index j)
form a *group*. One thinking generation up to the group's largest budget serves every budget;
each distinct cut point gets one solution generation (sharing the prefix's KV cache where the
backend can). With greedy decoding this is token-for-token what separate runs produce; with
sampling, sample j of every budget shares sample j's thinking (paired budgets).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from elastic_bench.harness.generation._budget import ANSWER_CUE, MAX_WAITS, WAIT, Budget
from elastic_bench.harness.generation._contract import GenerationCall, Sampling, TokenGenerator, stable_seed
from elastic_bench.harness.protocol import (
    ELASTIC,
    FORCE,
    THINK_END,
)


@dataclass(frozen=True)
class BudgetedRequest:
    """One generation to make under a budget; ``sample_index`` is j among k samples."""

    prompt_ids: tuple[int, ...]
    budget: Budget
    sampling: Sampling
    sample_index: int = 0
    seed: int = 0

    def group_key(self, share: bool) -> tuple:
        """Requests with equal keys share one thinking generation."""
        key = (self.prompt_ids, self.sampling, self.sample_index, self.seed, self.budget.strategy)
        if self.budget.strategy == FORCE:  # the forced thinking depends on the minimum
            key = (*key, self.budget.min_thinking)
        return key if share else (*key, self.budget)


@dataclass
class BudgetedResult:
    """The outcome of one request, with the token accounting the metrics need."""

    thinking_ids: list[int]
    answer_ids: list[int]
    marker_ids: list[int]
    marker_appended: bool
    think_truncated: bool
    answer_truncated: bool
    ended_in_thinking: bool = False  # the model stopped (EOS) without closing its thinking
    #: the problem's prompt tokens as sent (chat template applied), once per request; a second
    #: phase re-sends prompt + thinking, which API billing may add as input (TokenAccounting)
    prompt_tokens: int | None = None

    @property
    def think_tokens(self) -> int:
        """Thinking tokens the model generated (its own marker included, an appended one not)."""
        return len(self.thinking_ids)

    @property
    def answer_tokens(self) -> int:
        """Solution tokens generated."""
        return len(self.answer_ids)

    @property
    def total_tokens(self) -> int:
        """All generated tokens."""
        return self.think_tokens + self.answer_tokens

    def output_ids(self) -> list[int]:
        """The full continuation as the model sees it (appended marker included)."""
        marker = self.marker_ids if self.marker_appended else []
        return [*self.thinking_ids, *marker, *self.answer_ids]


@dataclass
class SweepStats:
    """Work done by a sweep, to compare against separate runs and the minimum possible."""

    thinking_generations: int = 0
    solution_generations: int = 0
    thinking_tokens: int = 0
    solution_tokens: int = 0
    groups: int = 0
    requests: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def decode_tokens(self) -> int:
        """All generated tokens (thinking + solution phases)."""
        return self.thinking_tokens + self.solution_tokens


def _ends_with(seq: Sequence[int], suffix: Sequence[int]) -> bool:
    return len(suffix) > 0 and len(seq) >= len(suffix) and list(seq[-len(suffix) :]) == list(suffix)


def _find(seq: Sequence[int], sub: Sequence[int]) -> int:
    """Index of the first occurrence of ``sub`` in ``seq``, or -1."""
    n = len(sub)
    for i in range(len(seq) - n + 1):
        if list(seq[i : i + n]) == list(sub):
            return i
    return -1


def _strip_eos(ids: list[int], eos: set[int]) -> tuple[list[int], bool]:
    if ids and ids[-1] in eos:
        return ids[:-1], True
    return ids, False


class BudgetedGenerator:
    """Runs budgeted requests on a :class:`TokenGenerator`, sharing prefixes across budgets."""

    def __init__(self, backend: TokenGenerator, marker: str = THINK_END, share_prefix: bool = True):
        self.backend = backend
        self.marker = marker
        self.marker_ids = backend.encode(marker)
        if not self.marker_ids:
            raise ValueError(f"end-of-thinking marker {marker!r} encodes to no tokens")
        self.share_prefix = share_prefix
        self.stats = SweepStats()

    @property
    def _eos(self) -> set[int]:
        return set(self.backend.eos_token_ids)

    def run(
        self,
        requests: Sequence[BudgetedRequest],
        *,
        groups_per_batch: int = 64,
        on_done: Callable[[list[int], list[BudgetedResult]], None] | None = None,
    ) -> list[BudgetedResult]:
        """Generate every request; ``on_done(indices, results)`` fires after each batch."""
        groups: dict[tuple, list[int]] = {}
        for i, req in enumerate(requests):
            groups.setdefault(req.group_key(self.share_prefix), []).append(i)
        keys = list(groups)
        results: list[BudgetedResult | None] = [None] * len(requests)
        self.stats.groups += len(keys)
        self.stats.requests += len(requests)
        for start in range(0, len(keys), groups_per_batch):
            chunk = [groups[k] for k in keys[start : start + groups_per_batch]]
            by_strategy: dict[str, list[list[int]]] = {}
            for members in chunk:
                by_strategy.setdefault(requests[members[0]].budget.strategy, []).append(members)
            done: list[int] = []
            for strategy, members_list in by_strategy.items():
                run_groups = {ELASTIC: self._elastic, FORCE: self._force}.get(strategy, self._truncate)
                for members, group_results in zip(
                    members_list, run_groups([[requests[i] for i in m] for m in members_list]), strict=True
                ):
                    for i, res in zip(members, group_results, strict=True):
                        results[i] = res
                    done += members
            if on_done is not None:
                on_done(done, [results[i] for i in done])
        return results  # type: ignore[return-value]

    # ------------------------------------------------------------------ elastic
    def _elastic(self, groups: list[list[BudgetedRequest]]) -> list[list[BudgetedResult]]:
        eos = self._eos
        stops = [self.marker_ids, *[[e] for e in sorted(eos)]]
        phase1 = [
            GenerationCall(
                prefix_ids=list(g[0].prompt_ids),
                max_new_tokens=max(r.budget.thinking_cap for r in g),
                stop_sequences=stops,
                sampling=g[0].sampling,
                seed=stable_seed(g[0].seed, g[0].prompt_ids, g[0].sample_index, "think"),
                keep_state=True,
            )
            for g in groups
        ]
        outs1 = self.backend.generate(phase1)
        self.stats.thinking_generations += len(phase1)
        self.stats.thinking_tokens += sum(len(o.token_ids) for o in outs1)
        return self._solutions(
            groups, [o.token_ids for o in outs1], [o.state for o in outs1], self.marker_ids
        )

    def _solutions(
        self,
        groups: list[list[BudgetedRequest]],
        thinkings: list[list[int]],
        states: list[int | None],
        appended: list[int],
    ) -> list[list[BudgetedResult]]:
        """Phase 2: one solution per distinct cut point; ``appended`` follows a cut thinking."""
        eos = self._eos
        calls: list[GenerationCall] = []
        plans: list[list[tuple[list[int], bool, bool, int | None]]] = []
        for g, thinking, state in zip(groups, thinkings, states, strict=True):
            cuts: dict[int, int] = {}  # cut length -> index into calls
            plan = []
            for req in g:
                cut = thinking[: req.budget.thinking_cap]
                natural = _ends_with(cut, self.marker_ids)
                eos_ended = not natural and len(cut) == len(thinking) and bool(cut) and cut[-1] in eos
                call_index = None
                if not eos_ended:
                    if len(cut) not in cuts:
                        prefix = [*g[0].prompt_ids, *cut, *([] if natural else appended)]
                        cuts[len(cut)] = len(calls)
                        calls.append(
                            GenerationCall(
                                prefix_ids=prefix,
                                max_new_tokens=0,
                                stop_sequences=[[e] for e in sorted(eos)],
                                sampling=req.sampling,
                                seed=stable_seed(
                                    req.seed, req.prompt_ids, req.sample_index, "answer", len(cut)
                                ),
                                parent=state,
                                parent_tokens=len(g[0].prompt_ids) + len(cut),
                            )
                        )
                    call_index = cuts[len(cut)]
                    calls[call_index].max_new_tokens = max(
                        calls[call_index].max_new_tokens, req.budget.solution_cap
                    )
                plan.append((cut, natural, eos_ended, call_index))
            plans.append(plan)
        outs2 = self.backend.generate(calls) if calls else []
        self.backend.release([st for st in states if st is not None])
        self.stats.solution_generations += len(calls)
        self.stats.solution_tokens += sum(len(o.token_ids) for o in outs2)

        results = []
        for g, plan in zip(groups, plans, strict=True):
            group_results = []
            for req, (cut, natural, eos_ended, call_index) in zip(g, plan, strict=True):
                if eos_ended:
                    group_results.append(
                        BudgetedResult(
                            cut,
                            [],
                            self.marker_ids,
                            False,
                            False,
                            False,
                            ended_in_thinking=True,
                            prompt_tokens=len(req.prompt_ids),
                        )
                    )
                    continue
                answer = outs2[call_index].token_ids[: req.budget.solution_cap]
                answer_truncated = (
                    not (answer and answer[-1] in eos) and len(answer) >= req.budget.solution_cap
                )
                group_results.append(
                    BudgetedResult(
                        thinking_ids=list(cut),
                        answer_ids=list(answer),
                        marker_ids=list(appended),
                        marker_appended=not natural,
                        think_truncated=not natural,
                        answer_truncated=answer_truncated,
                        prompt_tokens=len(req.prompt_ids),
                    )
                )
            results.append(group_results)
        return results

    # -------------------------------------------------------------------- force
    def _force(self, groups: list[list[BudgetedRequest]]) -> list[list[BudgetedResult]]:
        """s1 budget forcing: extend early-ended thinking with "Wait" up to the minimum, then as elastic."""
        eos = self._eos
        wait_ids = self.backend.encode(WAIT)
        stops = [self.marker_ids, *[[e] for e in sorted(eos)]]
        thinkings: list[list[int]] = [[] for _ in groups]
        states: list[int | None] = [None] * len(groups)
        waits = [0] * len(groups)
        valid = [0] * len(groups)  # thinking tokens the kept state still matches (before a removed end)
        active = list(range(len(groups)))
        while active:
            calls = []
            for i in active:
                g = groups[i]
                calls.append(
                    GenerationCall(
                        prefix_ids=[*g[0].prompt_ids, *thinkings[i]],
                        max_new_tokens=max(r.budget.thinking_cap for r in g) - len(thinkings[i]),
                        stop_sequences=stops,
                        sampling=g[0].sampling,
                        seed=stable_seed(g[0].seed, g[0].prompt_ids, g[0].sample_index, "think", waits[i]),
                        keep_state=True,
                        parent=states[i],
                        parent_tokens=len(g[0].prompt_ids) + valid[i],
                    )
                )
            outs = self.backend.generate(calls)
            self.stats.thinking_generations += len(calls)
            self.stats.thinking_tokens += sum(len(o.token_ids) for o in outs)
            self.backend.release([states[i] for i in active if states[i] is not None])
            still = []
            for i, out in zip(active, outs, strict=True):
                states[i] = out.state
                thinkings[i] += out.token_ids
                valid[i] = len(thinkings[i])
                cap = max(r.budget.thinking_cap for r in groups[i])
                minimum = groups[i][0].budget.min_thinking or 0
                body = len(thinkings[i]) - (len(out.stop) if out.stop else 0)
                if out.stop and body < minimum and waits[i] < MAX_WAITS and body + len(wait_ids) < cap:
                    thinkings[i] = thinkings[i][:body] + wait_ids  # suppress the end, think on
                    valid[i] = body
                    waits[i] += 1
                    still.append(i)
            active = still
        self.stats.extra["waits"] = self.stats.extra.get("waits", 0) + sum(waits)
        cue = [*self.marker_ids, *self.backend.encode(ANSWER_CUE)]
        return self._solutions(groups, thinkings, states, cue)

    # ----------------------------------------------------------------- truncate
    def _truncate(self, groups: list[list[BudgetedRequest]]) -> list[list[BudgetedResult]]:
        eos = self._eos
        calls = [
            GenerationCall(
                prefix_ids=list(g[0].prompt_ids),
                max_new_tokens=max(r.budget.one_phase_cap for r in g),
                stop_sequences=[[e] for e in sorted(eos)],
                sampling=g[0].sampling,
                seed=stable_seed(g[0].seed, g[0].prompt_ids, g[0].sample_index, "one-phase"),
            )
            for g in groups
        ]
        outs = self.backend.generate(calls)
        self.stats.thinking_generations += len(calls)
        self.stats.thinking_tokens += sum(len(o.token_ids) for o in outs)
        results = []
        for g, out in zip(groups, outs, strict=True):
            group_results = []
            for req in g:
                ids = out.token_ids[: req.budget.one_phase_cap]
                at = _find(ids, self.marker_ids)
                if at < 0:
                    body, ended = _strip_eos(list(ids), eos)
                    group_results.append(
                        BudgetedResult(
                            ids,
                            [],
                            self.marker_ids,
                            False,
                            not ended,
                            False,
                            ended_in_thinking=ended,
                            prompt_tokens=len(req.prompt_ids),
                        )
                    )
                    continue
                split = at + len(self.marker_ids)
                answer = list(ids[split:])
                truncated = not (answer and answer[-1] in eos) and len(ids) >= req.budget.one_phase_cap
                group_results.append(
                    BudgetedResult(
                        list(ids[:split]),
                        answer,
                        self.marker_ids,
                        False,
                        False,
                        truncated,
                        prompt_tokens=len(req.prompt_ids),
                    )
                )
            results.append(group_results)
        return results
