"""What every training recipe shares: loading the base model, the training problems, prompts."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from elastic_bench.models.tokenized import render_chat
from elastic_bench.tasks.prompts import render
from elastic_bench.tasks.toy.arithmetic import Problem, generate

#: the assistant turn is the loss target: generation markers around it (prompts render unchanged)
TRAINING_CHAT_TEMPLATE_MARK = "{% generation %}"
#: ``DataConfig.train_set`` of the tiny reasoner's synthetic arithmetic (its TRAIN split)
TOY_TRAIN_SET = "toy"


def load_base(base: str | Path):
    """``(model, tokenizer)`` of a causal LM; ValueError (one line) when ``base`` is not one."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    try:
        config = AutoConfig.from_pretrained(str(base))
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"base {base!r} is not a model folder or hub id: {str(exc).splitlines()[0]}"
        ) from None
    if config.model_type not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        raise ValueError(f"base {base!r} is not a causal LM (model_type {config.model_type!r})")
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModelForCausalLM.from_pretrained(str(base))
    return model, tokenizer


@dataclass(frozen=True)
class TrainingProblem:
    """One problem of a math training set (the fields the recipes use: id, text, gold answer)."""

    id: str
    problem: str
    answer: str


def training_problems(
    n_problems: int,
    seed: int = 0,
    train_set: str = TOY_TRAIN_SET,
    grader: str = "toy",
    revision: str | None = None,
) -> list[Problem] | list[TrainingProblem]:
    """``n_problems`` training problems, deterministic by ``seed``; never a test problem.

    ``train_set`` ``"toy"`` is the toy task's TRAIN split; anything else is a math training set (a
    Hub dataset id such as ``agentica-org/DeepScaleR-Preview-Dataset``, or a local JSON / JSONL /
    Parquet file) whose rows are shuffled by ``seed`` and cut to the first ``n_problems`` (so a
    larger set extends a smaller one), with golds prepared for ``grader``'s benchmark.
    """
    if int(n_problems) < 1:
        raise ValueError(f"n_problems must be a positive integer, got {n_problems!r}")
    if train_set == TOY_TRAIN_SET:
        return generate("train", int(n_problems), seed=int(seed))
    from elastic_bench.tasks.math.data import load_training_set

    records = load_training_set(train_set, grader, revision=revision)
    if int(n_problems) > len(records):
        raise ValueError(f"training set {train_set!r} has {len(records)} problems; n_problems={n_problems}")
    order = list(range(len(records)))
    random.Random(int(seed)).shuffle(order)
    return [
        TrainingProblem(records[i]["id"], records[i]["problem"], records[i]["answer"])
        for i in order[:n_problems]
    ]


def training_set_label(train_set: str, n_problems: int, seed: int, revision: str | None = None) -> str:
    """How a training record names its problems."""
    if train_set == TOY_TRAIN_SET:
        return f"elastic_bench.tasks.toy.arithmetic split=train n={n_problems} seed={seed}"
    at = f"@{revision}" if revision else ""
    return f"{train_set}{at} n={n_problems} seed={seed}"


def prompt_text(tokenizer, problem: str, template: str = "e1") -> str:
    """The prompt exactly as the elastic tasks render it (chat template + generation prompt)."""
    return render_chat(tokenizer, [{"role": "user", "content": render(problem, template)}])


def with_generation_markers(template: str) -> str:
    """The chat template with ``{% generation %}`` around the assistant turn's content.

    Works for the ChatML-style loop ``<|im_start|>{{ role }}\\n{{ content }}<|im_end|>\\n``; the
    rendering of prompts (system/user turns + generation prompt) is unchanged.
    """
    if TRAINING_CHAT_TEMPLATE_MARK in template:
        return template
    old = "{{ message['content'] }}<|im_end|>\n"  # HF renders with trim_blocks: keep the newline in a {{ }}
    if old not in template:
        raise ValueError("chat template has no ChatML assistant turn to mark; add {% generation %} by hand")
    new = (
        "{% if message['role'] == 'assistant' %}{% generation %}{{ message['content'] }}<|im_end|>"
        "{% endgeneration %}{% else %}{{ message['content'] }}<|im_end|>{% endif %}{{ '\\n' }}"
    )
    return template.replace(old, new)


def world_size() -> int:
    """Training processes of this run: ``WORLD_SIZE`` as ``accelerate launch`` / torchrun set it (1 alone)."""
    return max(1, int(os.environ.get("WORLD_SIZE") or 1))


def check_launch() -> None:
    """ValueError (one line) for ``accelerate launch --cpu --num_processes N`` with N > 1: accelerate
    starts one process there (several CPU processes need its mpirun setup), which would train alone
    while the user waits for N."""
    cpu_launch = os.environ.get("ACCELERATE_USE_CPU", "").lower() in ("1", "true")
    if cpu_launch and os.environ.get("MASTER_ADDR") and "WORLD_SIZE" not in os.environ:
        raise ValueError(
            "accelerate launch --cpu starts a single process whatever --num_processes says; for N CPU "
            "processes run `accelerate launch --multi_gpu --num_processes N -m elastic_bench.baselines.train_cli "
            "...` (CPU processes when the recipe says use_cpu) or `torchrun --nproc-per-node N -m ...`"
        )


def process_rank() -> int:
    """This process's rank among :func:`world_size` (0 alone)."""
    return int(os.environ.get("RANK") or 0)


def is_main_process() -> bool:
    """Whether this process writes the run's files (checkpoint, record, caches): rank 0."""
    return process_rank() == 0


def wait_for_everyone() -> None:
    """Barrier across the training processes (nothing alone)."""
    if world_size() > 1:
        from accelerate import PartialState

        PartialState().wait_for_everyone()


@contextmanager
def main_process_first() -> Iterator[None]:
    """Rank 0 runs the block first (it writes what the others then read, e.g. a reference cache)."""
    if not is_main_process():
        wait_for_everyone()
    yield
    if is_main_process():
        wait_for_everyone()


def gather_objects(items: list) -> list:
    """Every process's ``items`` concatenated in rank order (``items`` alone)."""
    if world_size() == 1:
        return list(items)
    from accelerate.utils import gather_object

    return gather_object(list(items))
