"""Reference sampling (O1-Pruner's shared first step): K samples per training problem from the base.

Each sample keeps its thinking length, total length and correctness (graded by the project's
grader). Generation runs through the project's batched budgeted generator
(:class:`~elastic_bench.models.hf_generator.HFTokenGenerator` under
:class:`~elastic_bench.harness.generation._strategies.BudgetedGenerator`, unconstrained elastic budget), and
the set is cached on disk keyed by base weights + problems + sampling settings, so SFT, DPO and
O1-Pruner reuse one sampling pass.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from elastic_bench.harness.generation import Budget, BudgetedGenerator, BudgetedRequest, Sampling
from elastic_bench.harness.grading import grade_many
from elastic_bench.harness.provenance import sha256_text, weights_sha256

CACHE_VERSION = 2


@dataclass(frozen=True)
class ReferenceSample:
    """One sample of the base model for one training problem."""

    problem_id: str
    user: str  # the user turn (rendered problem)
    prompt: str  # the full prompt the model saw (chat template + generation prompt)
    completion: str
    answer: str
    think_tokens: int
    total_tokens: int
    correct: bool


@dataclass
class ReferenceSet:
    """K graded samples per problem, with the facts a training record needs."""

    key: str
    base_weights_sha256: str | None
    problems_sha256: str
    settings: dict
    samples: list[ReferenceSample] = field(default_factory=list)
    generated_tokens: int = 0
    wall_time_seconds: float = 0.0
    cache_hit: bool = False

    def by_problem(self) -> dict[str, list[ReferenceSample]]:
        """Samples grouped by problem id (problem order kept)."""
        groups: dict[str, list[ReferenceSample]] = {}
        for s in self.samples:
            groups.setdefault(s.problem_id, []).append(s)
        return groups

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("cache_hit")
        return data

    @classmethod
    def from_json(cls, data: dict) -> ReferenceSet:
        samples = [ReferenceSample(**s) for s in data.pop("samples")]
        return cls(**data, samples=samples, cache_hit=True)


def problems_sha256(problems: list) -> str:
    """Content hash of the training problems (id, text, answer)."""
    rows = [[p.id, p.problem, p.answer] for p in problems]
    return sha256_text(json.dumps(rows, separators=(",", ":")))


def reference_key(weights: str | None, problems_hash: str, settings: dict) -> str:
    """The cache key: base weights + problems + sampling settings."""
    blob = json.dumps({"v": CACHE_VERSION, "w": weights, "p": problems_hash, "s": settings}, sort_keys=True)
    return sha256_text(blob)[:24]


def sample_references(
    base: str | Path,
    problems: list,
    k: int,
    *,
    temperature: float = 1.0,
    top_p: float = 1.0,
    max_tokens: int = 1024,
    seed: int = 0,
    benchmark: str = "toy",
    prompt_template: str = "e1",
    batch_size: int = 64,
    cache_dir: str | Path | None = None,
    model=None,
    tokenizer=None,
) -> ReferenceSet:
    """K samples per problem from ``base``, graded, cached under ``cache_dir`` (when given)."""
    from elastic_bench.baselines.common import load_base, prompt_text
    from elastic_bench.models.hf_generator import HFTokenGenerator

    if int(k) < 1:
        raise ValueError(f"k (samples per problem) must be >= 1, got {k}")
    settings = {
        "k": int(k),
        "temperature": float(temperature),
        "top_p": float(top_p),
        "max_tokens": int(max_tokens),
        "seed": int(seed),
        "benchmark": benchmark,
        "prompt_template": prompt_template,
    }
    weights = weights_sha256(base) if Path(str(base)).is_dir() else None
    p_hash = problems_sha256(problems)
    key = reference_key(weights or str(base), p_hash, settings)
    path = Path(cache_dir) / f"references-{key}.json" if cache_dir else None
    if path is not None and path.is_file():
        return ReferenceSet.from_json(json.loads(path.read_text()))

    if model is None or tokenizer is None:
        model, tokenizer = load_base(base)
    model.eval()
    start = time.monotonic()
    backend = HFTokenGenerator(model, tokenizer, batch_size=batch_size)
    generator = BudgetedGenerator(backend)
    sampling = Sampling(temperature=float(temperature), top_p=float(top_p))
    budget = Budget(thinking=None, solution=None, max_tokens=int(max_tokens))
    from elastic_bench.tasks.prompts import render

    users = [render(p.problem, prompt_template) for p in problems]
    prompts = [prompt_text(tokenizer, p.problem, prompt_template) for p in problems]
    requests = [
        BudgetedRequest(tuple(backend.encode(prompt)), budget, sampling, sample_index=j, seed=int(seed))
        for prompt in prompts
        for j in range(int(k))
    ]
    with tqdm(total=len(requests), desc="reference sampling", unit="sample") as bar:
        results = generator.run(
            requests, groups_per_batch=batch_size, on_done=lambda i, _r: bar.update(len(i))
        )
    texts = [backend.decode(r.output_ids()) for r in results]
    items = [(text, problems[i // int(k)].answer, benchmark) for i, text in enumerate(texts)]
    grades = grade_many(items)
    samples = [
        ReferenceSample(
            problem_id=problems[i // int(k)].id,
            user=users[i // int(k)],
            prompt=prompts[i // int(k)],
            completion=texts[i],
            answer=problems[i // int(k)].answer,
            think_tokens=r.think_tokens,
            total_tokens=r.total_tokens,
            correct=bool(g.correct),
        )
        for i, (r, g) in enumerate(zip(results, grades, strict=True))
    ]
    refs = ReferenceSet(
        key=key,
        base_weights_sha256=weights,
        problems_sha256=p_hash,
        settings=settings,
        samples=samples,
        generated_tokens=sum(r.total_tokens for r in results),
        wall_time_seconds=round(time.monotonic() - start, 2),
    )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(refs.to_json()))
        tmp.replace(path)
    return refs
