"""Loaders for the math benchmarks: Hugging Face datasets by id and pinned revision, or local files.

Every loader returns a list of records ``{"id", "problem", "answer", "source", ...}`` where
``answer`` is the gold exactly as the grader compares it (:func:`elastic_bench.harness.grading._grade.prepare_gold`)
and ``source`` says where the record came from (``hf:<id>@<revision>`` or the local file path).

Offline use: point ``data_dir`` (or the ``ELASTIC_BENCH_DATA_DIR`` environment variable) at a
directory laid out like the project's shared data (``gsm8k/test.jsonl``, ``math500/test.jsonl``,
``aime2024/test.jsonl``, ``aime2025/test.jsonl``, ``amc2023/test.jsonl``,
``gaokao2023en/test.jsonl``, ``math_test5000/test.jsonl``; the alternative files each registry
entry lists in ``local_files`` work too), or pass ``path`` to a single JSONL/JSON file. A record
that cannot be read raises :class:`DataError` naming the file and the line. Which Hub dataset and
revision, which local files and how many problems: the benchmark registry
(:mod:`elastic_bench.harness.benchmarks`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from elastic_bench.harness.benchmarks import Benchmark, get_benchmark
from elastic_bench.harness.grading import extract_boxed, prepare_gold

DATA_DIR_ENV = "ELASTIC_BENCH_DATA_DIR"


class DataError(ValueError):
    """A benchmark file or record that cannot be used; the message is one line naming file and line."""


_PROBLEM_KEYS = ("problem", "question", "Problem", "Question", "prompt")
_ANSWER_KEYS = ("answer", "ground_truth_answer", "Answer", "gold", "expected_answer")
_ID_KEYS = ("id", "unique_id", "ID", "idx", "problem_id")
#: instruction suffixes some copies append to the problem (QwQ's eval files)
_INSTRUCTION_RE = re.compile(
    r"\s*(?:Please reason step by step, and put your final answer within \\boxed\{\}\.?"
    r"|Let's think step by step and output the final answer within \\boxed\{\}\.?)\s*$"
)
#: an answer written into the problem text of a record whose answer field is empty (2 GaoKao records)
_INLINE_ANSWER_RE = re.compile(r"(?:answers?|Answer)\s*:\s*(?P<ans>[^:\n]{1,80})$")


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path | None:
    """The local data directory: ``data_dir``, else ``$ELASTIC_BENCH_DATA_DIR``, else None (use the Hub)."""
    value = data_dir if data_dir is not None else os.environ.get(DATA_DIR_ENV)
    return Path(value).expanduser() if value else None


def find_local_file(benchmark: str, data_dir: str | os.PathLike) -> Path:
    """The first of the benchmark's ``local_files`` that exists under ``data_dir``."""
    bench = get_benchmark(benchmark)
    root = Path(data_dir)
    for rel in bench.local_files:
        if (root / rel).is_file():
            return root / rel
    looked = ", ".join(bench.local_files) or "nothing: it has no local files"
    raise DataError(f"{root}: no data file for {bench.name} (looked for {looked})")


def load_problems(
    benchmark: str,
    *,
    data_dir: str | os.PathLike | None = None,
    path: str | os.PathLike | None = None,
    check_count: bool = True,
) -> list[dict[str, Any]]:
    """Load a benchmark's problems: from ``path``, else the local data directory, else the Hub.

    ``check_count`` raises :class:`DataError` when the number of problems is not the benchmark's
    (a truncated or wrong file would otherwise silently change the leaderboard's numbers); it is
    not applied to an explicit ``path``.
    """
    bench = get_benchmark(benchmark)
    if bench.components or (bench.hub is None and not bench.local_files):
        raise DataError(f"{bench.name}: no data files of its own (its task generates or combines them)")
    if path is not None:
        return read_local(bench.name, Path(path))
    root = resolve_data_dir(data_dir)
    if root is not None:
        file = find_local_file(bench.name, root)
        records = read_local(bench.name, file)
        expected = bench.expected_count
        if check_count and expected is not None and len(records) != expected:
            raise DataError(f"{file}: {len(records)} problems, expected {expected} for {bench.name}")
        return records
    return load_hub(bench.name)


def load_hub(benchmark: str) -> list[dict[str, Any]]:
    """Download (or read from the datasets cache) the pinned Hub copy of a benchmark."""
    import datasets

    bench = get_benchmark(benchmark)
    src = bench.hub
    if src is None:
        raise DataError(f"{bench.name}: no Hugging Face source; give it a local data directory")
    rows: list[dict[str, Any]] = []
    for config in src.configs or (src.config,):
        ds = datasets.load_dataset(src.id, config, split=src.split, revision=src.revision)
        rows.extend(dict(r) for r in ds)
    kept = _url_filtered(bench, list(enumerate(rows)))
    return [_normalise(bench.name, r, i, src.tag, f"{src.tag} row {n}") for i, (n, r) in enumerate(kept)]


def load_training_set(
    source: str, grader: str, *, revision: str | None = None, split: str = "train"
) -> list[dict[str, Any]]:
    """A math training set's records ``{id, problem, answer, source}``, answers prepared for ``grader``.

    ``source`` is a local JSON / JSONL / Parquet file or a Hugging Face dataset id (e.g.
    ``agentica-org/DeepScaleR-Preview-Dataset``, the set E1 and L1 train on) read at ``revision``
    and ``split``; rows need a problem and an answer field (the names :func:`load_problems`
    accepts). A record without an id gets ``<set name>-<row>``. :class:`DataError` (one line)
    for a missing file or a row without problem or answer.
    """
    path = Path(source).expanduser()
    if path.suffix in (".json", ".jsonl", ".parquet") or path.is_file():
        if not path.is_file():
            raise DataError(f"{path}: no such file")
        if path.suffix == ".parquet":
            import pandas as pd

            raw = [(i + 1, r) for i, r in enumerate(pd.read_parquet(path).to_dict("records"))]
        else:
            raw = read_json_values(path)
        name, tag = path.stem, str(path)
        where = lambda n: f"{path}:{n}"  # noqa: E731
    else:
        import datasets

        try:
            ds = datasets.load_dataset(source, split=split, revision=revision)
        except Exception as exc:  # noqa: BLE001 (offline, unknown id, bad split: one line)
            raise DataError(f"training set {source!r}: cannot load ({str(exc).splitlines()[0]})") from None
        name, tag = source.rsplit("/", 1)[-1], f"hf:{source}@{revision or 'main'}"
        raw = [(i, dict(r)) for i, r in enumerate(ds)]
        where = lambda n: f"{tag} row {n}"  # noqa: E731
    records = []
    for i, (n, rec) in enumerate(raw):
        if not isinstance(rec, dict):
            raise DataError(f"{where(n)}: expected a JSON object, got {type(rec).__name__}")
        out = _normalise(grader, rec, i, tag, where(n))
        if _first(rec, _ID_KEYS) is None:
            out["id"] = f"{name}-{i}"
        records.append(out)
    return records


def read_local(benchmark: str, file: Path) -> list[dict[str, Any]]:
    """Read a JSONL file (one object per line) or a JSON file (a list of objects)."""
    bench = get_benchmark(benchmark)
    raw = read_json_values(file)
    for ln, obj in raw:
        if not isinstance(obj, dict):
            raise DataError(f"{file}:{ln}: expected a JSON object, got {type(obj).__name__}")
    raw = _url_filtered(bench, raw)
    records = [_normalise(bench.name, r, i, str(file), f"{file}:{ln}") for i, (ln, r) in enumerate(raw)]
    seen: dict[str, int] = {}
    for (ln, _), rec in zip(raw, records, strict=True):
        if rec["id"] in seen:
            raise DataError(f"{file}:{ln}: duplicate id {rec['id']!r} (first on line {seen[rec['id']]})")
        seen[rec["id"]] = ln
    return records


def _url_filtered(bench: Benchmark, raw: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    """The records whose ``url`` holds the benchmark's ``url_filter``, when the copy mixes others in."""
    if not bench.url_filter:
        return raw
    keep = [(n, r) for n, r in raw if bench.url_filter in str(r.get("url", ""))]
    return keep if keep else raw


def read_json_values(file: Path) -> list[tuple[int, Any]]:
    """The values of a JSONL file (one per line) or a JSON file (one array), each with the line it
    starts on; :class:`DataError` with a one-line reason for a missing, unreadable or invalid file."""
    if not file.is_file():
        raise DataError(f"{file}: no such file")
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{file}: cannot read ({exc})") from None
    if text.lstrip().startswith("["):
        return _json_array_values(file, text)
    return list(iter_jsonl(file, text.splitlines()))


def iter_jsonl(file: Path, lines: Iterable[str]) -> Iterator[tuple[int, Any]]:
    """The value of each non-blank JSONL line with its line number, decoded one line at a time (an
    open file streams, for files too large to hold as one string); ``file`` names it in errors."""
    for ln, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield ln, json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{file}:{ln}: invalid JSON ({exc.msg} at column {exc.colno})") from None


def _json_array_values(file: Path, text: str) -> list[tuple[int, Any]]:
    """Elements of a JSON array with the line each starts on (decoded one element at a time)."""
    decoder = json.JSONDecoder()
    out = []
    pos = text.index("[") + 1
    ws = re.compile(r"[\s,]*")
    while True:
        pos = ws.match(text, pos).end()
        if pos >= len(text):
            raise DataError(f"{file}:{text.count(chr(10), 0, pos) + 1}: unterminated JSON array")
        if text[pos] == "]":
            break
        line = text.count("\n", 0, pos) + 1
        try:
            obj, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise DataError(f"{file}:{exc.lineno}: invalid JSON ({exc.msg} at column {exc.colno})") from None
        out.append((line, obj))
    return out


def _first(record: dict, keys: tuple[str, ...]) -> Any:
    for k in keys:
        if record.get(k) not in (None, ""):
            return record[k]
    return None


def _normalise(bench: str, rec: dict, index: int, source: str, where: str) -> dict[str, Any]:
    """One raw record -> {id, problem, answer, source, ...}; raises DataError naming ``where``."""
    problem = _first(rec, _PROBLEM_KEYS)
    if not isinstance(problem, str) or not problem.strip():
        raise DataError(f"{where}: no problem text (expected one of the fields {', '.join(_PROBLEM_KEYS)})")
    problem = _INSTRUCTION_RE.sub("", problem).strip()
    answer = _first(rec, _ANSWER_KEYS)
    if answer is None and isinstance(rec.get("solution"), str):
        answer = extract_boxed(rec["solution"])  # full MATH: the gold is the solution's last box
    if answer is None and bench == "gaokao":
        inline = _INLINE_ANSWER_RE.search(problem)
        if inline:  # the answer was pasted into the question; recover it and remove it
            answer = inline.group("ans").strip()
            problem = problem[: inline.start()].rstrip()
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        raise DataError(f"{where}: no answer (expected one of the fields {', '.join(_ANSWER_KEYS)})")
    if isinstance(answer, float) and answer.is_integer():
        answer = int(answer)
    if isinstance(answer, (list, tuple)):
        answer = ", ".join(str(a) for a in answer)
    gold = prepare_gold(str(answer), bench)
    if not gold:
        raise DataError(f"{where}: answer {answer!r} is empty once prepared for grading")
    rid = _first(rec, _ID_KEYS)
    out: dict[str, Any] = {
        "id": f"{bench}-{index}" if rid is None else str(rid),
        "problem": problem,
        "answer": gold,
        "source": source,
    }
    for key in ("solution", "subject", "type", "level", "url", "year"):
        if key in rec and rec[key] not in (None, ""):
            out[key] = rec[key]
    return out
