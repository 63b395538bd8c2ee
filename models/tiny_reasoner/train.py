"""Train the tiny reasoner from scratch: ``python -m elastic_bench.models.tiny_reasoner.train``.

Seeded end to end (problems, traces, tokenizer, initialisation, batch order), sized to finish in
about 15-25 minutes on 2 CPU cores, and writes a transformers checkpoint folder. The defaults are the
committed checkpoint's: half the prompts state a budget with L1's sentence, and those traces count it
down (the habit itself ignores it), so L1 has a base that reads N where it decides to stop.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Callable
from pathlib import Path

import torch
from tqdm.auto import tqdm
from transformers import AutoTokenizer, GenerationConfig, Qwen2ForCausalLM, get_cosine_schedule_with_warmup

from elastic_bench.harness.generation import L1_WORDINGS, budget_sentence
from elastic_bench.harness.provenance import portable_path
from elastic_bench.models.tiny_reasoner import CHECKPOINT_DIR
from elastic_bench.models.tiny_reasoner.architecture import model_config, train_tokenizer
from elastic_bench.models.tiny_reasoner.phrasings import varied_overthinking
from elastic_bench.models.tiny_reasoner.traces import (
    Countdown,
    completion,
    overthinking,
    token_counter,
    user_message,
)
from elastic_bench.tasks.toy.arithmetic import Problem, generate

#: the budgets a budget statement in pre-training names (L1's toy target range)
STATEMENT_BUDGETS = (50, 400)
#: the share of prompts with a budget statement in the committed checkpoint's training
COMMITTED_BUDGET_STATEMENTS = 0.5


def build_examples(
    problems: list[Problem],
    seed: int,
    phrasings: bool = False,
    budget_statements: float = 0.0,
    count_tokens: Callable[[str], int] | None = None,
) -> list[tuple[str, str]]:
    """(user message, assistant completion) pairs with one overthinking trace per problem
    (``phrasings``: each line in a randomly drawn wording, :mod:`.phrasings`). A ``budget_statements``
    share of the user turns end with L1's budget sentence (either wording, N drawn uniformly from
    :data:`STATEMENT_BUDGETS`), unrelated to the trace, which is drawn exactly as without statements.
    With ``count_tokens`` those traces also restate what is left of N at every decision point
    (:class:`~.traces.Countdown`): the model reads N where it decides, but the habit ignores it."""
    if phrasings and count_tokens is not None:
        raise ValueError("the budget countdown is written in the plain traces' wording only")
    rng = random.Random(f"traces-{seed}")
    statements = random.Random(f"budget-statements-{seed}")
    examples = []
    for p in problems:
        user = user_message(p)
        countdown = None
        if budget_statements and statements.random() < budget_statements:
            wording = L1_WORDINGS[statements.choice(sorted(L1_WORDINGS))]
            budget = statements.randint(*STATEMENT_BUDGETS)
            user = f"{user} {budget_sentence(wording, budget)}"
            if count_tokens is not None:
                countdown = Countdown(budget, count_tokens)
        think = varied_overthinking(p, rng) if phrasings else overthinking(p, rng, countdown)
        examples.append((user, completion(p, think)))
    return examples


def tokenize(examples: list[tuple[str, str]], tokenizer) -> list[tuple[list[int], int]]:
    """Token ids of prompt + completion + EOS, and the prompt length (not trained on)."""
    out = []
    for user, assistant in examples:
        prompt = tokenizer.apply_chat_template(
            [{"role": "user", "content": user}], add_generation_prompt=True, tokenize=False
        )
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        completion_ids = tokenizer(assistant, add_special_tokens=False)["input_ids"]
        out.append((prompt_ids + completion_ids + [tokenizer.eos_token_id], len(prompt_ids)))
    return out


def batches(
    sequences: list[tuple[list[int], int]], tokens_per_batch: int, rng: random.Random, pad_id: int
) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Length-bucketed, padded batches (input ids, attention mask, labels) in random order."""
    order = sorted(range(len(sequences)), key=lambda i: (len(sequences[i][0]), rng.random()))
    groups: list[list[int]] = []
    current: list[int] = []
    for i in order:
        longest = max(len(sequences[j][0]) for j in [*current, i])
        if current and longest * (len(current) + 1) > tokens_per_batch:
            groups.append(current)
            current = []
        current.append(i)
    if current:
        groups.append(current)
    rng.shuffle(groups)
    result = []
    for group in groups:
        width = max(len(sequences[i][0]) for i in group)
        ids = torch.full((len(group), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(group), width), dtype=torch.long)
        labels = torch.full((len(group), width), -100, dtype=torch.long)
        for row, i in enumerate(group):
            seq, prompt_len = sequences[i]
            ids[row, : len(seq)] = torch.tensor(seq)
            mask[row, : len(seq)] = 1
            labels[row, prompt_len : len(seq)] = torch.tensor(seq[prompt_len:])
        result.append((ids, mask, labels))
    return result


def fit(model, todo: list, lr: float, desc: str) -> list[float]:
    """Train ``model`` on the (ids, mask, labels) batches in order: AdamW, 5% warmup then cosine,
    gradients clipped at 1; returns the loss of every batch."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=0.01)
    schedule = get_cosine_schedule_with_warmup(optimizer, max(1, len(todo) // 20), len(todo))
    losses = []
    progress = tqdm(todo, desc=desc, unit="batch")
    for ids, mask, labels in progress:
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        if len(losses) % 10 == 0:
            progress.set_postfix(loss=f"{sum(losses[-10:]) / 10:.4f}")
    return losses


def save_greedy(model, tokenizer, output_dir: Path) -> None:
    """Save model and tokenizer with a greedy generation config, in eval mode."""
    model.eval()
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, do_sample=False
    )
    model.save_pretrained(output_dir, safe_serialization=True)
    tokenizer.save_pretrained(output_dir)


def train(
    output_dir: Path,
    *,
    seed: int = 0,
    n_train: int = 16_000,
    epochs: int = 2,
    tokens_per_batch: int = 4096,
    lr: float = 3e-3,
    threads: int = 2,
    phrasings: bool = False,
    init_from: Path | None = None,
    budget_statements: float = 0.0,
    budget_countdown: bool = False,
) -> dict:
    """Train and save the tiny reasoner; returns a summary (steps, loss, wall time).

    ``init_from``: continue from that checkpoint (its tokenizer and weights) instead of training a
    tokenizer and starting from random weights, e.g. to teach the committed model new wordings.
    ``budget_countdown``: the budget-stated traces restate what is left of N (see
    :func:`build_examples`), counted with the model's own tokenizer."""
    if budget_countdown and not budget_statements:
        raise ValueError("a budget countdown needs budget statements (budget_statements > 0)")
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    start = time.time()
    problems = generate("train", n_train, seed=seed)
    # the tokenizer's corpus counts the countdown roughly: only the digits differ from the real count
    rough = (lambda text: len(text) // 3) if budget_countdown else None
    corpus = [
        u + "\n" + a
        for u, a in build_examples(problems[:4000], seed * 1000, phrasings, budget_statements, rough)
    ]
    output_dir.mkdir(parents=True, exist_ok=True)
    # tokenise with the tokenizer exactly as users will load it from the folder
    if init_from is None:
        train_tokenizer(corpus).save_pretrained(output_dir)
    else:
        AutoTokenizer.from_pretrained(init_from).save_pretrained(output_dir)
    tokenizer = AutoTokenizer.from_pretrained(output_dir)
    # a fresh overthinking trace per epoch: the model sees the habit's variety, not one sample
    counter = token_counter(tokenizer) if budget_countdown else None
    epoch_examples = [
        build_examples(problems, seed * 1000 + e, phrasings, budget_statements, counter)
        for e in range(epochs)
    ]
    sample = epoch_examples[0][0][1]
    if tokenizer.decode(tokenizer(sample, add_special_tokens=False)["input_ids"]) != sample:
        raise RuntimeError("the saved tokenizer does not round-trip the training text")
    if init_from is None:
        model = Qwen2ForCausalLM(model_config(tokenizer))
    else:
        model = Qwen2ForCausalLM.from_pretrained(init_from)
    model.train()
    rng = random.Random(seed)
    all_batches = []
    for examples in epoch_examples:
        all_batches += batches(tokenize(examples, tokenizer), tokens_per_batch, rng, tokenizer.pad_token_id)
    losses = fit(model, all_batches, lr, "training tiny reasoner")
    save_greedy(model, tokenizer, output_dir)
    summary = {
        "seed": seed,
        "n_train": n_train,
        "epochs": epochs,
        "steps": len(all_batches),
        "final_loss": sum(losses[-20:]) / max(1, len(losses[-20:])),
        "parameters": sum(p.numel() for p in model.parameters()),
        "wall_seconds": round(time.time() - start, 1),
        "torch_threads": threads,
    }
    if phrasings:
        summary["phrasings"] = True
    if budget_statements:
        summary["budget_statements"] = budget_statements
    if budget_countdown:
        summary["budget_countdown"] = True
    if init_from is not None:
        summary["init_from"] = portable_path(init_from)
        summary["lr"] = lr
    (output_dir / "training_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    assert math.isfinite(summary["final_loss"])
    return summary


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=CHECKPOINT_DIR)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-train", type=int, default=16_000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--tokens-per-batch", type=int, default=4096)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--init-from", type=Path, default=None, help="start from this checkpoint")
    parser.add_argument(
        "--phrasings", action="store_true", help="the variant whose traces vary in wording (phrasings.py)"
    )
    parser.add_argument(
        "--budget-statements",
        type=float,
        default=None,
        metavar="SHARE",
        help="end this share of the prompts with L1's budget sentence, unrelated to the trace "
        f"(default: {COMMITTED_BUDGET_STATEMENTS} as the committed checkpoint, 0 with --phrasings as the "
        "committed variant)",
    )
    parser.add_argument(
        "--budget-countdown",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="traces under a budget sentence restate what is left of it at every decision point "
        "(default: on whenever there are budget statements in the plain wording)",
    )
    args = parser.parse_args(argv)
    if args.budget_statements is None:
        args.budget_statements = 0.0 if args.phrasings else COMMITTED_BUDGET_STATEMENTS
    if args.budget_countdown is None:
        args.budget_countdown = bool(args.budget_statements) and not args.phrasings
    summary = train(
        args.output_dir,
        seed=args.seed,
        n_train=args.n_train,
        epochs=args.epochs,
        tokens_per_batch=args.tokens_per_batch,
        lr=args.lr,
        threads=args.threads,
        phrasings=args.phrasings,
        init_from=args.init_from,
        budget_statements=args.budget_statements,
        budget_countdown=args.budget_countdown,
    )
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
