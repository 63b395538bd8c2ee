"""lm-eval plumbing shared by every budgeted backend (HF, vLLM, API).

A backend subclasses :class:`BudgetedLM` and supplies a
:class:`~elastic_bench.harness.generation._contract.TokenGenerator`; this class turns lm-eval's
``generate_until`` requests (all tasks' requests in one call) into budgeted requests, runs them
through the shared-prefix sweep, and returns :class:`ElasticResponse` strings that carry token
accounting to the task's ``process_results``. Each finished request is reported to lm-eval's
cache hook at once, so ``--use_cache`` resumes an interrupted run where it stopped.

Data parallel: a backend launched as N processes passes its rank and N (its process group joined);
lm-eval then
gives each process the problems ``rank, rank + N, ...`` of every task (the same problems for each
budget subtask, so a problem's sweep stays on one process), gathers the per-sample results to rank 0
and writes there. Each process keeps its own journal (``<journal>.rank<r>-of-<N>``).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import sys
from collections import Counter as CountOf
from pathlib import Path
from typing import Any

from lm_eval.api.model import LM
from tqdm.auto import tqdm

from elastic_bench.harness.generation import (
    Budget,
    BudgetedGenerator,
    BudgetedRequest,
    BudgetedResult,
    ElasticResponse,
    Sampling,
    TokenAccounting,
    TokenGenerator,
    budget_instruction,
)
from elastic_bench.harness.lmeval import check_model_args, in_doc_order, parse_model_args
from elastic_bench.harness.protocol import (
    BUDGET_KEYS,
    DEFAULT_MAX_GEN_TOKS,
    DEFAULT_SEED,
    DEFAULT_WORDING,
    ELASTIC,
    THINK_END,
    TRUNCATE,
)
from elastic_bench.harness.provenance import model_info
from elastic_bench.models.journal import ResponseJournal, journal_key
from elastic_bench.models.tokenized import render_chat


def _optional_int(value: Any, name: str) -> int | None:
    if value is None or (isinstance(value, str) and value.lower() in ("", "none", "null", "unconstrained")):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an integer or null, got {value!r}") from None
    if number < 1:
        raise ValueError(f"{name} must be positive, got {number}")
    return number


def parse_request(gen_kwargs: dict, default_max_tokens: int) -> tuple[Budget, Sampling, list[str]]:
    """Budget, sampling and ``until`` strings of one request's generation kwargs."""
    kwargs = dict(gen_kwargs)
    for key in kwargs:  # a misspelled budget key would otherwise be ignored: an unbudgeted run
        close = difflib.get_close_matches(key, BUDGET_KEYS, n=1, cutoff=0.8)
        if close and key not in BUDGET_KEYS:
            raise ValueError(f"unknown generation kwarg {key!r}; did you mean {close[0]!r}?")
    max_tokens = _optional_int(kwargs.get("max_gen_toks"), "max_gen_toks") or default_max_tokens
    budgeted = any(k in kwargs for k in BUDGET_KEYS)
    strategy = str(kwargs.get("strategy") or (ELASTIC if budgeted else TRUNCATE))
    budget = Budget(
        thinking=_optional_int(kwargs.get("thinking_budget"), "thinking_budget"),
        solution=_optional_int(kwargs.get("solution_budget"), "solution_budget"),
        strategy=strategy,
        max_tokens=max_tokens,
        min_thinking=_optional_int(kwargs.get("min_thinking_budget"), "min_thinking_budget"),
        wording=str(kwargs.get("budget_wording") or DEFAULT_WORDING),
    )
    temperature = float(kwargs.get("temperature", 0.0) or 0.0)
    # sampled iff do_sample is true, or do_sample is absent and a temperature > 0 is given
    do_sample = kwargs.get("do_sample")
    sampled = bool(do_sample) if do_sample is not None else temperature > 0
    sampling = Sampling(
        temperature=(temperature if temperature > 0 else 1.0) if sampled else 0.0,
        top_p=float(kwargs.get("top_p", 1.0) or 1.0),
        top_k=int(kwargs.get("top_k", 0) or 0),
    )
    until = kwargs.get("until") or []
    if isinstance(until, str):
        until = [until]
    return budget, sampling, [u for u in until if u]


def rank_journal_path(journal: str | Path, rank: int, world_size: int) -> Path:
    """The journal file of process ``rank`` of ``world_size`` (``journal`` itself for one process)."""
    path = Path(journal)
    if world_size <= 1:
        return path
    return path.with_name(f"{path.stem}.rank{rank}-of-{world_size}{path.suffix}")


class _PaddedResponses(list):
    """A request's responses, at most ``cap``: lm-eval evens out the ranks' request counts by repeating
    a rank's last request and appends the repeats' responses to that request's own list."""

    def __init__(self, items, cap: int):
        super().__init__(items)
        self.cap = cap

    def append(self, item) -> None:
        if len(self) < self.cap:
            super().append(item)

    def __reduce__(self):  # gathered to rank 0 (pickled) as the plain list it stands for
        return list, (list(self),)


def _merged(parts: list) -> Any:
    """The ranks' per-task samples or metric values in one process's order: problem i is on rank
    i % N at position i // N, so values are taken from the ranks in turn, samples by doc id."""
    if all(isinstance(p, dict) for p in parts):
        return {k: _merged([p.get(k, []) for p in parts]) for k in dict.fromkeys(k for p in parts for k in p)}
    if not all(isinstance(p, list) for p in parts):
        return parts[0]
    rows = [x for p in parts for x in p]
    if rows and all(isinstance(r, dict) and "doc_id" in r for r in rows):
        return in_doc_order(rows)
    return [p[i] for i in range(max(map(len, parts), default=0)) for p in parts if i < len(p)]


def _emptied(part: Any) -> Any:
    """``part`` with its lists emptied (a rank whose items were merged into rank 0's)."""
    return {k: _emptied(v) for k, v in part.items()} if isinstance(part, dict) else []


class BudgetedLM(LM):
    """An lm-eval LM that enforces thinking / solution budgets (generation only)."""

    def __init__(
        self,
        generator: TokenGenerator,
        *,
        chat_template_source: Any = None,
        think_end: str = THINK_END,
        chat: str = "auto",
        seed: int = DEFAULT_SEED,
        share_prefix: bool = True,
        max_gen_toks: int = DEFAULT_MAX_GEN_TOKS,
        groups_per_batch: int = 64,
        model_id: str = "",
        journal: str | None = None,
        fingerprint: str | None = None,
        rank: int = 0,
        world_size: int = 1,
        device: str = "cpu",
    ) -> None:
        super().__init__()
        # one of ``world_size`` processes of a data-parallel run (torch.distributed's group joined)
        self._rank, self._world_size, self._device = int(rank), int(world_size), device
        if chat not in ("auto", "yes", "no"):
            raise ValueError(f"chat must be auto, yes or no, got {chat!r}")
        self.generator = generator
        self.engine = BudgetedGenerator(generator, marker=think_end, share_prefix=share_prefix)
        self.think_end = think_end
        self.chat = chat
        self.seed = int(seed)
        self.max_gen_toks = int(max_gen_toks)
        self.groups_per_batch = int(groups_per_batch)
        self.model_id = model_id
        self._template_source = chat_template_source  # a HF tokenizer (or None: no template)
        self._lm_eval_applied_template = False
        self.journal = (
            ResponseJournal(rank_journal_path(journal, self.rank, self.world_size)) if journal else None
        )
        # what, besides the request (prompt, generation kwargs, sample index, seed), can change a
        # response: the journal's keys. share_prefix is left out: sharing never changes outputs.
        template = self.chat_template() or ""
        self.fingerprint = json.dumps(
            {
                "model": fingerprint or model_id,
                "think_end": think_end,
                "chat": chat,
                "chat_template_sha256": hashlib.sha256(template.encode()).hexdigest(),
                "max_gen_toks": self.max_gen_toks,
            },
            sort_keys=True,
            default=str,
        )

    # ------------------------------------------------------------ construction
    @classmethod
    def create_from_arg_string(cls, arg_string: str, additional_config: dict | None = None):
        """lm-eval's ``--model_args`` path: names and values are checked before anything loads."""
        return cls.create_from_arg_obj(parse_model_args(arg_string), additional_config)

    @classmethod
    def create_from_arg_obj(cls, arg_dict: dict, additional_config: dict | None = None):
        """Build from a dict of model args plus lm-eval's ``batch_size`` / ``device``, checked first.

        A model arg wins over lm-eval's value of the same name (its CLI always passes ``device``
        ``cuda:0`` and ``batch_size`` 1, so ``--model_args device=cpu`` would otherwise be ignored)."""
        extra = {k: v for k, v in (additional_config or {}).items() if v is not None and k not in arg_dict}
        return cls(**check_model_args(cls, {**arg_dict, **extra}))

    # ------------------------------------------------------------ chat templates
    @property
    def tokenizer_name(self) -> str:
        """Fingerprint of the tokenizer for lm-eval's request cache."""
        return self.model_id.replace("/", "__")

    def chat_template(self, chat_template: bool | str = False) -> str | None:
        """The model's chat template string."""
        return getattr(self._template_source, "chat_template", None)

    def apply_chat_template(
        self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True
    ) -> str:
        """Render a chat with the model's template (lm-eval calls this for --apply_chat_template)."""
        self._lm_eval_applied_template = True
        return self._render(chat_history, add_generation_prompt)

    def _render(self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
        return render_chat(self._template_source, chat_history, add_generation_prompt)

    def _prompt(self, context: str) -> str:
        wrap = self.chat == "yes" or (
            self.chat == "auto" and not self._lm_eval_applied_template and bool(self.chat_template())
        )
        return self._render([{"role": "user", "content": context}]) if wrap else context

    # --------------------------------------------------------------- provenance
    def get_model_info(self) -> dict:
        """Reproducibility facts lm-eval stores in the results' ``config`` (the converter reads them);
        a backend that knows more (revision, dtype, device) overrides this with its own extras."""
        return model_info(
            pretrained=self.model_id,
            chat_template=self.chat_template() if self.chat != "no" else None,
            think_end=self.think_end,
            share_prefix=self.engine.share_prefix,
        )

    # ------------------------------------------------------- data parallel
    def all_gather(self, tensor):
        """lm-eval's all-gather of a tensor: every process's, concatenated (a scalar's stacked)."""
        if self.world_size <= 1:
            return tensor
        import torch
        import torch.distributed as dist

        parts = [torch.empty_like(tensor) for _ in range(self.world_size)]
        dist.all_gather(parts, tensor.contiguous())
        return torch.stack(parts) if tensor.dim() == 0 else torch.cat(parts)

    def gather_object(self, obj, dst: int = 0):
        """lm-eval's gather of a Python object to process ``dst`` (None on the others)."""
        if self.world_size <= 1:
            return [obj]
        import torch.distributed as dist

        gathered = [None] * self.world_size if self.rank == dst else None
        dist.gather_object(obj, gathered, dst=dst)
        if gathered is None:
            return None
        # lm-eval joins what it gathers rank after rank; merged first, the join is one process's order
        # (so its aggregates, summed in that order, are the same to the last bit)
        return [_merged(gathered), *(_emptied(part) for part in gathered[1:])]

    def barrier(self) -> None:
        """Wait for every process (nothing to wait for in one process)."""
        if self.world_size > 1:
            import torch.distributed as dist

            dist.barrier()

    # --------------------------------------------------------------- lm-eval API
    def loglikelihood(self, requests, disable_tqdm: bool = False):
        """Not supported: budgeted backends only generate."""
        raise NotImplementedError(
            "budgeted backends implement generate_until only; use lm-eval's 'hf' model for loglikelihood tasks"
        )

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):
        """Not supported: budgeted backends only generate."""
        raise NotImplementedError("budgeted backends implement generate_until only")

    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        """Generate every request under its budget, sharing thinking across budgets."""
        kept, slots = self._without_padding(list(requests))
        responses = self._generate(kept, disable_tqdm)
        return [responses[i] for i in slots]

    def _without_padding(self, requests: list) -> tuple[list, list[int]]:
        """The requests less lm-eval's data-parallel padding (an Instance listed beyond its
        ``repeats``), and for each request listed the index of the one whose response it gets.
        Padding is not generated, and its responses never reach the request's own list."""
        if self.world_size <= 1:
            return requests, list(range(len(requests)))
        seen: CountOf = CountOf()
        first: dict[int, int] = {}
        kept, slots = [], []
        for req in requests:
            repeats = max(1, int(getattr(req, "repeats", 1) or 1))
            seen[id(req)] += 1
            if seen[id(req)] > repeats:
                slots.append(first[id(req)])
                if not isinstance(req.resps, _PaddedResponses):
                    req.resps = _PaddedResponses(req.resps, repeats)
            else:
                first.setdefault(id(req), len(kept))
                slots.append(len(kept))
                kept.append(req)
        return kept, slots

    def _generate(self, requests: list, disable_tqdm: bool) -> list[str]:
        prompt_ids: dict[str, tuple[int, ...]] = {}
        occurrences: CountOf = CountOf()
        budgeted: list[BudgetedRequest] = []
        untils: list[list[str]] = []
        for req in requests:
            context, gen_kwargs = req.args
            budget, sampling, until = parse_request(gen_kwargs, self.max_gen_toks)
            instruction = budget_instruction(budget)  # prompt / fast: a sentence after the problem
            text = f"{context} {instruction}" if instruction else context
            if text not in prompt_ids:
                prompt_ids[text] = tuple(self.generator.encode(self._prompt(text)))
            key = (context, json.dumps(gen_kwargs, sort_keys=True, default=str))
            sample_index = occurrences[key]
            occurrences[key] += 1
            budgeted.append(BudgetedRequest(prompt_ids[text], budget, sampling, sample_index, self.seed))
            untils.append(until)

        responses: list[str | None] = [None] * len(requests)
        keys: list[str] = []
        if self.journal is not None:
            keys = [
                journal_key(self.fingerprint, r.args[0], r.args[1], b.sample_index, b.seed)
                for r, b in zip(requests, budgeted, strict=True)
            ]
            done = self.journal.get_many(keys)
            for i, key in enumerate(keys):
                if key in done:
                    responses[i] = done[key]
                    self.cache_hook.add_partial("generate_until", requests[i].args, done[key])
            if done:
                print(
                    f"elastic-bench: resuming from {self.journal.path}: {len(done)} of {len(keys)} requests "
                    "already done",
                    file=sys.stderr,
                )
        pending = [i for i, r in enumerate(responses) if r is None]
        share = f" (rank 0's share of {self.world_size} processes)" if self.world_size > 1 else ""
        progress = tqdm(
            total=len(pending), desc=f"elastic generation{share}", disable=disable_tqdm or self.rank != 0
        )

        def on_done(indices: list[int], results: list[BudgetedResult]) -> None:
            finished = []
            for j, result in zip(indices, results, strict=True):
                i = pending[j]
                responses[i] = self._response(result, untils[i])
                self.cache_hook.add_partial("generate_until", requests[i].args, responses[i])
                if self.journal is not None:
                    finished.append((keys[i], responses[i]))
            if finished:
                self.journal.put_many(finished)
            progress.update(len(indices))

        self.engine.run(
            [budgeted[i] for i in pending], groups_per_batch=self.groups_per_batch, on_done=on_done
        )
        progress.close()
        return responses  # type: ignore[return-value]

    def _response(self, result: BudgetedResult, until: list[str]) -> ElasticResponse:
        eos = set(self.generator.eos_token_ids)
        ids = result.output_ids()
        if ids and ids[-1] in eos:
            ids = ids[:-1]
        text = self.generator.decode(ids)
        for stop in until:
            at = text.find(stop)
            if at >= 0:
                text = text[:at]
        accounting = TokenAccounting(
            think_tokens=result.think_tokens,
            answer_tokens=result.answer_tokens,
            think_truncated=result.think_truncated,
            answer_truncated=result.answer_truncated,
            marker_appended=result.marker_appended,
            ended_in_thinking=result.ended_in_thinking,
            prompt_tokens=result.prompt_tokens,
        )
        return ElasticResponse(text, accounting, self.think_end)
