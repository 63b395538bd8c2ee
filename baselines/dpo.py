"""DPO baseline: chosen = shortest correct reference sample, rejected = longest (TRL DPOTrainer)."""

from __future__ import annotations

from datasets import Dataset
from trl import DPOConfig, DPOTrainer

from elastic_bench.baselines.reference import ReferenceSet

CONFIG_CLASS = DPOConfig
FORCED: dict = {}


def _body(text: str, eos: str | None) -> str:
    return text[: -len(eos)] if eos and text.endswith(eos) else text


def build_dataset(refs: ReferenceSet, tokenizer) -> Dataset:
    """``prompt`` / ``chosen`` / ``rejected`` rows (plain text; DPOTrainer appends EOS)."""
    rows = []
    eos = tokenizer.eos_token
    for samples in refs.by_problem().values():
        correct = [s for s in samples if s.correct]
        if not correct:
            continue
        chosen = min(correct, key=lambda s: s.total_tokens)
        rejected = max(samples, key=lambda s: s.total_tokens)
        if rejected.total_tokens <= chosen.total_tokens:
            continue  # nothing to prefer
        rows.append(
            {
                "prompt": chosen.prompt,
                "chosen": _body(chosen.completion, eos),
                "rejected": _body(rejected.completion, eos),
            }
        )
    if not rows:
        raise ValueError("no problem has a correct sample shorter than its longest one")
    return Dataset.from_list(rows)


def make_trainer(model, tokenizer, refs: ReferenceSet, args: DPOConfig, callbacks=None) -> DPOTrainer:
    """The TRL DPOTrainer (reference model: a frozen copy of the base, made by TRL)."""
    return DPOTrainer(
        model=model,
        args=args,
        train_dataset=build_dataset(refs, tokenizer),
        processing_class=tokenizer,
        callbacks=callbacks,
    )
