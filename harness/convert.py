"""Build result files from lm-eval's own outputs (results JSON + logged samples).

Any lm-eval 0.4.13 run of our tasks converts, whoever launched it. Conventions the tasks follow:

* a group per benchmark (``elastic_toy``) whose subtasks are one per thinking budget,
  ``<group>_t<budget, 5 digits>``, plus ``<group>_unconstrained``;
* each subtask's ``generation_kwargs`` carry ``thinking_budget``, ``solution_budget``,
  ``strategy``, ``max_gen_toks`` and the sampling parameters; ``repeats`` is k;
* its ``metadata`` may carry ``benchmark``, ``prompt_template``, ``end_of_thinking_marker``,
  ``dataset_id``, ``dataset_revision``, ``dataset_sha256``;
* per-doc metrics ``acc``, ``think_tokens``, ``answer_tokens``, ``total_tokens``,
  ``think_truncated``, ``answer_truncated``, ``no_answer`` (each the mean over the doc's k samples).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import subprocess
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from elastic_bench.harness.metrics import avg_at_k, token_stats
from elastic_bench.harness.results import SAMPLE_METRICS, STRATEGY_NAMES, BudgetPoint, ResultFile, read_json

#: ``<group>_t00512`` / ``<group>_unconstrained``
SUBTASK_RE = re.compile(r"^(?P<group>.+)_(?:t(?P<budget>\d+)|(?P<unc>unconstrained))$")
#: lm-eval's date id in output file names, e.g. 2026-11-21T05-50-59.693534
DATE_ID = r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?"
SAMPLES_RE = re.compile(rf"^samples_(?P<task>.+)_(?P<date>{DATE_ID})\.jsonl$")
RESULTS_RE = re.compile(rf"^(?P<stem>.+)_(?P<date>{DATE_ID})\.json$")

METRICS = SAMPLE_METRICS
SAMPLING_KEYS = ("do_sample", "temperature", "top_p", "top_k", "min_p")
SEED_KEYS = ("random_seed", "numpy_seed", "torch_seed", "fewshot_seed")
DEFAULT_MARKER = "</think>"
#: problem identifiers looked up in each logged doc, in order
DOC_ID_KEYS = ("id", "problem_id", "unique_id", "idx", "question_id")
#: local checkpoint folder names too generic to name a model by
GENERIC_DIR_NAMES = frozenset({"checkpoint", "model", "final", "best", "latest", "hf", "weights"})


class ConversionError(ValueError):
    """lm-eval outputs that cannot be turned into a result file; the message says why, on one line."""


@dataclass
class _Subtask:
    name: str
    group: str
    budget: int | None
    config: dict[str, Any]
    metrics: dict[str, Any]
    n_effective: int | None
    rows: list[dict[str, Any]] | None = None

    @property
    def gen_kwargs(self) -> dict[str, Any]:
        gk = self.config.get("generation_kwargs")
        return gk if isinstance(gk, dict) else {}

    @property
    def meta(self) -> dict[str, Any]:
        md = self.config.get("metadata")
        return md if isinstance(md, dict) else {}


# --------------------------------------------------------------------------- locating files


def find_run_outputs(output_dir: str | Path) -> tuple[Path, list[Path]]:
    """Locate lm-eval's newest results JSON under ``output_dir`` and its samples files.

    lm-eval writes ``<output_path>/<model name>/results_<date>.json`` and
    ``samples_<task>_<date>.jsonl`` beside it. ``output_dir`` may also be the results JSON itself.
    """
    path = Path(output_dir)
    if path.is_file():
        results = path
    elif path.is_dir():
        candidates = [
            p for p in path.rglob("*.json") if p.name.startswith("results_") and RESULTS_RE.match(p.name)
        ]
        if not candidates:
            raise ConversionError(
                f"{path}: no lm-eval results_<date>.json found (was --output_path this folder?)"
            )
        results = max(candidates, key=lambda p: (RESULTS_RE.match(p.name)["date"], p.stat().st_mtime))  # type: ignore[index]
    else:
        raise ConversionError(f"{path}: no such file or folder")
    match = RESULTS_RE.match(results.name)
    if not match:
        return results, []
    date = match["date"]
    samples = sorted(
        p
        for p in results.parent.glob(f"samples_*_{date}.jsonl")
        if (m := SAMPLES_RE.match(p.name)) and m["date"] == date
    )
    return results, samples


# --------------------------------------------------------------------------- reading


def _read_json(path: Path) -> dict[str, Any]:
    raw = read_json(path, ConversionError)
    if not isinstance(raw, dict) or not isinstance(raw.get("results"), dict):
        raise ConversionError(f"{path.name}: not an lm-eval results file (no 'results' object)")
    return raw


def _read_samples(path: Path) -> list[dict[str, Any]]:
    rows = []
    try:
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ConversionError(f"{path.name}:{lineno}: not JSON: {exc.msg}") from exc
                if not isinstance(row, dict) or "doc_id" not in row:
                    raise ConversionError(f"{path.name}:{lineno}: not an lm-eval sample (no doc_id)")
                rows.append(row)
    except OSError as exc:
        raise ConversionError(f"{path.name}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConversionError(f"{path.name}: not UTF-8 text") from exc
    return rows


def _samples_task(path: Path, known: Iterable[str]) -> str | None:
    """The task a samples file belongs to (by its name)."""
    match = SAMPLES_RE.match(path.name)
    if match:
        return match["task"]
    # tolerate renamed files: samples_<task>*.jsonl with a known task name, longest first
    for task in sorted(known, key=len, reverse=True):
        if path.name.startswith(f"samples_{task}"):
            return task
    return None


def _filter_key(metrics: dict[str, Any]) -> str:
    keys = [k.split(",", 1)[1] for k in metrics if k.startswith("acc,")]
    if not keys:
        raise ConversionError(f"task {metrics.get('name', '?')}: no 'acc' metric in results")
    return "none" if "none" in keys else keys[0]


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConversionError(f"{what}: expected a number, got {value!r}")
    return float(value)


def _opt_int(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ConversionError(f"{what}: expected an integer or null, got {value!r}")
    return int(value)


def _parse_model_args(model_args: Any) -> dict[str, Any]:
    """lm-eval keeps model_args as given: a dict, or a 'k=v,k=v' string."""
    if isinstance(model_args, dict):
        return dict(model_args)
    if isinstance(model_args, str) and model_args.strip():
        out: dict[str, Any] = {}
        for part in model_args.split(","):
            if "=" in part:
                key, value = part.split("=", 1)
                out[key.strip()] = value.strip()
        return out
    return {}


# --------------------------------------------------------------------------- points


def _collect_subtasks(raw: dict[str, Any], name: str) -> dict[str, list[_Subtask]]:
    configs = raw.get("configs") if isinstance(raw.get("configs"), dict) else {}
    n_samples = raw.get("n-samples") if isinstance(raw.get("n-samples"), dict) else {}
    groups: dict[str, list[_Subtask]] = defaultdict(list)
    for task, metrics in raw["results"].items():
        match = SUBTASK_RE.match(task)
        if not match or not isinstance(metrics, dict) or task not in configs:
            continue
        config = configs[task] if isinstance(configs[task], dict) else {}
        gk = config.get("generation_kwargs") if isinstance(config.get("generation_kwargs"), dict) else {}
        name_budget = None if match["unc"] else int(match["budget"])
        budget = _opt_int(gk.get("thinking_budget", name_budget), f"{name}: {task}: thinking_budget")
        if budget != name_budget:
            raise ConversionError(
                f"{name}: {task}: generation_kwargs thinking_budget={budget} does not match the task name"
            )
        counts = n_samples.get(task)
        n_eff = counts.get("effective") if isinstance(counts, dict) else metrics.get("sample_len")
        groups[match["group"]].append(
            _Subtask(
                task, match["group"], budget, config, metrics, _opt_int(n_eff, f"{name}: {task}: n-samples")
            )
        )
    return groups


def _problem_id(row: dict[str, Any]) -> str:
    doc = row.get("doc")
    if isinstance(doc, dict):
        for key in DOC_ID_KEYS:
            value = doc.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return str(value)
    return str(row["doc_id"])


def _per_problem(sub: _Subtask, filter_key: str) -> tuple[list[str], dict[str, np.ndarray]]:
    """Per-problem metric arrays from the logged samples, ordered by doc_id."""
    assert sub.rows is not None
    rows = [r for r in sub.rows if r.get("filter", filter_key) == filter_key]
    if not rows:
        raise ConversionError(f"{sub.name}: logged samples have no rows for filter {filter_key!r}")
    rows.sort(key=lambda r: (str(type(r["doc_id"])), r["doc_id"]))
    doc_ids = [r["doc_id"] for r in rows]
    if len(set(map(str, doc_ids))) != len(doc_ids):
        raise ConversionError(f"{sub.name}: duplicate doc_id in logged samples (files from two runs mixed?)")
    ids = [_problem_id(r) for r in rows]
    if len(set(ids)) != len(ids):
        ids = [str(d) for d in doc_ids]
    values: dict[str, np.ndarray] = {}
    for metric in METRICS:
        present = [metric in r for r in rows]
        if not any(present):
            continue
        if not all(present):
            raise ConversionError(f"{sub.name}: metric {metric!r} missing from some logged samples")
        values[metric] = np.array(
            [_number(r[metric], f"{sub.name}: doc {r['doc_id']}: {metric}") for r in rows], dtype=float
        )
    if "acc" not in values:
        raise ConversionError(f"{sub.name}: logged samples carry no 'acc' metric")
    return ids, values


def _build_point(sub: _Subtask, *, seed: int, file: str) -> tuple[BudgetPoint, list[str] | None]:
    filter_key = _filter_key(sub.metrics)
    gk = sub.gen_kwargs
    strategy = gk.get("strategy") or "none"
    if strategy not in STRATEGY_NAMES:
        raise ConversionError(
            f"{file}: {sub.name}: unknown strategy {strategy!r}; expected one of {STRATEGY_NAMES}"
        )
    k = _opt_int(sub.config.get("repeats"), f"{sub.name}: repeats") or 1
    common = {
        "label": "unconstrained" if sub.budget is None else f"t={sub.budget:05d}",
        "task": sub.name,
        "thinking_budget": sub.budget,
        "solution_budget": _opt_int(gk.get("solution_budget"), f"{sub.name}: solution_budget"),
        "strategy": strategy,
        "k": k,
    }
    ids = None
    if sub.rows is not None:
        ids, values = _per_problem(sub, filter_key)
        est = avg_at_k(values["acc"], seed=seed)
        total = values.get("total_tokens")
        if total is None and "think_tokens" in values and "answer_tokens" in values:
            total = values["think_tokens"] + values["answer_tokens"]
        if total is None:
            raise ConversionError(f"{file}: {sub.name}: logged samples carry no token counts")
        stats = token_stats(
            total,
            values["acc"],
            think_tokens=values.get("think_tokens"),
            answer_tokens=values.get("answer_tokens"),
            think_truncated=values.get("think_truncated"),
            answer_truncated=values.get("answer_truncated"),
            no_answer=values.get("no_answer"),
        )
        agg = sub.metrics.get(f"acc,{filter_key}")
        if isinstance(agg, int | float) and abs(float(agg) - est.mean) > 1e-6:
            raise ConversionError(
                f"{file}: {sub.name}: logged samples give accuracy {est.mean:.6f} but the results say {agg:.6f} "
                "(samples from another run?)"
            )
        fields = {
            "n_problems": est.n_problems,
            "accuracy": est.mean,
            "accuracy_ci": est.ci,
            "mean_think_tokens": stats.mean_think_tokens,
            "mean_answer_tokens": stats.mean_answer_tokens,
            "mean_total_tokens": stats.mean_total_tokens,
            "think_truncation_rate": stats.think_truncation_rate,
            "answer_truncation_rate": stats.answer_truncation_rate,
            "no_answer_rate": stats.no_answer_rate,
            "tokens_per_correct": stats.tokens_per_correct,
            "per_problem_accuracy": values["acc"].tolist(),
            "per_problem_tokens": total.tolist(),
        }
    else:

        def agg_of(metric: str) -> float | None:
            value = sub.metrics.get(f"{metric},{filter_key}")
            return None if value is None else _number(value, f"{file}: {sub.name}: {metric}")

        acc = agg_of("acc")
        assert acc is not None
        think, answer, total_v = agg_of("think_tokens"), agg_of("answer_tokens"), agg_of("total_tokens")
        if total_v is None and think is not None and answer is not None:
            total_v = think + answer
        if total_v is None:
            raise ConversionError(f"{file}: {sub.name}: results carry no token counts (total_tokens)")
        if not sub.n_effective:
            raise ConversionError(f"{file}: {sub.name}: unknown number of evaluated problems (n-samples)")
        fields = {
            "n_problems": sub.n_effective,
            "accuracy": acc,
            "accuracy_ci": None,
            "mean_think_tokens": think,
            "mean_answer_tokens": answer,
            "mean_total_tokens": total_v,
            "think_truncation_rate": agg_of("think_truncated"),
            "answer_truncation_rate": agg_of("answer_truncated"),
            "no_answer_rate": agg_of("no_answer"),
            "tokens_per_correct": total_v / acc if acc > 0 else None,
        }
    try:
        return BudgetPoint(**common, **fields), ids
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "point"
        raise ConversionError(f"{file}: {sub.name}: {where}: {first['msg']}") from exc


# --------------------------------------------------------------------------- reproducibility


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of one file, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def weights_sha256(model_dir: Path) -> str | None:
    """One sha256 over a local model's ``*.safetensors`` files (name + content hash, sorted by name)."""
    files = sorted(model_dir.glob("*.safetensors"))
    if not files:
        return None
    digest = hashlib.sha256()
    for f in files:
        digest.update(f"{f.name}:{sha256_file(f)}\n".encode())
    return digest.hexdigest()


def chat_template_sha256(model_dir: Path) -> str | None:
    """sha256 of a local model's chat template (chat_template.jinja or tokenizer_config.json)."""
    jinja = model_dir / "chat_template.jinja"
    if jinja.is_file():
        return hashlib.sha256(jinja.read_bytes()).hexdigest()
    config = model_dir / "tokenizer_config.json"
    if config.is_file():
        try:
            template = json.loads(config.read_text(encoding="utf-8")).get("chat_template")
        except (OSError, ValueError):
            return None
        if isinstance(template, str):
            return hashlib.sha256(template.encode("utf-8")).hexdigest()
        if template:
            return hashlib.sha256(json.dumps(template, sort_keys=True).encode("utf-8")).hexdigest()
    return None


def _env_line(env: str, key: str) -> str | None:
    match = re.search(rf"^{re.escape(key)}:\s*(.+)$", env, flags=re.MULTILINE)
    value = match.group(1).strip() if match else None
    return None if value in (None, "", "N/A", "Could not collect") else value


def hardware_from_env(env: str | None) -> str:
    """'CPU: <model> (<n> CPUs); GPU: <names>' from lm-eval's pretty_env_info."""
    if not env:
        return "unknown"
    cpu = _env_line(env, "Model name")
    n_cpus = _env_line(env, "CPU(s)")
    gpu = _env_line(env, "GPU models and configuration")
    if gpu is None or gpu.startswith("Could not"):
        gpus = []
    else:
        gpus = [gpu] + re.findall(r"^(GPU \d+: .+)$", env.split(gpu, 1)[1], flags=re.MULTILINE)
    parts = [f"CPU: {cpu or 'unknown'}" + (f" ({n_cpus} CPUs)" if n_cpus else "")]
    parts.append("GPU: " + (", ".join(dict.fromkeys(gpus)) if gpus else "none"))
    return "; ".join(parts)


def _versions(raw: dict[str, Any]) -> dict[str, str]:
    versions: dict[str, str] = {}
    for key, name in (("lm_eval_version", "lm_eval"), ("transformers_version", "transformers")):
        if isinstance(raw.get(key), str):
            versions[name] = raw[key]
    env = raw.get("pretty_env_info") if isinstance(raw.get("pretty_env_info"), str) else ""
    for key, name in (("PyTorch version", "torch"), ("Python version", "python")):
        value = _env_line(env, key)
        if value:
            versions[name] = value.split(" ")[0]
    config = raw.get("config") if isinstance(raw.get("config"), dict) else {}
    project = config.get("elastic_bench_version")
    if not isinstance(project, str):
        try:
            project = importlib_metadata.version("elastic-bench")
        except importlib_metadata.PackageNotFoundError:
            project = "unknown"
    versions["elastic_bench"] = project
    return versions


def _git_commit(raw: dict[str, Any], config: dict[str, Any]) -> str | None:
    """The project's commit as the backend reported it, else lm-eval's (``git describe`` in the run's CWD)."""
    for value in (config.get("elastic_bench_git_commit"), raw.get("git_hash")):
        if isinstance(value, str) and value:
            return value
    return None


def _evaluated_docs_sha256(subs: list[_Subtask]) -> str | None:
    """Content hash of the evaluated docs: sha256 over lm-eval's per-doc ``doc_hash`` in doc_id order
    (used when the task's metadata carries no ``dataset_sha256``)."""
    for sub in subs:
        if sub.rows and all(isinstance(r.get("doc_hash"), str) for r in sub.rows):
            pairs = sorted({(str(r["doc_id"]), r["doc_hash"]) for r in sub.rows})
            return hashlib.sha256("".join(f"{d}:{h}\n" for d, h in pairs).encode()).hexdigest()
    return None


def project_info() -> dict[str, str | None]:
    """elastic-bench's version and git commit, for a backend's ``get_model_info()`` (lm-eval stores it
    in the results' ``config``, where the converter reads it back)."""
    try:
        version: str | None = importlib_metadata.version("elastic-bench")
    except importlib_metadata.PackageNotFoundError:
        version = None
    commit = None
    root = Path(__file__).resolve().parent.parent
    if (root / ".git").exists():
        try:
            out = subprocess.run(
                ["git", "-C", str(root), "rev-parse", "HEAD"],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            )
            commit = out.stdout.strip() or None
        except (OSError, subprocess.SubprocessError):
            commit = None
    return {"elastic_bench_version": version, "elastic_bench_git_commit": commit}


def _scalar(value: Any) -> str | int | float | bool | None:
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def _common(values: Iterable[Any]) -> Any:
    distinct = {json.dumps(v, sort_keys=True, default=str) for v in values}
    return json.loads(distinct.pop()) if len(distinct) == 1 else None


def _reproducibility(
    raw: dict[str, Any], subs: list[_Subtask], points: list[BudgetPoint], *, hash_weights: bool
) -> dict[str, Any]:
    config = raw.get("config") if isinstance(raw.get("config"), dict) else {}
    model_args = _parse_model_args(config.get("model_args"))
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
    if weights is None and hash_weights and local_dir is not None:
        weights = weights_sha256(local_dir)
    chat_sha = config.get("chat_template_sha256") or raw.get("chat_template_sha")
    if chat_sha is None and local_dir is not None:
        chat_sha = chat_template_sha256(local_dir)
    marker = (
        meta.get("end_of_thinking_marker")
        or model_args.get("end_of_thinking_marker")
        or model_args.get("think_end")
        or config.get("end_of_thinking_marker")
        or DEFAULT_MARKER
    )
    prompt = meta.get("prompt_template") or first.config.get("doc_to_text") or ""

    strategies = sorted(
        {p.strategy for p in points if p.thinking_budget is not None} or {p.strategy for p in points}
    )
    sampling = {key: _scalar(first.gen_kwargs[key]) for key in SAMPLING_KEYS if key in first.gen_kwargs}
    max_gen = _common(sub.gen_kwargs.get("max_gen_toks") for sub in subs)
    if max_gen is not None:
        sampling["max_gen_toks"] = max_gen
    seeds = {key: _opt_int(config.get(key), f"config.{key}") for key in SEED_KEYS if key in config}
    if "seed" in model_args:
        with contextlib.suppress(TypeError, ValueError):
            seeds["model_seed"] = int(model_args["seed"])

    if isinstance(meta.get("seed"), int) and not isinstance(meta.get("seed"), bool):
        seeds["dataset_seed"] = meta["seed"]

    dataset_id = meta.get("dataset_id") or first.config.get("dataset_path") or "custom"
    if not meta.get("dataset_id") and first.config.get("dataset_name"):
        dataset_id = f"{dataset_id}/{first.config['dataset_name']}"
    dataset_kwargs = (
        first.config.get("dataset_kwargs") if isinstance(first.config.get("dataset_kwargs"), dict) else {}
    )
    wall = raw.get("total_evaluation_time_seconds")
    try:
        wall_time = float(wall) if wall is not None else None
    except (TypeError, ValueError):
        wall_time = None

    return {
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
        "versions": _versions(raw),
        "git_commit": _git_commit(raw, config),
        "hardware": hardware_from_env(raw.get("pretty_env_info")),
        "wall_time_seconds": wall_time if wall_time is not None and wall_time >= 0 else None,
        "lm_eval_config": config or None,
    }


# --------------------------------------------------------------------------- entry point


def _created(raw: dict[str, Any]) -> datetime:
    date = raw.get("date")
    if isinstance(date, int | float) and not isinstance(date, bool) and math.isfinite(date):
        return datetime.fromtimestamp(date, tz=timezone.utc)
    return datetime.now(timezone.utc)


def _model_name(model: str) -> str:
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
    raw = _read_json(path)
    groups = _collect_subtasks(raw, path.name)
    if not groups:
        tasks = ", ".join(sorted(raw["results"])) or "none"
        raise ConversionError(
            f"{path.name}: no elastic-bench budget subtasks (<group>_tNNNNN / <group>_unconstrained) among: {tasks}"
        )

    by_task = {sub.name: sub for subs in groups.values() for sub in subs}
    for sample_path in samples or []:
        task = _samples_task(Path(sample_path), by_task)
        if task in by_task:
            sub = by_task[task]
            sub.rows = (sub.rows or []) + _read_samples(Path(sample_path))

    out = []
    for group, subs in sorted(groups.items()):
        subs.sort(key=lambda s: (s.budget is None, s.budget or 0))
        built = [_build_point(sub, seed=seed, file=path.name) for sub in subs]
        points = [p for p, _ in built]
        id_lists = [ids for _, ids in built]
        problem_ids = (
            id_lists[0] if id_lists[0] is not None and all(ids == id_lists[0] for ids in id_lists) else None
        )
        if problem_ids is None:
            # per-problem arrays are only meaningful when aligned across points
            points = [
                p.model_copy(update={"per_problem_accuracy": None, "per_problem_tokens": None})
                for p in points
            ]
        repro = _reproducibility(raw, subs, points, hash_weights=hash_weights)
        repro.update(extra_repro or {})
        benchmark = next((s.meta["benchmark"] for s in subs if s.meta.get("benchmark")), None)
        benchmark = str(benchmark or group.removeprefix("elastic_"))
        try:
            result = ResultFile(
                kind="reproduced",
                model_name=model_name or _model_name(repro["model"]),
                benchmark=benchmark,
                task_group=group,
                created=_created(raw),
                points=points,
                problem_ids=problem_ids,
                reproducibility=repro,
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(file)"
            raise ConversionError(f"{path.name}: group {group}: {where}: {first['msg']}") from exc
        out.append(result)
    return out


def convert_output_dir(output_dir: str | Path, **kwargs: Any) -> list[ResultFile]:
    """:func:`find_run_outputs` + :func:`convert_run` on an lm-eval ``--output_path``."""
    results_json, samples = find_run_outputs(output_dir)
    return convert_run(results_json, samples, **kwargs)
