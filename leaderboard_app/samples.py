"""Reading single generations from lm-eval 0.4.13 ``--log_samples`` JSONL files.

A result file's ``samples_file`` (relative to the result file) names one ``.jsonl`` file or a
folder of them (lm-eval writes ``samples_<task>_<timestamp>.jsonl`` per task). Only paths inside
the results directory are read. Lines are indexed by byte offset so a large file is never loaded
whole; the text is returned as plain strings (the app shows it as text, never as HTML).

For the sample browser: a response split into its thinking and solution phases (:func:`split_phases`),
the cut line where a budget ended the thinking (:func:`cut_thinking`), and the problems of a samples
file filtered by outcome, cut, disagreement with another model, or a search (:func:`filter_docs`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from elastic_bench.harness.analysis import solved
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


# --------------------------------------------------------------------------- phases and filters

#: the line shown at the end of a thinking that the budget cut (the harness appended the marker there)
CUT_MARK = "✂ ── thinking cut here by the budget"
#: the sample browser's filters: key -> label
FILTERS = {
    "all": "all",
    "correct": "correct",
    "incorrect": "incorrect",
    "truncated": "thinking cut by the budget",
    "disagree": "disagreeing with model B",
}


@dataclass(frozen=True)
class Phases:
    """One response as the backend produced it: the thinking phase (up to the FIRST end-of-thinking
    marker, where a budgeted backend stops thinking), the solution phase after it, and the part the
    grader read (after the LAST marker; differs when the solution writes the marker again)."""

    thinking: str
    solution: str
    graded: str
    has_marker: bool
    extra_markers: int


def split_phases(text: str, marker: str | None = THINK_END) -> Phases:
    """Split a continuation into its thinking and solution phases (see :class:`Phases`)."""
    if not marker:
        return Phases("", text.strip(), text.strip(), False, 0)
    graded = split_generation(text, marker)
    thinking, found, solution = text.partition(marker)
    return Phases(
        thinking=thinking.removeprefix("<think>").strip(),
        solution=solution.strip() if found else "",
        graded=graded.answer,
        has_marker=bool(found),
        extra_markers=solution.count(marker) if found else 0,
    )


def cut_thinking(thinking: str, label: str, marker: str | None) -> str:
    """The thinking text with the visible cut line where the budget ``label`` cut it."""
    appended = f"; {marker} appended" if marker else ""
    return f"{thinking}\n{CUT_MARK} ({label}){appended} ──"


@dataclass(frozen=True)
class DocRow:
    """One problem (record) of a samples file, for filtering: its line, ids, score and cut share."""

    index: int  # the record's line in the file (the sample browser's ``doc``)
    doc_id: str
    problem_id: str
    accuracy: float | None  # mean over the doc's samples
    truncated: float | None  # share of its samples whose thinking the budget cut
    text: str  # the problem statement

    @property
    def right(self) -> bool | None:
        """Whether the problem counts as right (as in a paired test: :func:`solved`); None without a score."""
        return None if self.accuracy is None else bool(solved([self.accuracy])[0])


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def doc_rows(path: str | Path, offsets: list[int], problem_ids: list[str] | None = None) -> list[DocRow]:
    """Every record of a samples file as a :class:`DocRow`. Problem ids are the result file's
    ``problem_ids`` in doc_id order (as the converter assigns them) when the counts match, else the
    doc_ids. Unreadable lines are left out."""
    rows = []
    for index, offset in enumerate(offsets):
        try:
            record = read_record(path, offset)
        except (OSError, SamplesError):
            continue
        doc_id = record.get("doc_id", index)
        rows.append((doc_id, index, record))
    order = sorted(rows, key=lambda r: (str(type(r[0])), r[0]))
    ids = problem_ids if problem_ids is not None and len(problem_ids) == len(rows) else None
    pid = {index: (ids[rank] if ids else str(doc_id)) for rank, (doc_id, index, _) in enumerate(order)}
    return [
        DocRow(
            index=index,
            doc_id=str(doc_id),
            problem_id=pid[index],
            accuracy=_number(record.get("acc", record.get("exact_match"))),
            truncated=_number(record.get("think_truncated")),
            text=question_text(record),
        )
        for doc_id, index, record in rows
    ]


def filter_docs(
    rows: list[DocRow], which: str = "all", query: str = "", b_right: dict[str, bool] | None = None
) -> list[DocRow]:
    """The rows a filter (:data:`FILTERS`) and a search keep. ``query`` matches the problem id, the
    doc_id or the problem text (case-insensitive); ``disagree`` keeps the problems where exactly one
    of this run and model B (``b_right``: problem id -> right) is right, on problems B ran."""
    if which not in FILTERS:
        raise ValueError(f"unknown filter {which!r}; expected one of {list(FILTERS)}")
    needle = query.strip().lower()
    out = []
    for r in rows:
        if which == "correct" and r.right is not True:
            continue
        if which == "incorrect" and r.right is not False:
            continue
        if which == "truncated" and not (r.truncated or 0) > 0:
            continue
        if which == "disagree":
            other = (b_right or {}).get(r.problem_id)
            if other is None or r.right is None or other == r.right:
                continue
        if needle and not (needle in r.problem_id.lower() or needle == r.doc_id or needle in r.text.lower()):
            continue
        out.append(r)
    return out


def right_by_problem(result: ResultFile, thinking_budget: int | None) -> dict[str, bool] | None:
    """Problem id -> right (:func:`solved`) of a result at one budget (None: unconstrained); None when
    it did not run that budget or has no per-problem results."""
    point = next((p for p in result.points if p.budget_stated and p.thinking_budget == thinking_budget), None)
    if point is None or point.per_problem_accuracy is None or not result.problem_ids:
        return None
    right = solved(point.per_problem_accuracy)
    return {pid: bool(r) for pid, r in zip(result.problem_ids, right, strict=True)}
