"""Build result files from lm-eval's own outputs (results JSON + logged samples).

Any lm-eval 0.4.13 run of our tasks converts, whoever launched it. Conventions the tasks follow:

* a group per benchmark (``elastic_toy``) whose subtasks are one per thinking budget,
  ``<group>_t<budget, 5 digits>``, plus ``<group>_unconstrained``;
* each subtask's ``generation_kwargs`` carry ``thinking_budget``, ``solution_budget``,
  ``strategy``, ``max_gen_toks`` and the sampling parameters; ``repeats`` is k;
* its ``metadata`` may carry ``benchmark``, ``prompt_template``, ``end_of_thinking_marker``,
  ``dataset_id``, ``dataset_revision``, ``dataset_sha256``;
* per-doc metrics are those of :data:`~elastic_bench.harness.results._schema.SAMPLE_METRICS` (each the
  mean over the doc's k samples).

Reading the files is :mod:`.lm_eval_output`, the per-budget points :mod:`.points`, hashes, versions
and hardware :mod:`.provenance`; this module assembles the result files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from elastic_bench.harness.lmeval._model_args import parse_model_args
from elastic_bench.harness.lmeval._output import (
    ConversionError,
    Subtask,
    attach_samples,
    collect_subtasks,
    find_run_outputs,
    opt_int,
    read_results,
)
from elastic_bench.harness.lmeval._points import build_points
from elastic_bench.harness.protocol import APPLIED_SAMPLING, GRADING_SEMANTICS, THINK_END
from elastic_bench.harness.provenance import (
    chat_template_sha256,
    commit_from_results,
    hardware_from_env,
    redact,
    versions_from_results,
    weights_sha256,
)
from elastic_bench.harness.results import BudgetPoint, ResultFile, first_error

__all__ = ["ConversionError", "convert_output_dir", "convert_run", "find_run_outputs"]

#: sampling keys a foreign backend (lm-eval's hf, vllm ...) applies; ours apply APPLIED_SAMPLING
SAMPLING_KEYS = (*APPLIED_SAMPLING, "min_p")
SEED_KEYS = ("random_seed", "numpy_seed", "torch_seed", "fewshot_seed")
#: local checkpoint folder names too generic to name a model by
GENERIC_DIR_NAMES = frozenset({"checkpoint", "model", "final", "best", "latest", "hf", "weights"})


def _evaluated_docs_sha256(subs: list[Subtask]) -> str | None:
    """Content hash of the evaluated docs: sha256 over lm-eval's per-doc ``doc_hash`` in doc_id order
    (used when the task's metadata carries no ``dataset_sha256``)."""
    for sub in subs:
        if sub.rows and all(isinstance(r.get("doc_hash"), str) for r in sub.rows):
            pairs = sorted({(str(r["doc_id"]), r["doc_hash"]) for r in sub.rows})
            return hashlib.sha256("".join(f"{d}:{h}\n" for d, h in pairs).encode()).hexdigest()
    return None


def _scalar(value: Any) -> str | int | float | bool | None:
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def _common(values: Iterable[Any]) -> Any:
    distinct = {json.dumps(v, sort_keys=True, default=str) for v in values}
    return json.loads(distinct.pop()) if len(distinct) == 1 else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _reproducibility(
    raw: dict[str, Any], subs: list[Subtask], points: list[BudgetPoint], *, hash_weights: bool
) -> dict[str, Any]:
    config = _dict(raw.get("config"))
    model_args = parse_model_args(config.get("model_args"), strict=False)
    first = subs[0]
    meta: dict[str, Any] = {}
    for sub in reversed(subs):  # first subtask wins on conflicts
        meta.update({k: v for k, v in sub.meta.items() if v is not None})

    model = str(
        model_args.get("pretrained")
        or model_args.get("model")
        or config.get("pretrained")
        or config.get("model_id")
        or raw.get("model_name")
        or config.get("model")
        or "unknown"
    )
    local = Path(model).expanduser()
    local_dir = local if local.is_dir() else None
    revision = config.get("model_sha") or model_args.get("revision") or config.get("model_revision")
    weights = config.get("weights_sha256")
    # our backends always say (None: not known, e.g. a model served over HTTP); lm-eval's own do not
    if "weights_sha256" not in config and hash_weights and local_dir is not None:
        weights = weights_sha256(local_dir)
    chat_sha = config.get("chat_template_sha256") or raw.get("chat_template_sha")
    if chat_sha is None and local_dir is not None:
        chat_sha = chat_template_sha256(local_dir)
    # the marker grading used: a budgeted backend's own (its responses carry it; it reports it in
    # get_model_info, which lm-eval stores in ``config``), else the task's (plain-string responses)
    marker = next(
        (
            m
            for m in (config.get("end_of_thinking_marker"), meta.get("end_of_thinking_marker"))
            if m is not None
        ),
        THINK_END,
    )
    prompt = meta.get("prompt_template") or first.config.get("doc_to_text") or ""

    strategies = sorted(
        {p.strategy for p in points if p.thinking_budget is not None} or {p.strategy for p in points}
    )
    # a key the backend does not apply is not recorded (our backends report their marker in config)
    applied = APPLIED_SAMPLING if config.get("end_of_thinking_marker") is not None else SAMPLING_KEYS
    sampling = {key: _scalar(first.gen_kwargs[key]) for key in applied if key in first.gen_kwargs}
    max_gen = _common(sub.gen_kwargs.get("max_gen_toks") for sub in subs)
    if max_gen is not None:
        sampling["max_gen_toks"] = max_gen
    seeds = {key: opt_int(config.get(key), f"config.{key}") for key in SEED_KEYS if key in config}
    if "seed" in model_args:
        with contextlib.suppress(TypeError, ValueError):
            seeds["model_seed"] = int(model_args["seed"])
    if isinstance(meta.get("seed"), int) and not isinstance(meta.get("seed"), bool):
        seeds["dataset_seed"] = meta["seed"]

    dataset_id = meta.get("dataset_id") or first.config.get("dataset_path") or "custom"
    if not meta.get("dataset_id") and first.config.get("dataset_name"):
        dataset_id = f"{dataset_id}/{first.config['dataset_name']}"
    dataset_kwargs = _dict(first.config.get("dataset_kwargs"))
    wall = raw.get("total_evaluation_time_seconds")
    try:
        wall_time = float(wall) if wall is not None else None
    except (TypeError, ValueError):
        wall_time = None

    # a URL's credentials (base_url=http://user:key@host/..., ?api_key=...) are never recorded
    return redact(
        {
            "model": model,
            "model_revision": str(revision) if revision else None,
            "weights_sha256": weights,
            "tokenizer": str(model_args.get("tokenizer") or config.get("tokenizer") or model),
            "chat_template_sha256": chat_sha,
            "prompt_template": str(prompt),
            "end_of_thinking_marker": str(marker),
            "strategy": ",".join(strategies),
            "budgets": [p.thinking_budget for p in points],
            "solution_budget": _common(p.solution_budget for p in points),
            "sampling": sampling,
            "seeds": seeds,
            "k": max(p.k for p in points),
            "dataset": {
                "id": str(dataset_id),
                "revision": meta.get("dataset_revision") or dataset_kwargs.get("revision"),
                "content_sha256": meta.get("dataset_sha256") or _evaluated_docs_sha256(subs),
                "split": first.config.get("test_split"),
                "n_problems": max(p.n_problems for p in points),
            },
            "backend": str(raw.get("model_source") or config.get("model") or "unknown"),
            "backend_args": {str(k): _scalar(v) for k, v in model_args.items()},
            "versions": versions_from_results(raw),
            "git_commit": commit_from_results(raw),
            "hardware": hardware_from_env(raw.get("pretty_env_info")),
            "wall_time_seconds": wall_time if wall_time is not None and wall_time >= 0 else None,
            "lm_eval_config": config or None,
        }
    )


def _code_record(subs: list[Subtask], file: str) -> dict[str, Any]:
    """``test_set``, ``sandbox_mode`` and ``grading_semantics`` of a code sweep (its loader's facts);
    one value per run."""
    out: dict[str, Any] = {}
    for key in ("test_set", "sandbox_mode", "grading_semantics"):
        values = {str(s.meta[key]) for s in subs if s.meta.get(key)}
        if len(values) > 1:
            raise ConversionError(f"{file}: subtasks disagree on {key}: {sorted(values)}")
        if values:
            out[key] = values.pop()
    if out.get("test_set") not in (None, "public", "hidden"):
        raise ConversionError(f"{file}: test_set must be public or hidden, got {out['test_set']!r}")
    if out.get("grading_semantics") not in (None, *GRADING_SEMANTICS):
        raise ConversionError(
            f"{file}: grading_semantics must be one of {GRADING_SEMANTICS}, got {out['grading_semantics']!r}"
        )
    return out


def _created(raw: dict[str, Any]) -> datetime:
    date = raw.get("date")
    if isinstance(date, int | float) and not isinstance(date, bool) and math.isfinite(date):
        return datetime.fromtimestamp(date, tz=timezone.utc)
    return datetime.now(timezone.utc)


def model_name_of(model: str) -> str:
    """A display name: a hub id as is; a local path's folder name (its parent's for generic names)."""
    path = Path(model).expanduser()
    if not (path.is_absolute() or model.startswith((".", "~")) or path.exists()):
        return model
    path = path.resolve()
    if path.name.lower() in GENERIC_DIR_NAMES and path.parent.name:
        return f"{path.parent.name}"
    return path.name or model


def convert_run(
    results_json: str | Path,
    samples: list[Path] | None = None,
    *,
    model_name: str | None = None,
    extra_repro: dict[str, Any] | None = None,
    seed: int = 0,
    hash_weights: bool = True,
) -> list[ResultFile]:
    """Turn one lm-eval run into result files, one per task group (benchmark) found.

    ``samples`` are the ``samples_<task>_<date>.jsonl`` files (``--log_samples``); with them each
    point gets per-problem scores and a bootstrap CI (seeded by ``seed``), without them the
    aggregated values and no CI. ``extra_repro`` overrides fields of the reproducibility record
    (e.g. ``{"hardware": ...}``). Raises :class:`ConversionError` with a one-line reason.
    """
    path = Path(results_json)
    raw = read_results(path)
    groups = collect_subtasks(raw, path.name)
    if not groups:
        tasks = ", ".join(sorted(raw["results"])) or "none"
        raise ConversionError(
            f"{path.name}: no elastic-bench budget subtasks (<group>_tNNNNN / <group>_unconstrained) among: {tasks}"
        )
    attach_samples(groups, samples or [])

    out = []
    for group, subs in sorted(groups.items()):
        points, problem_ids = build_points(subs, seed=seed, file=path.name)
        repro = _reproducibility(raw, subs, points, hash_weights=hash_weights)
        repro.update(extra_repro or {})
        benchmark = next((s.meta["benchmark"] for s in subs if s.meta.get("benchmark")), None)
        benchmark = str(benchmark or group.removeprefix("elastic_"))
        code = _code_record(subs, path.name)
        try:
            result = ResultFile(
                kind="reproduced",
                model_name=model_name or model_name_of(repro["model"]),
                benchmark=benchmark,
                task_group=group,
                created=_created(raw),
                points=points,
                problem_ids=problem_ids,
                reproducibility=repro,
                **code,
            )
        except ValidationError as exc:
            raise ConversionError(f"{path.name}: group {group}: {first_error(exc)}") from exc
        out.append(result)
    return out


def convert_output_dir(output_dir: str | Path, **kwargs: Any) -> list[ResultFile]:
    """:func:`find_run_outputs` + :func:`convert_run` on an lm-eval ``--output_path``."""
    results_json, samples = find_run_outputs(output_dir)
    return convert_run(results_json, samples, **kwargs)
