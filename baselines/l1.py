"""L1 (LCPO, arXiv 2503.04697): GRPO that teaches the model to follow a thinking budget stated in
the prompt. Methods ``l1_exact`` and ``l1_max`` (thin modules over this one).

Each training prompt gets a target N drawn uniformly from ``[target_min, target_max]`` (seeded) and
the sentence ``budget_sentence(L1_WORDINGS[kind], N)`` ("Think for N tokens." / "Think for maximum N tokens.",
defined once in :mod:`elastic_bench.harness.generation._strategies`) after the task prompt. With n the
completion's thinking tokens (up to and including ``</think>``) and correctness from the project's
grader:

* L1-Exact: ``r = 1[correct] - alpha * |N - n|``
* L1-Max:   ``r = 1[correct] * clip(alpha * (N - n) + delta, 0, 1)`` (delta = 0.5)

Rollouts (``project_rollouts``, the default) run on the project's batched generator as the
``prompt`` inference strategy itself: one phase capped at ``max_completion_length``, nothing
enforced, so what is trained is what ``elastic_toy_prompt`` measures; finished rows leave the batch
at once (about 2x TRL's ``model.generate`` when lengths vary, benchmarks/rl_rollout_throughput.py).
``project_rollouts=false`` uses TRL's own generation (``use_vllm`` on a GPU).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from trl import GRPOTrainer

from elastic_bench.baselines.grpo_common import (
    GradedGRPOConfig,
    correctness,
    no_references,
    prompt_dataset,
    sample_indices,
    think_tokens,
)
from elastic_bench.harness.generation import (
    L1_WORDINGS,
    Budget,
    BudgetedRequest,
    Sampling,
    budget_sentence,
    stable_seed,
)
from elastic_bench.harness.protocol import PROMPT

__all__ = [
    "L1Config",
    "exact_reward",
    "l1_rollouts",
    "make_trainer",
    "max_reward",
    "no_references",
    "targets",
]

ON_POLICY = True


@dataclass
class L1Config(GradedGRPOConfig):
    """GRPOConfig plus the L1 reward's constants (full scale: alpha 0.0003, N in [100, 4000])."""

    l1_kind: str = field(default="exact", metadata={"help": "exact (L1-Exact) or max (L1-Max)"})
    l1_alpha: float = field(default=0.0003, metadata={"help": "weight of the length term per token"})
    l1_delta: float = field(default=0.5, metadata={"help": "L1-Max offset delta"})
    target_min: int = field(default=100, metadata={"help": "smallest target N (tokens)"})
    target_max: int = field(default=4000, metadata={"help": "largest target N (tokens)"})
    project_rollouts: bool = field(
        default=True, metadata={"help": "rollouts on the project's generator (prompt strategy); else TRL's"}
    )

    def __post_init__(self):
        super().__post_init__()
        if self.l1_kind not in L1_WORDINGS:
            raise ValueError(f"l1_kind must be one of {sorted(L1_WORDINGS)}, got {self.l1_kind!r}")
        if not 1 <= self.target_min <= self.target_max:
            raise ValueError(f"need 1 <= target_min <= target_max, got {self.target_min}, {self.target_max}")


CONFIG_CLASS = L1Config


def exact_reward(correct: bool, target: int, n: int, alpha: float) -> float:
    """L1-Exact: ``1[correct] - alpha * |N - n|``."""
    return float(bool(correct)) - alpha * abs(int(target) - int(n))


def max_reward(correct: bool, target: int, n: int, alpha: float, delta: float = 0.5) -> float:
    """L1-Max: ``1[correct] * clip(alpha * (N - n) + delta, 0, 1)``."""
    return float(bool(correct)) * min(1.0, max(0.0, alpha * (int(target) - int(n)) + delta))


def targets(n: int, low: int, high: int, seed: int) -> list[int]:
    """``n`` target budgets drawn uniformly (integers, both ends included), deterministic by seed."""
    rng = random.Random(f"l1-targets-{seed}")
    return [rng.randint(int(low), int(high)) for _ in range(n)]


def make_reward(args: L1Config, tokenizer):
    """The TRL reward function of ``args.l1_kind`` (reads the ``answer`` and ``target`` columns)."""
    marker_ids = tokenizer(args.think_end, add_special_tokens=False)["input_ids"]
    eos = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []

    def reward(
        completions, completion_ids, answer, target, response=None, log_metric=None, **_
    ) -> list[float]:
        ok = correctness(response if response is not None else completions, answer, args)
        ns = [think_tokens(ids, marker_ids, eos) for ids in completion_ids]
        if log_metric is not None and ns:
            log_metric("think_tokens", sum(ns) / len(ns))
            log_metric(
                "target_rel_error", sum(abs(t - n) / t for t, n in zip(target, ns, strict=True)) / len(ns)
            )
        if args.l1_kind == "exact":
            return [exact_reward(c, t, n, args.l1_alpha) for c, t, n in zip(ok, target, ns, strict=True)]
        return [
            max_reward(c, t, n, args.l1_alpha, args.l1_delta) for c, t, n in zip(ok, target, ns, strict=True)
        ]

    reward.__name__ = f"l1_{args.l1_kind}"
    return reward


def l1_rollouts(prompts: list[str], trainer) -> dict:
    """TRL ``rollout_func``: the ``prompt`` strategy (one phase, up to ``max_completion_length``,
    nothing enforced) on each received prompt, seeded by (seed, optimizer step, prompt, sample j)."""
    from elastic_bench.baselines.elastic_rl import generate_rollouts, rollout_backend

    args = trainer.args
    backend = rollout_backend(trainer)
    prompt_ids = [backend.encode(p) for p in prompts]
    budget = Budget(thinking=None, solution=None, strategy=PROMPT, max_tokens=args.max_completion_length)
    sampling = Sampling(
        temperature=float(args.temperature), top_p=float(args.top_p), top_k=int(args.top_k or 0)
    )
    seed = stable_seed(args.seed, "l1-rollout", trainer.state.global_step)
    requests = [  # j numbered over every process's share, so no two rollouts of a group share a seed
        BudgetedRequest(tuple(ids), budget, sampling, sample_index=j, seed=seed)
        for ids, j in zip(prompt_ids, sample_indices(prompt_ids), strict=True)
    ]
    fields = generate_rollouts(trainer, backend, requests)
    fields.pop("think_truncated")
    return {"prompt_ids": prompt_ids, "logprobs": None, **fields}


def make_trainer(model, tokenizer, refs, args: L1Config, callbacks=None, problems=None) -> GRPOTrainer:
    """GRPO on the training problems, each with its own target N in the prompt."""
    if not problems:
        raise ValueError("L1 needs training problems")
    if args.project_rollouts and args.use_vllm and args.vllm_importance_sampling_correction:
        raise ValueError(
            "project rollouts return no sampling logprobs: set vllm_importance_sampling_correction=false "
            "or project_rollouts=false"
        )
    goal = targets(len(problems), args.target_min, args.target_max, args.seed)
    sentences = [budget_sentence(L1_WORDINGS[args.l1_kind], n) for n in goal]
    data = prompt_dataset(problems, tokenizer, args.prompt_template, sentences, extra={"target": goal})
    return GRPOTrainer(
        model=model,
        reward_funcs=[make_reward(args, tokenizer)],
        args=args,
        train_dataset=data,
        processing_class=tokenizer,
        callbacks=callbacks,
        rollout_func=l1_rollouts if args.project_rollouts else None,
    )
