"""Elastic Reasoning (E1, arXiv 2505.05315): GRPO whose rollouts ARE the elastic strategy.

TRL's ``GRPOTrainer(rollout_func=elastic_rollouts)``: every rollout runs on the project's batched
budgeted generator (:class:`~elastic_bench.harness.generation._strategies.BudgetedGenerator` over the HF
backend, or over the trainer's own vLLM engine with ``use_vllm`` in colocate mode), the very code
that evaluates, so what is trained is what is measured:

1. thinking: at most t* tokens, stopping at ``</think>``;
2. if the thinking was cut, exactly ``</think>`` is appended;
3. solution: at most s* tokens, stopping at EOS.

The reward is 1 if the project's grader finds the answer correct, else 0. The appended
``</think>`` is not the policy's choice, so it is masked out of the loss (``env_mask`` = 0 on
exactly those tokens). Rollouts are seeded by (recipe seed, optimizer step, prompt, sample j), so a
run resumed from a checkpoint draws the same rollouts as an uninterrupted one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trl import GRPOTrainer

from elastic_bench.baselines.grpo_common import (
    GradedGRPOConfig,
    correctness,
    no_references,
    prompt_dataset,
    sample_indices,
)
from elastic_bench.harness.generation import (
    Budget,
    BudgetedGenerator,
    BudgetedRequest,
    BudgetedResult,
    Sampling,
    stable_seed,
)

__all__ = ["ElasticConfig", "elastic_rollouts", "make_trainer", "no_references", "rollout_requests"]

ON_POLICY = True


@dataclass
class ElasticConfig(GradedGRPOConfig):
    """GRPOConfig plus E1's budgets (t*, s*) = (1024, 1024) at full scale."""

    thinking_budget: int = field(default=1024, metadata={"help": "t*: thinking tokens per rollout"})
    solution_budget: int = field(default=1024, metadata={"help": "s*: solution tokens per rollout"})

    def __post_init__(self):
        super().__post_init__()
        if self.thinking_budget < 1 or self.solution_budget < 1:
            raise ValueError("thinking_budget and solution_budget must be positive")


CONFIG_CLASS = ElasticConfig
FORCED: dict = {}


def rollout_backend(trainer):
    """The token generator rollouts run on: the trainer's vLLM engine (colocate) or the HF backend."""
    tokenizer = trainer.processing_class
    if getattr(trainer, "use_vllm", False):
        if trainer.args.vllm_mode != "colocate":
            raise ValueError("elastic rollouts need vllm_mode=colocate (they drive the engine themselves)")
        from elastic_bench.models.vllm_generator import VLLMTokenGenerator

        return VLLMTokenGenerator.from_llm(
            trainer.vllm_generation.llm, tokenizer, list(trainer.eos_token_ids)
        )
    from elastic_bench.models.hf_generator import HFTokenGenerator

    model = trainer.accelerator.unwrap_model(trainer.model)
    return HFTokenGenerator(model, tokenizer, batch_size=trainer.args.rollout_groups_per_batch)


def rollout_requests(
    prompt_ids: list[list[int]], args: ElasticConfig, step: int, indices: list[int] | None = None
) -> list[BudgetedRequest]:
    """One elastic request per received prompt; repeats of a prompt are samples j = 0, 1, ...
    (``indices``: the j of each, numbered over every process's share by :func:`sample_indices`)."""
    budget = Budget(thinking=args.thinking_budget, solution=args.solution_budget)
    sampling = Sampling(
        temperature=float(args.temperature), top_p=float(args.top_p), top_k=int(args.top_k or 0)
    )
    seed = stable_seed(args.seed, "elastic-rollout", step)
    if indices is None:
        indices = sample_indices(prompt_ids)
    return [
        BudgetedRequest(tuple(ids), budget, sampling, sample_index=j, seed=seed)
        for ids, j in zip(prompt_ids, indices, strict=True)
    ]


def rollout_fields(results: list[BudgetedResult], decode, eos: set[int]) -> dict:
    """TRL's rollout fields: completion ids (appended marker included), env_mask (0 on exactly the
    appended marker), the response text as elastic-hf returns it, and token accounting."""
    completion_ids, env_mask, responses = [], [], []
    for r in results:
        marker = r.marker_ids if r.marker_appended else []
        completion_ids.append(r.output_ids())
        env_mask.append([1] * len(r.thinking_ids) + [0] * len(marker) + [1] * len(r.answer_ids))
        ids = r.output_ids()
        responses.append(decode(ids[:-1] if ids and ids[-1] in eos else ids))
    return {
        "completion_ids": completion_ids,
        "env_mask": env_mask,
        "response": responses,
        "think_tokens": [r.think_tokens for r in results],
        "think_truncated": [r.think_truncated for r in results],
    }


def elastic_rollouts(prompts: list[str], trainer) -> dict:
    """TRL ``rollout_func``: the elastic strategy on each received prompt (already repeated
    ``num_generations`` times by TRL's sampler), one completion per prompt; with several processes
    each generates the rollouts of its own share of the prompts."""
    args = trainer.args
    backend = rollout_backend(trainer)
    prompt_ids = [backend.encode(p) for p in prompts]
    requests = rollout_requests(prompt_ids, args, trainer.state.global_step)
    return {"prompt_ids": prompt_ids, "logprobs": None, **generate_rollouts(trainer, backend, requests)}


def generate_rollouts(trainer, backend, requests: list[BudgetedRequest]) -> dict:
    """Run ``requests`` on the project's generator with the model in eval mode (no dropout while
    sampling, as at evaluation); TRL's per-completion fields (:func:`rollout_fields`)."""
    model = trainer.model
    was_training = model.training
    model.eval()
    try:
        results = BudgetedGenerator(backend, marker=trainer.args.think_end, share_prefix=False).run(
            requests, groups_per_batch=trainer.args.rollout_groups_per_batch
        )
    finally:
        model.train(was_training)
    return rollout_fields(results, backend.decode, set(backend.eos_token_ids))


def make_reward(args: ElasticConfig):
    """1 if the rollout's response is graded correct, else 0 (the project's grader)."""

    def elastic_correct(completions, answer, response=None, think_tokens=None, log_metric=None, **_):
        texts = response if response is not None else completions
        if log_metric is not None and think_tokens:
            log_metric("think_tokens", sum(think_tokens) / len(think_tokens))
        return [float(c) for c in correctness(texts, answer, args)]

    return elastic_correct


def make_trainer(model, tokenizer, refs, args: ElasticConfig, callbacks=None, problems=None) -> GRPOTrainer:
    """GRPO on the training problems with elastic rollouts (prompts exactly as the tasks render them)."""
    if not problems:
        raise ValueError("Elastic needs training problems")
    if args.use_vllm and args.vllm_importance_sampling_correction:
        raise ValueError(
            "elastic rollouts return no sampling logprobs: set vllm_importance_sampling_correction=false"
        )
    return GRPOTrainer(
        model=model,
        reward_funcs=[make_reward(args)],
        args=args,
        train_dataset=prompt_dataset(problems, tokenizer, args.prompt_template),
        processing_class=tokenizer,
        callbacks=callbacks,
        rollout_func=elastic_rollouts,
    )
