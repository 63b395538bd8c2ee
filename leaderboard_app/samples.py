"""Reading single generations from lm-eval 0.4.13 ``--log_samples`` JSONL files.

A result file's ``samples_file`` (relative to the result file) names one ``.jsonl`` file or a
folder of them (lm-eval writes ``samples_<task>_<timestamp>.jsonl`` per task). Only paths inside
the results directory are read. Lines are indexed by byte offset so a large file is never loaded
whole; the text is returned as plain strings (the app shows it as text, never as HTML).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from elastic_bench.harness.protocol import SAMPLE_METRICS, THINK_END, split_thinking
from elastic_bench.harness.results import ResultFile, SamplesError, contained, samples_file_task

SAMPLE_METRIC_KEYS = (*SAMPLE_METRICS, "exact_match")


@dataclass(frozen=True)
class Generation:
    """One response split at the end-of-thinking marker (``has_marker``: the solution part exists)."""

    thinking: str
    answer: str
    has_marker: bool


def resolve_samples(results_dir: str | Path, entry: str, samples_file: str) -> Path:
    """Absolute path of an entry's samples, refusing anything outside the results directory."""
    path = contained(results_dir, Path(entry).parent / samples_file)
    if path is None:
        raise SamplesError(f"samples path {samples_file!r} points outside the results directory")
    if not path.exists():
        raise SamplesError(f"samples path {samples_file!r} does not exist")
    return path


def sample_files(path: Path, tasks: list[str]) -> dict[str, Path]:
    """Map each budget's lm-eval task name to its samples file.

    A single file serves every task; in a folder, each lm-eval samples file serves the task its name
    holds (``samples_<task>_<date>.jsonl``).
    """
    if path.is_file():
        return dict.fromkeys(tasks, path)
    out: dict[str, Path] = {}
    for f in sorted(p for p in path.glob("*.jsonl") if p.is_file()):
        task = samples_file_task(f.name, tasks)
        if task in tasks:
            out.setdefault(task, f)
    return out


def line_offsets(path: str | Path) -> list[int]:
    """Byte offset of every non-empty line."""
    offsets = []
    pos = 0
    with open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                offsets.append(pos)
            pos += len(line)
    return offsets


def read_record(path: str | Path, offset: int) -> dict:
    """The JSON object on the line starting at ``offset``."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        line = fh.readline()
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SamplesError(f"line at byte {offset} is not JSON: {exc}") from exc
    except RecursionError:
        raise SamplesError(f"line at byte {offset} is not JSON: nested too deeply") from None
    if not isinstance(record, dict):
        raise SamplesError(f"line at byte {offset} is not a JSON object")
    return record


def responses(record: dict) -> list[str]:
    """All generations of a record: lm-eval's ``resps`` is a list (per request) of lists of strings."""
    out: list[str] = []
    for item in record.get("resps") or []:
        if isinstance(item, list):
            out.extend(str(x) for x in item)
        else:
            out.append(str(item))
    if not out:
        filtered = record.get("filtered_resps") or []
        out = [str(x) for x in (filtered if isinstance(filtered, list) else [filtered])]
    return out


def recorded_marker(result: ResultFile) -> str:
    """The end-of-thinking marker a result was graded with (its reproducibility record), else the default."""
    return result.reproducibility.end_of_thinking_marker if result.reproducibility else THINK_END


def split_generation(text: str, marker: str | None = THINK_END) -> Generation:
    """Split a full continuation into thinking and answer exactly where the grader does.

    The rule is :func:`elastic_bench.harness.protocol.split_thinking` (the LAST marker; an empty
    ``marker`` means the whole text is the answer), the grader's.
    """
    thinking, answer = split_thinking(text, marker)
    return Generation(
        thinking=thinking.removeprefix("<think>").strip(),
        answer="" if answer is None else answer.strip(),
        has_marker=answer is not None,
    )


def sample_metrics(record: dict) -> dict[str, object]:
    """The per-sample metrics of a record (the known ones first, then any other scalar metric)."""
    out = {k: record[k] for k in SAMPLE_METRIC_KEYS if k in record}
    for name in record.get("metrics") or []:
        if isinstance(name, str) and name in record and name not in out:
            value = record[name]
            if isinstance(value, (int, float, bool, str)) or value is None:
                out[name] = value
    return out


def question_text(record: dict) -> str:
    """The problem statement of a record's ``doc`` (first known field), else the doc as JSON."""
    doc = record.get("doc")
    if isinstance(doc, dict):
        for key in ("problem", "question", "prompt", "Problem", "input"):
            if isinstance(doc.get(key), str):
                return doc[key]
        return json.dumps(doc, ensure_ascii=False, indent=2)[:20000]
    return str(doc)
