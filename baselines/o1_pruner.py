"""O1-Pruner (length-harmonizing fine-tuning, arXiv 2501.12570) as a small Trainer in TRL's style.

Reward per reference sample y of problem x (DESIGN.md "Baselines"):
``R = Lbar_ref(x) / L(y) - 1 + lambda * (A(y) - Abar_ref(x))`` with lambda = 2; rewards are
clipped to [-2, 4] and z-scored over the trained samples (as the paper's code does: it trains on
``samples_per_problem`` = 2 samples per problem drawn at random from the K, with Lbar_ref and
Abar_ref taken over all K), and the loss is the
off-policy PPO-clip objective on length-normalised log-prob ratios
``r = exp(mean log pi_theta(y|x) - mean log pi_ref(y|x))``:
``loss = -mean(min(r * R, clip(r, 1 - eps, 1 + eps) * R))`` with eps = 0.2.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import torch
from datasets import Dataset
from transformers import Trainer, TrainingArguments

from elastic_bench.baselines.common import gather_objects, process_rank, world_size
from elastic_bench.baselines.reference import ReferenceSet


@dataclass
class O1PrunerConfig(TrainingArguments):
    """TrainingArguments plus the O1-Pruner objective's constants."""

    pruner_lambda: float = field(default=2.0, metadata={"help": "weight of the accuracy term"})
    clip_epsilon: float = field(default=0.2, metadata={"help": "PPO clip range"})
    advantage_min: float = field(default=-2.0, metadata={"help": "rewards clipped below"})
    advantage_max: float = field(default=4.0, metadata={"help": "rewards clipped above"})
    advantage_floor: float | None = field(
        default=None,
        metadata={
            "help": "floor the z-scored advantages here (0: no sample is pushed down; not in the paper, "
            "which leaves them unfloored: None)"
        },
    )
    max_length: int = field(default=1024, metadata={"help": "prompt + completion tokens kept"})
    samples_per_problem: int = field(
        default=0, metadata={"help": "reference samples trained on per problem, drawn at random (0: all K)"}
    )
    remove_unused_columns: bool = False


CONFIG_CLASS = O1PrunerConfig
FORCED = {"remove_unused_columns": False}


def rewards(refs: ReferenceSet, lam: float = 2.0) -> list[float]:
    """R = Lbar_ref/L - 1 + lam * (A - Abar_ref) per sample, in ``refs.samples`` order."""
    stats = {}
    for pid, samples in refs.by_problem().items():
        stats[pid] = (
            sum(s.total_tokens for s in samples) / len(samples),
            sum(s.correct for s in samples) / len(samples),
        )
    out = []
    for s in refs.samples:
        mean_len, mean_acc = stats[s.problem_id]
        out.append(mean_len / max(s.total_tokens, 1) - 1.0 + lam * (float(s.correct) - mean_acc))
    return out


def advantages(
    values: list[float], low: float = -2.0, high: float = 4.0, floor: float | None = None
) -> list[float]:
    """Clip to [low, high], then z-score (population std, as in the paper's code); with ``floor``,
    z-scored values below it are raised to it (``floor=0``: below-average samples are not pushed down)."""
    t = torch.tensor(values, dtype=torch.float64).clamp(low, high)
    std = t.std(unbiased=False)
    t = (t - t.mean()) / (std if std > 0 else 1.0)
    if floor is not None:
        t = t.clamp(min=floor)
    return t.tolist()


def o1_pruner_loss(
    logp: torch.Tensor, ref_logp: torch.Tensor, adv: torch.Tensor, eps: float = 0.2
) -> torch.Tensor:
    """PPO-clip on length-normalised log-prob ratios: ``-mean(min(r A, clip(r, 1-eps, 1+eps) A))``."""
    ratio = torch.exp(logp - ref_logp)
    unclipped = ratio * adv
    clipped = ratio.clamp(1.0 - eps, 1.0 + eps) * adv
    return -torch.minimum(unclipped, clipped).mean()


def mean_logprob(
    model, input_ids: torch.Tensor, attention_mask: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Mean log-probability of the completion tokens (``mask`` = 1 on completion positions)."""
    logits = model(input_ids=input_ids, attention_mask=attention_mask).logits[:, :-1].float()
    target = input_ids[:, 1:]
    logps = torch.log_softmax(logits, dim=-1).gather(-1, target.unsqueeze(-1)).squeeze(-1)
    m = mask[:, 1:].to(logps.dtype)
    return (logps * m).sum(-1) / m.sum(-1).clamp(min=1.0)


def _collate(pad_id: int):
    def collate(rows: list[dict]) -> dict:
        width = max(len(r["input_ids"]) for r in rows)
        ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
        att = torch.zeros((len(rows), width), dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):  # right padding
            n = len(r["input_ids"])
            ids[i, :n] = torch.tensor(r["input_ids"])
            att[i, :n] = 1
            mask[i, r["prompt_len"] : n] = 1
        return {
            "input_ids": ids,
            "attention_mask": att,
            "completion_mask": mask,
            "advantage": torch.tensor([r["advantage"] for r in rows], dtype=torch.float32),
            "ref_logp": torch.tensor([r["ref_logp"] for r in rows], dtype=torch.float32),
        }

    return collate


def select(refs: ReferenceSet, per_problem: int, seed: int) -> list[int]:
    """Indices (into ``refs.samples``) of ``per_problem`` samples per problem drawn by ``seed`` (0: all)."""
    if per_problem <= 0:
        return list(range(len(refs.samples)))
    rng = random.Random(seed)
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(refs.samples):
        groups.setdefault(s.problem_id, []).append(i)
    chosen = []
    for indices in groups.values():
        rng.shuffle(indices)
        chosen += sorted(indices[:per_problem])
    return chosen


def build_dataset(refs: ReferenceSet, tokenizer, model, args: O1PrunerConfig) -> Dataset:
    """Rows with token ids, the z-scored advantage and the base model's mean log-prob (off-policy)."""
    reward = rewards(refs, args.pruner_lambda)  # Lbar_ref, Abar_ref over all K samples
    keep = select(refs, args.samples_per_problem, args.seed)
    advs = advantages([reward[i] for i in keep], args.advantage_min, args.advantage_max, args.advantage_floor)
    rows = []
    for s, adv in zip([refs.samples[i] for i in keep], advs, strict=True):
        prompt = tokenizer(s.prompt, add_special_tokens=False)["input_ids"]
        completion = tokenizer(s.completion, add_special_tokens=False)["input_ids"]
        ids = (prompt + completion)[: args.max_length]
        rows.append({"input_ids": ids, "prompt_len": len(prompt), "advantage": adv, "ref_logp": 0.0})
    values = reference_logprobs(model, rows, _collate(tokenizer.pad_token_id or 0))
    for row, value in zip(rows, values, strict=True):
        row["ref_logp"] = value
    return Dataset.from_list(rows)


def reference_logprobs(model, rows: list[dict], collate, batch_size: int = 16) -> list[float]:
    """pi_ref: the base model's mean completion log-prob of every row, before any update. With
    several training processes each computes its share of the batches (the very batches one process
    would), and every process gets all of them."""
    starts = list(range(0, len(rows), batch_size))
    mine: dict[int, list[float]] = {}
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for start in starts[process_rank() :: world_size()]:
            batch = collate(rows[start : start + batch_size])
            lp = mean_logprob(model, batch["input_ids"], batch["attention_mask"], batch["completion_mask"])
            mine[start] = lp.tolist()
    model.train(was_training)
    merged: dict[int, list[float]] = {}
    for share in gather_objects([mine]):
        merged.update(share)
    return [value for start in starts for value in merged[start]]


class O1PrunerTrainer(Trainer):
    """Trainer whose ``compute_loss`` is the O1-Pruner objective."""

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        logp = mean_logprob(model, inputs["input_ids"], inputs["attention_mask"], inputs["completion_mask"])
        loss = o1_pruner_loss(logp, inputs["ref_logp"], inputs["advantage"], self.args.clip_epsilon)
        return (loss, {"logp": logp}) if return_outputs else loss


def make_trainer(
    model, tokenizer, refs: ReferenceSet, args: O1PrunerConfig, callbacks=None
) -> O1PrunerTrainer:
    """The O1-Pruner trainer on ``args.samples_per_problem`` reference samples per problem (0: all K)."""
    return O1PrunerTrainer(
        model=model,
        args=args,
        train_dataset=build_dataset(refs, tokenizer, model, args),
        data_collator=_collate(tokenizer.pad_token_id or 0),
        processing_class=tokenizer,
        callbacks=callbacks,
    )
