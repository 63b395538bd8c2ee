"""Reading lm-eval 0.4.13's output files: locating a run, its results JSON and logged samples.

lm-eval writes ``<output_path>/<model name>/results_<date>.json`` and
``samples_<task>_<date>.jsonl`` beside it; our budget subtasks are named
``<group>_t<budget, 5 digits>`` / ``<group>_unconstrained``.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from elastic_bench.harness.protocol import SUBTASK_RE
from elastic_bench.harness.results import (
    DATE_ID,
    SAMPLES_FILE_RE,
    read_json,
    samples_file_task,
    write_atomic,
)

RESULTS_RE = re.compile(rf"^(?P<stem>.+)_(?P<date>{DATE_ID})\.json$")


class ConversionError(ValueError):
    """lm-eval outputs that cannot be turned into a result file; the message says why, on one line."""


@dataclass
class Subtask:
    """One budget subtask of a run: its config, aggregated metrics and (if logged) sample rows."""

    name: str
    group: str
    budget: int | None
    config: dict[str, Any]
    metrics: dict[str, Any]
    n_effective: int | None
    rows: list[dict[str, Any]] | None = None

    @property
    def gen_kwargs(self) -> dict[str, Any]:
        """The subtask's ``generation_kwargs`` (empty when absent)."""
        gk = self.config.get("generation_kwargs")
        return gk if isinstance(gk, dict) else {}

    @property
    def meta(self) -> dict[str, Any]:
        """The subtask's ``metadata`` (empty when absent)."""
        md = self.config.get("metadata")
        return md if isinstance(md, dict) else {}


def number(value: Any, what: str) -> float:
    """A finite number, or :class:`ConversionError` naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConversionError(f"{what}: expected a number, got {value!r}")
    return float(value)


def opt_int(value: Any, what: str) -> int | None:
    """An integer or None, or :class:`ConversionError` naming ``what``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ConversionError(f"{what}: expected an integer or null, got {value!r}")
    return int(value)


def find_run_outputs(output_dir: str | Path) -> tuple[Path, list[Path]]:
    """Locate lm-eval's newest results JSON under ``output_dir`` and its samples files.

    ``output_dir`` may also be the results JSON itself.
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
        if (m := SAMPLES_FILE_RE.match(p.name)) and m["date"] == date
    )
    return results, samples


def in_doc_order(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A task's logged samples by filter (in order of appearance), then doc id: the order of one
    process, also when several processes each logged their share (lm-eval joins them rank by rank)."""
    filters: dict[Any, int] = {}
    for sample in samples:
        filters.setdefault(sample.get("filter"), len(filters))
    return sorted(samples, key=lambda s: (filters[s.get("filter")], s.get("doc_id", 0)))


def save_run_outputs(
    tracker: Any, results: dict[str, Any], samples: dict[str, list]
) -> tuple[Path, list[Path]]:
    """Write what lm-eval's ``EvaluationTracker`` writes (``results_<date>.json`` and
    ``samples_<task>_<date>.jsonl`` in ``<output_path>/<model>/``, the same content), but each file
    whole or not at all, the results file last, and a failed write raised (the tracker logs and
    carries on, so a full disk left truncated files that read as "not JSON"). On a failure the files
    already written are removed. Returns (results file, samples files)."""
    from dataclasses import asdict
    from datetime import datetime

    from lm_eval.utils import handle_non_serializable, hash_string, sanitize_list

    general = tracker.general_config_tracker
    general.log_end_time()
    folder = Path(tracker.output_path) / str(general.model_name_sanitized)
    tracker.date_id = datetime.now().isoformat().replace(":", "-")
    written: list[Path] = []
    try:
        for task in results["configs"]:
            lines = []
            for sample in in_doc_order(samples[task]):
                arguments = {
                    f"gen_args_{i}": {f"arg_{j}": a for j, a in enumerate(arg)}
                    for i, arg in enumerate(sample["arguments"])
                }
                row = {
                    **sample,
                    "resps": sanitize_list(sample["resps"]),
                    "filtered_resps": sanitize_list(sample["filtered_resps"]),
                    "arguments": arguments,
                    "target": str(sample["target"]),
                }
                lines.append(json.dumps(row, default=handle_non_serializable, ensure_ascii=False) + "\n")
            written.append(write_atomic(folder / f"samples_{task}_{tracker.date_id}.jsonl", "".join(lines)))
        hashes = {
            task: hash_string(
                "".join(s["doc_hash"] + s["prompt_hash"] + s["target_hash"] for s in in_doc_order(rows))
            )
            for task, rows in samples.items()
        }
        text = json.dumps(
            {**results, "task_hashes": hashes, **asdict(general)},
            indent=2,
            default=handle_non_serializable,
            ensure_ascii=False,
        )
        results_json = write_atomic(folder / f"results_{tracker.date_id}.json", text)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()
        raise
    return results_json, written


def read_results(path: Path) -> dict[str, Any]:
    """The decoded results JSON, checked to be lm-eval's (a ``results`` object)."""
    raw = read_json(path, ConversionError)
    if not isinstance(raw, dict) or not isinstance(raw.get("results"), dict):
        raise ConversionError(f"{path.name}: not an lm-eval results file (no 'results' object)")
    return raw


def read_samples(path: Path) -> list[dict[str, Any]]:
    """The rows of one ``samples_<task>_<date>.jsonl`` file, each checked to be an lm-eval sample."""
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
                except RecursionError:
                    raise ConversionError(f"{path.name}:{lineno}: not JSON: nested too deeply") from None
                if not isinstance(row, dict) or "doc_id" not in row:
                    raise ConversionError(f"{path.name}:{lineno}: not an lm-eval sample (no doc_id)")
                rows.append(row)
    except OSError as exc:
        raise ConversionError(f"{path.name}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConversionError(f"{path.name}: not UTF-8 text") from exc
    return rows


def collect_subtasks(raw: dict[str, Any], name: str) -> dict[str, list[Subtask]]:
    """Our budget subtasks in a results JSON, by task group (other tasks are ignored)."""
    configs = raw.get("configs") if isinstance(raw.get("configs"), dict) else {}
    n_samples = raw.get("n-samples") if isinstance(raw.get("n-samples"), dict) else {}
    groups: dict[str, list[Subtask]] = defaultdict(list)
    for task, metrics in raw["results"].items():
        match = SUBTASK_RE.match(task)
        if not match or not isinstance(metrics, dict) or task not in configs:
            continue
        config = configs[task] if isinstance(configs[task], dict) else {}
        gk = config.get("generation_kwargs") if isinstance(config.get("generation_kwargs"), dict) else {}
        name_budget = None if match["unc"] else int(match["budget"])
        budget = opt_int(gk.get("thinking_budget", name_budget), f"{name}: {task}: thinking_budget")
        if budget != name_budget:
            raise ConversionError(
                f"{name}: {task}: generation_kwargs thinking_budget={budget} does not match the task name"
            )
        counts = n_samples.get(task)
        n_eff = counts.get("effective") if isinstance(counts, dict) else metrics.get("sample_len")
        groups[match["group"]].append(
            Subtask(
                task, match["group"], budget, config, metrics, opt_int(n_eff, f"{name}: {task}: n-samples")
            )
        )
    return groups


def attach_samples(groups: dict[str, list[Subtask]], samples: Iterable[str | Path]) -> None:
    """Read each samples file into the rows of the subtask it belongs to (others are ignored)."""
    by_task = {sub.name: sub for subs in groups.values() for sub in subs}
    for sample_path in samples:
        task = samples_file_task(Path(sample_path).name, by_task)
        if task in by_task:
            sub = by_task[task]
            sub.rows = (sub.rows or []) + read_samples(Path(sample_path))
