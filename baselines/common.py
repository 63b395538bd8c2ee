"""What every training recipe shares: loading the base model, the training problems, prompts."""

from __future__ import annotations

from pathlib import Path

from elastic_bench.tasks.prompts import render
from elastic_bench.tasks.toy.arithmetic import Problem, generate

#: the assistant turn is the loss target: generation markers around it (prompts render unchanged)
TRAINING_CHAT_TEMPLATE_MARK = "{% generation %}"


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


def training_problems(n_problems: int, seed: int = 0) -> list[Problem]:
    """The toy task's TRAIN split (never its test problems): ``n_problems`` deterministic by seed."""
    return generate("train", int(n_problems), seed=int(seed))


def prompt_text(tokenizer, problem: str, template: str = "e1") -> str:
    """The prompt exactly as the elastic tasks render it (chat template + generation prompt)."""
    messages = [{"role": "user", "content": render(problem, template)}]
    if not getattr(tokenizer, "chat_template", None):
        return messages[0]["content"]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


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
