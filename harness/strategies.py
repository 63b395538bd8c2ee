"""Budgeted generation strategies and the shared-prefix sweep, over any :class:`TokenGenerator`.

* ``elastic`` (E1 separate budgeting): phase 1 generates at most ``t`` thinking tokens, stopping
  at the end-of-thinking marker; if it did not end with the marker, exactly the marker is
  appended; phase 2 continues with at most ``s`` solution tokens, stopping at EOS.
* ``truncate``: one phase capped at ``t + s`` tokens.
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

from elastic_bench.harness.benchmarks import THINK_END
from elastic_bench.harness.generation import GenerationCall, Sampling, TokenGenerator, stable_seed
from elastic_bench.harness.naming import ELASTIC, RUNNABLE_STRATEGIES

STRATEGIES = RUNNABLE_STRATEGIES  # the strategies this module runs (harness.naming defines the names)

#: L1 (LCPO) budget wordings, appended to the user turn: "exact" for L1-Exact, "max" for L1-Max.
#: Defined once: the L1 training recipes and the ``prompt`` strategy both state budgets this way.
L1_EXACT_INSTRUCTION = "Think for {n} tokens."
L1_MAX_INSTRUCTION = "Think for maximum {n} tokens."
BUDGET_INSTRUCTIONS = {"exact": L1_EXACT_INSTRUCTION, "max": L1_MAX_INSTRUCTION}


def budget_instruction(kind: str, n: int) -> str:
    """The budget sentence of ``kind`` (``exact`` or ``max``) for ``n`` tokens."""
    if kind not in BUDGET_INSTRUCTIONS:
        raise ValueError(
            f"unknown budget instruction {kind!r}; expected one of {sorted(BUDGET_INSTRUCTIONS)}"
        )
    return BUDGET_INSTRUCTIONS[kind].format(n=int(n))


@dataclass(frozen=True)
class Budget:
    """A thinking / solution budget. ``None`` thinking = unconstrained; ``None`` solution = cap."""

    thinking: int | None
    solution: int | None
    strategy: str = ELASTIC
    max_tokens: int = 4096

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {self.strategy!r}; expected one of {STRATEGIES}")
        for name in ("thinking", "solution"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} budget must be a positive integer or None, got {value}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be positive, got {self.max_tokens}")

    @property
    def thinking_cap(self) -> int:
        """Tokens phase 1 may generate."""
        return self.thinking if self.thinking is not None else self.max_tokens

    @property
    def solution_cap(self) -> int:
        """Tokens phase 2 may generate."""
        return self.solution if self.solution is not None else self.max_tokens

    @property
    def total_cap(self) -> int:
        """One-phase cap used by ``truncate``."""
        if self.thinking is None:
            return self.max_tokens
        return self.thinking + (self.solution if self.solution is not None else 0) or self.max_tokens


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
                run_groups = self._elastic if strategy == ELASTIC else self._truncate
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

        # plan one solution generation per distinct cut point of each group
        calls: list[GenerationCall] = []
        plans: list[list[tuple[list[int], bool, bool, int | None]]] = []
        for g, out in zip(groups, outs1, strict=True):
            cuts: dict[int, int] = {}  # cut length -> index into calls
            plan = []
            for req in g:
                cut = out.token_ids[: req.budget.thinking_cap]
                natural = _ends_with(cut, self.marker_ids)
                eos_ended = not natural and len(cut) == len(out.token_ids) and bool(cut) and cut[-1] in eos
                call_index = None
                if not eos_ended:
                    if len(cut) not in cuts:
                        prefix = [*g[0].prompt_ids, *cut, *([] if natural else self.marker_ids)]
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
                                parent=out.state,
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
        self.backend.release([o.state for o in outs1 if o.state is not None])
        self.stats.solution_generations += len(calls)
        self.stats.solution_tokens += sum(len(o.token_ids) for o in outs2)

        results = []
        for g, plan in zip(groups, plans, strict=True):
            group_results = []
            for req, (cut, natural, eos_ended, call_index) in zip(g, plan, strict=True):
                if eos_ended:
                    group_results.append(
                        BudgetedResult(cut, [], self.marker_ids, False, False, False, ended_in_thinking=True)
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
                        marker_ids=self.marker_ids,
                        marker_appended=not natural,
                        think_truncated=not natural,
                        answer_truncated=answer_truncated,
                    )
                )
            results.append(group_results)
        return results

    # ----------------------------------------------------------------- truncate
    def _truncate(self, groups: list[list[BudgetedRequest]]) -> list[list[BudgetedResult]]:
        eos = self._eos
        calls = [
            GenerationCall(
                prefix_ids=list(g[0].prompt_ids),
                max_new_tokens=max(r.budget.total_cap for r in g),
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
                ids = out.token_ids[: req.budget.total_cap]
                at = _find(ids, self.marker_ids)
                if at < 0:
                    body, ended = _strip_eos(list(ids), eos)
                    group_results.append(
                        BudgetedResult(
                            ids, [], self.marker_ids, False, not ended, False, ended_in_thinking=ended
                        )
                    )
                    continue
                split = at + len(self.marker_ids)
                answer = list(ids[split:])
                truncated = not (answer and answer[-1] in eos) and len(ids) >= req.budget.total_cap
                group_results.append(
                    BudgetedResult(list(ids[:split]), answer, self.marker_ids, False, False, truncated)
                )
            results.append(group_results)
        return results
