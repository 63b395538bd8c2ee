"""The benchmark registry: one declarative entry per benchmark, read by everything else.

A benchmark's identity (names and aliases), its data (pinned Hub sources, offline files, expected
count), how it is prompted and graded, its budget-sweep defaults and the end-of-thinking marker
live here and nowhere else. The task YAMLs (``tasks/build.py``), the data loaders, the grader
choice and the leaderboard all read this table; adding a benchmark means adding one entry (plus a
grader if it is a new kind of answer).

This module is pure data: it imports nothing of tasks, models or the app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from elastic_bench.harness.protocol import ELASTIC, GRADING_SEMANTICS, THINK_END
from elastic_bench.harness.registry import Registry, UnknownName


@dataclass(frozen=True)
class HubSource:
    """A public Hugging Face dataset and the revision we pin it to (``None`` = default branch)."""

    id: str
    revision: str | None
    split: str
    config: str | None = None
    #: configs concatenated in order (datasets split into parts, e.g. MATH by subject)
    configs: tuple[str, ...] = ()

    @property
    def tag(self) -> str:
        """``hf:<id>@<revision>``, the ``source`` of records loaded from it."""
        return f"hf:{self.id}@{self.revision or 'default-branch'}"


@dataclass(frozen=True)
class SweepDefaults:
    """How a benchmark's budget sweep runs by default (the generated task YAMLs)."""

    budgets: tuple[int, ...]
    solution_budget: int
    max_gen_toks: int
    do_sample: bool = False
    temperature: float = 0.0
    top_p: float = 1.0
    #: k samples per problem (avg@k)
    repeats: int = 1
    strategy: str = ELASTIC
    #: how the sampling protocol is named in the generated files' headers
    protocol: str = "greedy"

    @property
    def summary(self) -> str:
        """``greedy`` or ``E1 sampling, avg@16``: the protocol and, when sampling, k."""
        return f"{self.protocol}, avg@{self.repeats}" if self.do_sample else self.protocol


@dataclass(frozen=True)
class Benchmark:
    """One benchmark: identity, data, prompt, grader and sweep defaults.

    ``answer_kind`` tells the grader how to compare (``latex``, ``number``, ``integer``,
    ``gaokao`` multiple-choice-or-latex, ``toy``, ``code``); ``grader`` names the Grader implementation
    (``math``, or ``code`` for the code benchmarks). ``family`` names the task package whose
    loader and lm-eval hooks serve it (``tasks/<family>``). ``components`` lists the data
    benchmarks a sweep concatenates (``aime`` = aime24 + aime25); a benchmark with its own data
    has none. ``prompt_template`` names a template of ``tasks/prompts.py``.
    """

    name: str
    description: str
    answer_kind: str
    grader: str = "math"
    family: str = "math"
    aliases: tuple[str, ...] = ()
    hub: HubSource | None = None
    #: offline copies, relative to the data directory; the first one present is read
    local_files: tuple[str, ...] = ()
    expected_count: int | None = None
    #: in a copy that mixes records with and without this in their ``url``, keep those with it
    #: (AMC 2023 out of a 2022 + 2023 file); a copy where all or none match is kept whole
    url_filter: str | None = None
    components: tuple[str, ...] = ()
    prompt_template: str = "e1"
    think_end: str = THINK_END
    strict_boxed: bool = False  # only a \boxed{} answer counts (a protocol that demands a box)
    #: code benchmarks: how programs are judged (``GRADING_SEMANTICS``: ``lcb`` or ``judge``)
    grading_semantics: str | None = None
    #: ``None``: no task group of its own (data-only, e.g. the full MATH test set)
    sweep: SweepDefaults | None = None
    #: task group name; defaults to ``elastic_<name>``
    group: str | None = None
    #: extra task metadata written into the YAMLs
    metadata: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.grading_semantics not in (None, *GRADING_SEMANTICS):
            raise ValueError(f"{self.name}: unknown grading semantics {self.grading_semantics!r}")

    @property
    def task_group(self) -> str:
        """The lm-eval group name of this benchmark's sweep."""
        return self.group or f"elastic_{self.name}"

    @property
    def parts(self) -> tuple[str, ...]:
        """The data benchmarks this one is made of (itself when it has no components)."""
        return self.components or (self.name,)

    def task_name(self, budget: int | None) -> str:
        """The subtask of one budget: ``<group>_t00512``, or ``<group>_unconstrained`` for None."""
        return f"{self.task_group}_unconstrained" if budget is None else f"{self.task_group}_t{budget:05d}"

    @property
    def task_names(self) -> list[str]:
        """The sweep's subtasks in order: one per budget, then the unconstrained one."""
        return [self.task_name(b) for b in [*self.sweep.budgets, None]] if self.sweep else []

    @property
    def label(self) -> str:
        """How people see it: ``aime24 · AIME 2024 (30)``."""
        return f"{self.name} · {self.description}"


# Protocol of Elastic Reasoning (E1, arXiv 2505.05315) / DeepScaleR for the math sweeps: the E1
# prompt, sampling with temperature 0.6 and top_p 0.95, thinking budgets t in {512, 1024, 2048,
# 4096} with a solution budget s = 1024 (separate budgeting, strategy "elastic"), plus an
# unconstrained point.
#
# k (``repeats``, avg@k): 16 for AIME and AMC as in E1 (30-60 problems: k=16 is what makes the
# estimate stable). For the large sets the problem-to-problem variance dominates the standard
# error, so extra samples buy little: MATH500 and GaoKao (500 / 385 problems) use k=4, GSM8K
# (1,319 problems, near-ceiling accuracy) k=1. Every k can be changed per run (``--k``).
#
# Unconstrained ``max_gen_toks`` caps the thinking phase: 32768 for the competition sets (the
# DeepScaleR / E1 evaluation context; E1's unconstrained AIME answers average ~7k tokens with a
# long tail), 8192 for GSM8K (the O1-Pruner evaluation cap). GSM8K is far easier, so its budgets
# are smaller: t in {128, 256, 512, 1024}, s = 512.
MATH_BUDGETS = (512, 1024, 2048, 4096)
#: E1's sampling, for its math and code sweeps
E1_TEMPERATURE = 0.6
E1_TOP_P = 0.95
GSM8K_BUDGETS = (128, 256, 512, 1024)


# Code sweeps (LiveCodeBench, Codeforces), same E1 sampling (temperature 0.6, top_p 0.95). A code
# answer is a whole program (often 300-1500 tokens with its explanation), so the solution budget is
# s = 2048 rather than math's 1024, and the thinking budgets reach further: t in {1024, 2048, 4096,
# 8192} (DeepCoder-14B, E1-Code's base, thinks for many thousands of tokens unconstrained on these
# sets, so the sweep needs its upper budgets far above math's). Unconstrained cap 32768 as for math. k: Codeforces 8 (E1 / CodeElo:
# eight attempts per problem); LiveCodeBench 4 (279 problems: as for MATH500 the problem-to-problem
# variance dominates, and each sample costs a full sandbox run over the tests).
CODE_BUDGETS = (1024, 2048, 4096, 8192)


def _e1_code(repeats: int) -> SweepDefaults:
    return SweepDefaults(
        budgets=CODE_BUDGETS,
        solution_budget=2048,
        max_gen_toks=32768,
        do_sample=True,
        temperature=E1_TEMPERATURE,
        top_p=E1_TOP_P,
        repeats=repeats,
        protocol="E1 sampling",
    )


def _e1_math(
    repeats: int, budgets: tuple[int, ...] = MATH_BUDGETS, solution: int = 1024, cap: int = 32768
) -> SweepDefaults:
    return SweepDefaults(
        budgets=budgets,
        solution_budget=solution,
        max_gen_toks=cap,
        do_sample=True,
        temperature=E1_TEMPERATURE,
        top_p=E1_TOP_P,
        repeats=repeats,
        protocol="E1 sampling",
    )


#: the toy sweep's problems: the first TOY_PROBLEMS of the test split generated with TOY_SEED
TOY_PROBLEMS = 200
TOY_SEED = 0

_MATH_SUBJECTS = (
    "algebra",
    "counting_and_probability",
    "geometry",
    "intermediate_algebra",
    "number_theory",
    "prealgebra",
    "precalculus",
)


class UnknownBenchmark(UnknownName):
    """A benchmark or task name that names no registry entry."""


#: every benchmark by name (aliases too, case-insensitively)
BENCHMARKS: Registry[Benchmark] = Registry("benchmark", error=UnknownBenchmark, normalize=str.lower)
for _bench in (
    Benchmark(
        name="toy",
        description="the tiny reasoner's synthetic multi-step arithmetic (test split)",
        answer_kind="toy",
        family="toy",
        sweep=SweepDefaults(budgets=(64, 128, 256, 512), solution_budget=32, max_gen_toks=1024),
        metadata={
            "n_problems": TOY_PROBLEMS,
            "seed": TOY_SEED,
            "dataset_id": "elastic_bench.tasks.toy.arithmetic",
        },
    ),
    Benchmark(
        name="math500",
        description="MATH500 (500)",
        answer_kind="latex",
        aliases=("math_500", "math-500"),
        hub=HubSource("HuggingFaceH4/MATH-500", "6e4ed1a2a79af7d8630a6b768ec859cb5af4d3be", "test"),
        local_files=("math500/test.jsonl", "math500/rllm_math500.json", "math500.jsonl"),
        expected_count=500,
        sweep=_e1_math(4),
    ),
    Benchmark(
        name="gsm8k",
        description="GSM8K test (1319)",
        answer_kind="number",
        hub=HubSource("openai/gsm8k", "740312add88f781978c0658806c59bc2815b9866", "test", config="main"),
        local_files=("gsm8k/test.jsonl", "gsm8k/qwen25math_gsm8k_test.jsonl", "gsm8k.jsonl"),
        expected_count=1319,
        sweep=_e1_math(1, GSM8K_BUDGETS, solution=512, cap=8192),
    ),
    Benchmark(
        name="gaokao",
        description="GaoKao 2023 Math English (385)",
        answer_kind="gaokao",
        aliases=("gaokao2023en", "gaokao2023", "gaokao_2023_en"),
        hub=HubSource("MARIO-Math-Reasoning/Gaokao2023-Math-En", None, "train"),
        local_files=("gaokao2023en/test.jsonl", "gaokao2023en/o1pruner_gaokao.json", "gaokao.jsonl"),
        expected_count=385,
        sweep=_e1_math(4),
    ),
    Benchmark(
        name="aime",
        description="AIME 2024 + 2025 (60)",
        answer_kind="integer",
        components=("aime24", "aime25"),
        sweep=_e1_math(16),
    ),
    Benchmark(
        name="aime24",
        description="AIME 2024 (30)",
        answer_kind="integer",
        aliases=("aime2024", "aime_2024"),
        hub=HubSource("HuggingFaceH4/aime_2024", "2fe88a2f1091d5048c0f36abc874fb997b3dd99a", "train"),
        local_files=(
            "aime2024/test.jsonl",
            "aime2024/qwq_aime24.jsonl",
            "aime2024/rllm_aime.json",
            "aime24.jsonl",
        ),
        expected_count=30,
        sweep=_e1_math(16),
    ),
    Benchmark(
        name="aime25",
        description="AIME 2025 (30)",
        answer_kind="integer",
        aliases=("aime2025", "aime_2025"),
        hub=HubSource("math-ai/aime25", "563bb8404243c5f09de6ec262f2db674fe5bce9b", "test"),
        local_files=("aime2025/test.jsonl", "aime2025/qwq_aime25.jsonl", "aime25.jsonl"),
        expected_count=30,
        sweep=_e1_math(16),
    ),
    Benchmark(
        name="amc23",
        description="AMC 2023 (40)",
        answer_kind="integer",
        aliases=("amc", "amc2023"),
        hub=HubSource("math-ai/amc23", None, "test"),
        local_files=("amc2023/test.jsonl", "amc2023/rllm_amc_2022_2023.json", "amc23.jsonl"),
        expected_count=40,
        url_filter="2023_AMC",
        sweep=_e1_math(16),
    ),
    Benchmark(
        name="math",
        description="MATH test (5000)",
        answer_kind="latex",
        aliases=("hendrycks_math", "minerva_math"),
        hub=HubSource("EleutherAI/hendrycks_math", None, "test", configs=_MATH_SUBJECTS),
        local_files=("math_test5000/test.jsonl", "math.jsonl"),
        expected_count=5000,
    ),
    Benchmark(
        name="lcb",
        description="LiveCodeBench v5, 2024-08-01..2025-02-01 (279)",
        answer_kind="code",
        grader="code",
        family="code",
        aliases=("livecodebench", "livecodebench_v5", "lcb_v5"),
        # release_v5 = test.jsonl .. test5.jsonl of the dataset repo (880 problems, 279 in the
        # contest window; hidden tests in private_test_cases). The repo's loader is a script,
        # which datasets>=4 no longer runs, so tasks/code/data.py downloads the JSONL files
        # themselves. Revision: the commit public evaluation scripts pin (unverified offline)
        hub=HubSource(
            "livecodebench/code_generation_lite",
            "48d36ed304dca42cf8ab20e941262ccd096518a3",
            "test",
            config="release_v5",
        ),
        # ids and dates come from the QwQ copy, the (public) tests from the DeepCoder copy
        local_files=(
            "livecodebench/qwq_livecodebench_v5.jsonl",
            "livecodebench/deepcoder_lcb_2408_2501_public_tests.json",
        ),
        expected_count=279,
        prompt_template="lcb",
        grading_semantics="lcb",  # what LiveCodeBench's published numbers mean
        sweep=_e1_code(4),
        metadata={
            "release": "release_v5",
            "contest_date_from": "2024-08-01",
            "contest_date_to": "2025-02-01",
        },
    ),
    Benchmark(
        name="codeforces",
        description="CodeElo Codeforces set, 57 contests of 2024 (408)",
        answer_kind="code",
        grader="code",
        family="code",
        aliases=("codeelo", "cf"),
        # no public pin of this dataset's revision found; an offline check cannot make one up
        hub=HubSource("Qwen/CodeElo", None, "test"),
        local_files=("codeforces/rllm_codeforces_codeelo408.json", "codeforces/metadata_cf.json"),
        expected_count=408,
        prompt_template="lcb",
        grading_semantics="judge",  # CodeElo submits to the real Codeforces judge
        sweep=_e1_code(8),
    ),
):
    BENCHMARKS.register(_bench.name, _bench, aliases=_bench.aliases)

_SUBTASK_SUFFIX_RE = re.compile(r"_(t\d+|unconstrained|budget.*|s\d+)(_.*)?$")


def get_benchmark(name: str) -> Benchmark:
    """The entry for a benchmark, alias or task name (``aime24``, ``elastic_aime24_t01024``, ``gaokao2023en``)."""
    key = name.strip().lower()
    if key.startswith("elastic_"):
        key = key[len("elastic_") :]
    for cand in (key, _SUBTASK_SUFFIX_RE.sub("", key)):
        if cand in BENCHMARKS:
            return BENCHMARKS.get_entry(cand)
    return BENCHMARKS.get_entry(name)  # raises UnknownBenchmark, naming what is known


def resolve_benchmark(name: str) -> str:
    """The registry name of a benchmark, alias or task name."""
    return get_benchmark(name).name


def sweeps() -> list[Benchmark]:
    """The benchmarks that have a budget sweep (a task group), in registry order."""
    return [b for b in BENCHMARKS.values() if b.sweep is not None]


def hub_metadata(benchmark: str | Benchmark) -> dict[str, str | None]:
    """``dataset_id`` / ``dataset_revision`` of a benchmark's pinned Hub source(s), parts joined by ``+``
    (``{}`` when it has none, e.g. generated data)."""
    bench = benchmark if isinstance(benchmark, Benchmark) else get_benchmark(benchmark)
    sources = [BENCHMARKS[p].hub for p in bench.components] if bench.components else [bench.hub]
    if not sources or any(s is None for s in sources):
        return {}
    ids = "+".join(s.id + (f"/{s.config}" if s.config else "") for s in sources)
    revisions = [s.revision for s in sources]
    revision = (
        None if all(r is None for r in revisions) else "+".join(r or "default-branch" for r in revisions)
    )
    return {"dataset_id": ids, "dataset_revision": revision}


def benchmark_label(name: str) -> str:
    """A benchmark's display label (its name and description), or the name itself when unregistered."""
    try:
        return get_benchmark(name).label
    except UnknownBenchmark:
        return name
