"""Where the result of an ``elastic-bench run`` goes: the leaderboard, or only its own run folder.

The rule (nothing is lost): a run's result becomes a leaderboard entry only when it is complete
and either new or explicitly allowed to replace the old one (``--overwrite``). A partial run (a
``--limit``, only some of the benchmark's budgets, or fewer problems, budgets or samples than the
entry it would replace) never replaces an entry, flag or not: its result file is kept next to the
run's lm-eval outputs in ``results/runs/<run>/``, where ``elastic-bench submit`` can still take it.
"""

from __future__ import annotations

import os
from pathlib import Path

from elastic_bench.harness.results._io import ResultFileError, load_result, save_result
from elastic_bench.harness.results._schema import ResultFile
from elastic_bench.harness.results._store import entry_filename, find_existing_entry, partial_reason
from elastic_bench.harness.results._submit import add_entry


def _load(path: Path | None) -> ResultFile | None:
    if path is None:
        return None
    try:
        return load_result(path)
    except (ResultFileError, OSError, ValueError):
        return None


def store_run_result(
    result: ResultFile,
    results_dir: Path,
    run_dir: Path,
    samples_dir: Path,
    limit: float | None,
    overwrite: bool,
) -> str:
    """Add a run's ``result`` to ``results_dir`` or keep it in ``run_dir``; returns what was done."""
    return store_run_result_at(result, results_dir, run_dir, samples_dir, limit, overwrite)[0]


def store_run_result_at(
    result: ResultFile,
    results_dir: Path,
    run_dir: Path,
    samples_dir: Path,
    limit: float | None,
    overwrite: bool,
) -> tuple[str, Path]:
    """:func:`store_run_result`, also returning the path the result file went to."""
    existing_path = find_existing_entry(result, results_dir)
    reason = partial_reason(result, limit, _load(existing_path))
    if reason is None and existing_path is not None and not overwrite:
        reason = f"an entry already exists at {existing_path}; run again with --overwrite to replace it"
    elif reason is not None:
        reason = f"partial run ({reason}); the leaderboard keeps its entry"
    if reason is not None:
        kept = result.model_copy(update={"samples_file": os.path.relpath(samples_dir, run_dir)})
        path = save_result(kept, run_dir / entry_filename(result))
        return f"not added to the leaderboard: {reason}. Result kept at {path}", Path(path)
    result = result.model_copy(update={"samples_file": os.path.relpath(samples_dir, results_dir)})
    replaced = existing_path is not None
    path = add_entry(result, results_dir, overwrite=overwrite, samples_base=results_dir, name="run")
    return f"{'replaced' if replaced else 'wrote'} {path}", Path(path)
