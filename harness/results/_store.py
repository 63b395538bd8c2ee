"""The results directory, owned in one place: where entries live and what they are called, which
files in it are entries, paths that must stay inside it, and which task a samples file holds.

Layout: entries are JSON files anywhere under the directory except its top-level ``samples/``
(logged samples copied next to the entries), ``runs/`` (raw lm-eval outputs of ``elastic-bench
run``) and ``families/`` (results of checkpoints evaluated during training, ``families/<run>/``: shown
as training-run families, never ranked as entries) folders and hidden files or folders (``.cache``,
``.queue``, temporary files). An entry's own
place is ``<kind>/<entry file name>``, a verified one's ``verified/<entry file name>``: a verified and a
self-reported entry of the same model and task group are two entries.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

from elastic_bench.harness.protocol import safe_filename
from elastic_bench.harness.results._schema import (
    FAMILIES_DIRNAME,
    RUNS_DIRNAME,
    SAMPLES_DIRNAME,
    VERIFIED_DIRNAME,
    ResultFile,
)

#: lm-eval's date id in output file names, e.g. 2026-11-21T05-50-59.693534
DATE_ID = r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?"
#: lm-eval's ``--log_samples`` file names: ``samples_<task>_<date>.jsonl``
SAMPLES_FILE_RE = re.compile(rf"^samples_(?P<task>.+)_(?P<date>{DATE_ID})\.jsonl$")


def samples_file_task(name: str, known: Iterable[str] = ()) -> str | None:
    """The task a samples file holds, by its name: lm-eval's ``samples_<task>_<date>.jsonl``, else (a
    renamed file) the longest of the ``known`` tasks it starts with as ``samples_<task>``; or None."""
    name = Path(name).name
    match = SAMPLES_FILE_RE.match(name)
    if match:
        return match["task"]
    return next((t for t in sorted(known, key=len, reverse=True) if name.startswith(f"samples_{t}")), None)


def contained(root: str | Path, rel: str | Path) -> Path | None:
    """``root/rel`` resolved (symlinks followed), or None when it ends up outside ``root``."""
    base = Path(root).resolve()
    target = (base / rel).resolve()
    return target if target.is_relative_to(base) else None


def entry_files(results_dir: str | Path) -> list[Path]:
    """Every candidate entry file of a results directory (see the module docstring), sorted."""
    root = Path(results_dir)
    if not root.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        top = Path(dirpath) == root
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".") and not (top and d in (SAMPLES_DIRNAME, RUNS_DIRNAME, FAMILIES_DIRNAME))
        )
        found += [Path(dirpath) / n for n in filenames if n.endswith(".json") and not n.startswith(".")]
    return sorted(found)


def family_files(results_dir: str | Path) -> list[Path]:
    """The result files of training-run families (``<results_dir>/families/**.json``), sorted."""
    root = Path(results_dir) / FAMILIES_DIRNAME
    if not root.is_dir():
        return []
    return sorted(
        p for p in root.rglob("*.json") if not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def family_path(result: ResultFile, results_dir: str | Path) -> Path:
    """Where a training checkpoint's result goes: ``<results_dir>/families/<run id>/<entry file name>``."""
    if result.training_run is None:
        raise ValueError(f"{result.model_name}: not a training checkpoint's result (no training_run)")
    run = safe_filename(result.training_run.run_id).lstrip(".") or "run"
    return Path(results_dir) / FAMILIES_DIRNAME / run / entry_filename(result)


#: longest entry file stem in bytes; longer ones end in a hash of the full name (file systems
#: allow 255 bytes per name, and a model name and a task group may each have 200 characters)
MAX_STEM_BYTES = 120


def entry_filename(result: ResultFile) -> str:
    """File name of an entry in the results directory: ``<kind>__<model>__<task group>.json`` when that
    is already a safe file name, else its safe spelling plus a short hash of the exact names, so two
    models whose names differ only in unsafe characters (``org/model``, ``org_model``) never share a file."""
    exact = f"{_entry_kind(result)}__{result.model_name}__{result.task_group}"
    stem = safe_filename(exact).lstrip(".")
    if stem != exact or len(stem.encode()) > MAX_STEM_BYTES:
        digest = hashlib.sha256(exact.encode()).hexdigest()[:12]
        head = stem.encode()[: MAX_STEM_BYTES - 14].decode(errors="ignore")
        stem = f"{head}__{digest}"
    return stem + ".json"


def _entry_kind(result: ResultFile) -> str:
    """``verified`` for an entry the leaderboard measured, else its kind."""
    return VERIFIED_DIRNAME if result.verified else result.kind


def _entry_key(path: Path) -> tuple | None:
    """(kind, model_name, task_group, verified) of the entry file at ``path``, or None when it is not one."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(raw, dict):
        return None
    return (raw.get("kind"), raw.get("model_name"), raw.get("task_group"), bool(raw.get("verification")))


def entry_path(result: ResultFile, results_dir: str | Path) -> Path:
    """Where :func:`submit` puts an entry: ``<results_dir>/<kind or verified>/<entry id>.json``."""
    return Path(results_dir) / _entry_kind(result) / entry_filename(result)


def find_existing_entry(result: ResultFile, results_dir: str | Path) -> Path | None:
    """A file in ``results_dir`` holding the same entry (kind, model_name, task_group, verified or
    not), if any."""
    key = (result.kind, result.model_name, result.task_group, result.verified)
    target = entry_path(result, results_dir)
    if target.exists() and _entry_key(target) == key:
        return target
    return next((path for path in entry_files(results_dir) if _entry_key(path) == key), None)


def _weights_key(path: Path) -> tuple | None:
    """(kind, task_group, model_name, weights sha256, alias_of) of the entry file at ``path``, or None."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("reproducibility"), dict):
        return None
    sha = raw["reproducibility"].get("weights_sha256")
    return (raw.get("kind"), raw.get("task_group"), raw.get("model_name"), sha, raw.get("alias_of"))


def find_same_weights(result: ResultFile, results_dir: str | Path) -> tuple[Path, str] | None:
    """An entry of ``results_dir`` on the same task group whose weights sha256 equals ``result``'s under
    another model name, as (path, model name): the original when it has aliases; None when there is none
    (or ``result`` records no weights hash)."""
    sha = result.reproducibility.weights_sha256 if result.reproducibility else None
    if not sha:
        return None
    found = []
    for path in entry_files(results_dir):
        key = _weights_key(path)
        if key is None or key[:2] != ("reproduced", result.task_group) or key[3] != sha:
            continue
        if key[2] != result.model_name:
            found.append((key[4] is not None, path, key[2]))
    if not found:
        return None
    _, path, name = min(found)  # an entry that is not itself an alias first
    return path, name


def _sweep_budgets(task_group: str) -> set[int | None] | None:
    """The budgets of the registry's sweep for ``task_group`` (None: not a registered sweep)."""
    from elastic_bench.harness.benchmarks import UnknownBenchmark, get_benchmark

    try:
        sweep = get_benchmark(task_group).sweep
    except UnknownBenchmark:
        return None
    return {*sweep.budgets, None} if sweep is not None else None


def partial_reason(
    result: ResultFile, limit: float | None, existing: ResultFile | None, *, whole_sweep: bool = True
) -> str | None:
    """Why ``result`` is partial (one line), or None when it is a complete run: a ``limit``, a budget of
    the registry's sweep missing (``whole_sweep``), or less than ``existing`` has (fewer problems,
    samples or budgets)."""
    if limit is not None:
        return f"--limit {limit:g}"
    budgets = {p.thinking_budget for p in result.points}
    expected = _sweep_budgets(result.task_group) if whole_sweep else None
    if expected and not expected <= budgets:
        missing = ", ".join(
            "unconstrained" if b is None else str(b)
            for b in sorted(expected - budgets, key=lambda b: (b is None, b or 0))
        )
        return f"budgets {missing} of {result.task_group} were not run"
    if existing is None:
        return None
    old, new = existing.points[0], result.points[0]
    if old.n_problems is not None and new.n_problems is not None and old.n_problems > new.n_problems:
        return f"{new.n_problems} problems, the existing entry has {old.n_problems}"
    if old.k > new.k:
        return f"k={new.k} samples per problem, the existing entry has k={old.k}"
    missing_budgets = {p.thinking_budget for p in existing.points} - budgets
    if missing_budgets:
        return f"{len(budgets)} budgets, the existing entry has {len(existing.points)}"
    return None
