"""The contract between tasks, backends, the result converter and the app; it imports nothing.

Each fact here is defined once: the end-of-thinking marker and how a response splits at it, the
budgeting strategies, the generation keys a task adds per budget, how a budget subtask is named, the
per-sample metrics a task reports, and the verdicts a program gets on a code task's tests.
"""

from __future__ import annotations

import re

#: the default end-of-thinking marker (R1-distill, DeepScaleR, QwQ, the tiny reasoner)
THINK_END = "</think>"
#: end-of-thinking markers of known reasoning-model families, accepted as written even where a
#: tokenizer splits them into several tokens: R1 distills, QwQ, Qwen3, DeepScaleR; Sky-T1 and
#: Bespoke-Stratos; Kimi's thinking models
KNOWN_THINK_END_MARKERS: tuple[str, ...] = (THINK_END, "<|end_of_thought|>", "◁/think▷")

#: strategies the budgeted generator runs: E1 separate budgeting, one-phase truncation, s1 budget
#: forcing, the budget stated in the prompt (L1 / TALE), O1-Pruner's fast-solving prompt
ELASTIC = "elastic"
TRUNCATE = "truncate"
FORCE = "force"
PROMPT = "prompt"
FAST = "fast"
RUNNABLE_STRATEGIES: tuple[str, ...] = (ELASTIC, TRUNCATE, FORCE, PROMPT, FAST)
#: every strategy a result file may state (published rows may have used no budget at all)
NO_STRATEGY = "none"
STRATEGY_NAMES: tuple[str, ...] = (*RUNNABLE_STRATEGIES, NO_STRATEGY)
#: strategies that stop thinking at the budget (a result's mean thinking cannot exceed it)
THINK_CAPPED_STRATEGIES: tuple[str, ...] = (ELASTIC, TRUNCATE, FORCE)

#: what ``elastic-bench run`` evaluates when told nothing: the embedded tiny reasoner's sweep
DEFAULT_BACKEND = "elastic-hf"
DEFAULT_TASK = "elastic_toy"
#: the seed of a run (lm-eval's python, numpy, torch and few-shot seeds) and of our backends' sampling
DEFAULT_SEED = 1234
#: a backend's cap on new tokens per request when a task sets no ``max_gen_toks``
DEFAULT_MAX_GEN_TOKS = 4096
#: the budget sentence of the ``prompt`` strategy when a task names none (L1's "Think for N tokens.")
DEFAULT_WORDING = "l1"
#: the sampling parameters our backends apply (a task's other keys, such as ``min_p``, are not)
APPLIED_SAMPLING = ("do_sample", "temperature", "top_p", "top_k")

#: generation kwargs our tasks add per budget; lm-eval passes unknown keys through untouched
BUDGET_KEYS = ("thinking_budget", "solution_budget", "strategy", "min_thinking_budget", "budget_wording")

#: the label of the point without a thinking budget
UNCONSTRAINED = "unconstrained"
#: a budget subtask's name: ``<group>_t00512`` / ``<group>_unconstrained``
SUBTASK_RE = re.compile(r"^(?P<group>.+)_(?:t(?P<budget>\d+)|(?P<unc>unconstrained))$")

#: how a code program is run and judged: ``lcb`` reproduces LiveCodeBench's own runner (its
#: in-process quirks included, which is what published LiveCodeBench numbers mean), ``judge`` runs it
#: as a contest judge does (a process on real stdin; a non-zero exit is a runtime error). Results
#: graded under different semantics are never ranked together.
GRADING_SEMANTICS = ("lcb", "judge")
#: how each grading semantics reads in tables and on the leaderboard
SEMANTICS_LABELS = {"lcb": "LiveCodeBench's runner", "judge": "a contest judge"}

#: every per-test reason a code executor may give
REASONS = (
    "passed",
    "wrong_answer",
    "runtime_error",
    "time_limit",
    "memory_limit",
    "compile_error",
    "output_limit",
    "not_run",  # a test skipped after an earlier failure (stop at first failure)
)
#: final verdicts of a generated program on a code task's tests (one per sample): the executor's
#: per-test reasons (less "not_run"), plus no code found and a sandbox failure
TEST_VERDICTS = (*(r for r in REASONS if r != "not_run"), "no_code", "sandbox_error")

#: per-sample metrics every elastic_* subtask reports (each the mean over a doc's k samples);
#: the contract between the tasks' process_results and the result converter; ``prompt_tokens`` is
#: the problem's prompt as sent (chat template applied), once per request (NaN where unknown)
SAMPLE_METRICS = (
    "acc",
    "think_tokens",
    "answer_tokens",
    "total_tokens",
    "prompt_tokens",
    "think_truncated",
    "answer_truncated",
    "no_answer",
    "boxed",
    "fallback_answer",
    "grade_timeout",
)
#: the code tasks' per-sample metrics: no boxes, but the share of samples per final test verdict and
#: ``pass_bits`` (bit j set when sample j passed; per-sample Codeforces ratings need which samples)
CODE_SAMPLE_METRICS = (
    *(m for m in SAMPLE_METRICS if m not in ("boxed", "fallback_answer", "grade_timeout")),
    *(f"verdict_{v}" for v in TEST_VERDICTS),
    "pass_bits",
)
#: the per-sample metrics where more is better (lm-eval's ``higher_is_better``); every other one,
#: tokens, truncation, no answer and the failure verdicts, is better lower
HIGHER_IS_BETTER = frozenset({"acc", "verdict_passed"})

#: the response journal's tables (a backend's ``journal=`` SQLite file): one row per finished response
#: (a resumed run reads them instead of generating again), and one row per generation (appended each
#: time a response is generated, so a response generated twice shows twice); the evaluation queue reads
#: its progress from them
JOURNAL_RESPONSES_TABLE = "responses"
JOURNAL_GENERATIONS_TABLE = "generations"


def split_thinking(text: str, marker: str | None = THINK_END) -> tuple[str, str | None]:
    """(thinking, solution) split at the LAST marker; solution is None when there is no marker.

    An empty ``marker`` (or None) means the model does not think apart: the whole text is the solution.
    """
    if not marker:
        return "", text
    at = text.rfind(marker)
    if at < 0:
        return text, None
    return text[:at], text[at + len(marker) :]


_SAFE_PUNCTUATION = "-_."


def safe_filename(text: str) -> str:
    """``text`` with every character other than a letter, digit, ``-``, ``_`` or ``.`` made ``_``."""
    return "".join(c if c.isalnum() or c in _SAFE_PUNCTUATION else "_" for c in text)
