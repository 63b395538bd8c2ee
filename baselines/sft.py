"""SFT baseline: fine-tune on the 2 shortest correct reference samples per problem (TRL SFTTrainer).

The loss covers the assistant turn only: the chat template gets ``{% generation %}`` markers
(prompts render exactly as before) and ``assistant_only_loss=True``.
"""

from __future__ import annotations

from datasets import Dataset
from trl import SFTConfig, SFTTrainer

from elastic_bench.baselines.common import with_generation_markers
from elastic_bench.baselines.reference import ReferenceSample, ReferenceSet

CONFIG_CLASS = SFTConfig
#: shortest correct samples kept per problem
SAMPLES_PER_PROBLEM = 2
#: what every SFT recipe sets regardless of the YAML
FORCED = {"assistant_only_loss": True}


def assistant_content(sample: ReferenceSample, tokenizer) -> str:
    """The assistant turn: the generation prompt's ``<think>`` opening + the sample without EOS."""
    opening = sample.prompt[sample.prompt.rfind("assistant\n") + len("assistant\n") :]
    body = sample.completion
    if tokenizer.eos_token and body.endswith(tokenizer.eos_token):
        body = body[: -len(tokenizer.eos_token)]
    return opening + body


def build_dataset(refs: ReferenceSet, tokenizer) -> Dataset:
    """``messages`` rows: user turn + one of the shortest correct samples."""
    rows = []
    for samples in refs.by_problem().values():
        correct = sorted((s for s in samples if s.correct), key=lambda s: s.total_tokens)
        for s in correct[:SAMPLES_PER_PROBLEM]:
            rows.append(
                {
                    "messages": [
                        {"role": "user", "content": s.user},
                        {"role": "assistant", "content": assistant_content(s, tokenizer)},
                    ]
                }
            )
    if not rows:
        raise ValueError("no correct reference sample to fine-tune on")
    return Dataset.from_list(rows)


def make_trainer(model, tokenizer, refs: ReferenceSet, args: SFTConfig, callbacks=None) -> SFTTrainer:
    """The TRL SFTTrainer for this recipe (the tokenizer's template gains generation markers)."""
    tokenizer.chat_template = with_generation_markers(tokenizer.chat_template)
    return SFTTrainer(
        model=model,
        args=args,
        train_dataset=build_dataset(refs, tokenizer),
        processing_class=tokenizer,
        callbacks=callbacks,
    )
