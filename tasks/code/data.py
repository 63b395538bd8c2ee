"""Loaders for the code benchmarks: the pinned Hub datasets (hidden tests) or the offline copies
(public / statement tests only).

Every loader returns records ``{"id", "problem", "starter_code", "fn_name", "tests", "test_set",
"source", ...}``: ``tests`` is a list of ``{"input", "output"}``, ``fn_name`` is set for LeetCode-style
functional problems (their inputs hold one JSON argument per line), ``test_set`` says whether the
tests include the hidden ones (``hidden``) or only the public / statement examples (``public``).

* LiveCodeBench (``lcb``), Hub: ``test.jsonl`` .. ``test5.jsonl`` of ``livecodebench/code_generation_lite``
  (= ``release_v5``) at the pinned revision, filtered to contest dates in the registry's window; tests
  are the public plus the private (hidden) ones, decoded as ``lcb_runner`` does.
  Offline: the QwQ copy gives ids, contests and dates, the DeepCoder copy the problems, starter
  code and public tests; the two list the same 279 problems in the same order (checked row by row).
* Codeforces (``codeforces``), Hub: ``Qwen/CodeElo`` (statement examples only: CodeElo judges on
  Codeforces itself, so no copy has hidden tests). Offline: rllm's copy of the same 408 problems and
  ``metadata_cf.json`` (their problem ids, same order).

A record that cannot be used raises :class:`DataError` naming the file and the row.
"""

from __future__ import annotations

import base64
import json
import pickle
import re
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from elastic_bench.harness.benchmarks import get_benchmark
from elastic_bench.tasks.math.data import DataError, iter_jsonl, read_json_values, resolve_data_dir

__all__ = ["DataError", "fn_name_of", "load_code_problems", "resolve_data_dir"]

_DEF_RE = re.compile(r"^\s*def\s+([A-Za-z_]\w*)\s*\(", re.MULTILINE)
_CLASS_RE = re.compile(r"^class\s+Solution\b", re.MULTILINE)
#: how many test files make up each LiveCodeBench release (release_vN = test.jsonl .. testN.jsonl)
_LCB_FILES = {
    f"release_v{n}": ["test.jsonl", *(f"test{i}.jsonl" for i in range(2, n + 1))] for n in range(1, 7)
}
#: rllm's statement layout of a CodeElo problem (what the offline copy holds)
CODEELO_TEMPLATE = (
    "\n{description}\n\nInput Format:\n{input_format}\n\nOutput Format:\n{output_format}\n\n"
    "Tags:\n{tags}\n\nTime Limit: {time_limit} ms\nMemory Limit: {memory_limit} MB\n"
)


def fn_name_of(starter_code: str) -> str | None:
    """The method a LeetCode starter code asks for: the first ``def`` after ``class Solution``."""
    if not starter_code or not starter_code.strip():
        return None
    match = _CLASS_RE.search(starter_code)
    found = _DEF_RE.search(starter_code, match.end() if match else 0)
    return found.group(1) if found else None


def _norm(text: str) -> str:
    return " ".join(text.replace("\r", "").split())


def _read_json_rows(file: Path) -> list[Any]:
    return [value for _, value in read_json_values(file)]


def _tests(raw: Any, where: str) -> list[dict[str, str]]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise DataError(f"{where}: tests are not JSON") from None
    if not isinstance(raw, list) or not raw:
        raise DataError(f"{where}: no tests (expected a non-empty list of {{input, output}})")
    out = []
    for j, test in enumerate(raw):
        if isinstance(test, (list, tuple)) and len(test) == 2:  # CodeElo's [input, output] pairs
            test = {"input": test[0], "output": test[1]}
        if not isinstance(test, dict) or not isinstance(test.get("input"), str) or "output" not in test:
            raise DataError(f"{where}: test {j} is not an object with string input and output")
        out.append({"input": test["input"], "output": str(test["output"])})
    return out


#: "Memory Limit: 256 MB" in a problem statement (Codeforces, as CodeElo prints it)
_MEMORY_RE = re.compile(r"Memory Limit:\s*(\d+)\s*(?:MB|megabytes)\b", re.IGNORECASE)


def _record(
    bench: str, rid: str, problem: Any, starter: Any, tests: Any, test_set: str, source: str, where: str
) -> dict:
    if not isinstance(problem, str) or not problem.strip():
        raise DataError(f"{where}: no problem text")
    starter = starter if isinstance(starter, str) and starter.strip() else ""
    fn_name = fn_name_of(starter)
    if starter and fn_name is None:
        raise DataError(f"{where}: starter code names no method (expected 'def name(' in class Solution)")
    memory = _MEMORY_RE.search(problem)
    return {
        "id": rid,
        "benchmark": bench,
        "problem": problem.strip("\n"),
        "starter_code": starter,
        "fn_name": fn_name,
        "tests": _tests(tests, where),
        "test_set": test_set,
        "source": source,
        "memory_mb": int(memory.group(1)) if memory else None,  # a judge applies the stated limit
    }


# --- offline copies ---------------------------------------------------------------------------


def _lcb_local(root: Path) -> list[dict[str, Any]]:
    bench = get_benchmark("lcb")
    meta_file, tests_file = (root / rel for rel in bench.local_files)
    meta, rows = _read_json_rows(meta_file), _read_json_rows(tests_file)
    if len(meta) != len(rows):
        raise DataError(f"{tests_file}: {len(rows)} problems but {meta_file.name} lists {len(meta)}")
    out = []
    for i, (m, r) in enumerate(zip(meta, rows, strict=True)):
        where = f"{tests_file}: row {i}"
        if not isinstance(m, dict) or not isinstance(r, dict):
            raise DataError(f"{where}: expected a JSON object")
        question = str(m.get("prompt", "")).split("Question: ", 1)[-1]
        if not _norm(question).startswith(_norm(str(r.get("problem", "")))[:200]):
            raise DataError(
                f"{where}: problem text differs from {meta_file.name} row {i} (files out of step)"
            )
        if not m.get("question_id"):
            raise DataError(f"{meta_file}: row {i}: no question_id")
        rec = _record(
            "lcb",
            str(m["question_id"]),
            r.get("problem"),
            r.get("starter_code"),
            r.get("tests"),
            "public",
            f"{meta_file} + {tests_file}",
            where,
        )
        rec.update(contest_id=str(m.get("contest_id", "")), contest_date=str(m.get("contest_date", ""))[:10])
        out.append(rec)
    return out


def _codeforces_local(root: Path) -> list[dict[str, Any]]:
    bench = get_benchmark("codeforces")
    problems_file, ids_file = (root / rel for rel in bench.local_files)
    rows, ids = _read_json_rows(problems_file), _read_json_rows(ids_file)
    if len(rows) != len(ids):
        raise DataError(f"{problems_file}: {len(rows)} problems but {ids_file.name} lists {len(ids)} ids")
    out = []
    for i, (r, pid) in enumerate(zip(rows, ids, strict=True)):
        where = f"{problems_file}: row {i}"
        if not isinstance(r, dict):
            raise DataError(f"{where}: expected a JSON object")
        if not isinstance(pid, str) or not re.fullmatch(r"\d+[A-Z][A-Z0-9]*", pid):
            raise DataError(f"{ids_file}: row {i}: not a Codeforces problem id: {pid!r}")
        rec = _record(
            "codeforces", pid, r.get("problem"), "", r.get("tests"), "public", str(problems_file), where
        )
        rec["contest_id"] = re.match(r"\d+", pid).group(0)
        out.append(rec)
    return out


# --- the Hub ----------------------------------------------------------------------------------


def decode_lcb_tests(raw: str) -> list[dict[str, Any]]:
    """LiveCodeBench's test field: JSON, or (private tests) base64 of zlib of a pickled JSON string.

    The pickle comes from the pinned dataset revision, as in ``lcb_runner``; it is only ever a str.
    """
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, TypeError):
        pass
    decoded = pickle.loads(zlib.decompress(base64.b64decode(raw.encode("utf-8"))))  # noqa: S301
    return json.loads(decoded)


def _lcb_hub() -> list[dict[str, Any]]:
    from huggingface_hub import hf_hub_download

    bench = get_benchmark("lcb")
    src, meta = bench.hub, bench.metadata
    lo, hi = meta["contest_date_from"], meta["contest_date_to"]
    out = []
    for name in _LCB_FILES[src.config]:
        path = Path(hf_hub_download(src.id, name, repo_type="dataset", revision=src.revision))
        with path.open(encoding="utf-8") as lines:  # streamed: test.jsonl alone is over 1 GB
            out.extend(_lcb_hub_rows(iter_jsonl(path, lines), f"{src.tag}/{name}", lo, hi))
    return out


def _lcb_hub_rows(rows: Iterable[tuple[int, Any]], where_file: str, lo: str, hi: str) -> list[dict[str, Any]]:
    """The records of one LiveCodeBench file whose contest date lies in ``[lo, hi)``."""
    src = get_benchmark("lcb").hub
    out = []
    for n, (_, row) in enumerate(rows):
        where = f"{where_file}: row {n}"
        if not isinstance(row, dict):
            raise DataError(f"{where}: expected a JSON object")
        date = str(row.get("contest_date", ""))[:10]
        if not lo <= date < hi:
            continue
        try:
            tests = decode_lcb_tests(row["public_test_cases"]) + decode_lcb_tests(row["private_test_cases"])
            fn_name = json.loads(row.get("metadata") or "{}").get("func_name")
        except (KeyError, ValueError, TypeError, zlib.error, pickle.UnpicklingError) as exc:
            raise DataError(f"{where}: cannot decode its tests ({type(exc).__name__})") from None
        rec = _record(
            "lcb",
            str(row.get("question_id")),
            row.get("question_content"),
            row.get("starter_code"),
            tests,
            "hidden",
            src.tag,
            where,
        )
        rec["fn_name"] = fn_name or rec["fn_name"]
        rec.update(contest_id=str(row.get("contest_id", "")), contest_date=date)
        out.append(rec)
    return out


def _codeforces_hub() -> list[dict[str, Any]]:
    import datasets

    src = get_benchmark("codeforces").hub
    ds = datasets.load_dataset(src.id, split=src.split, revision=src.revision)
    out = []
    for n, row in enumerate(ds):
        where = f"{src.tag}: row {n}"
        try:
            problem = CODEELO_TEMPLATE.format(
                description=row["description"], input_format=row["input"], output_format=row["output"],
                tags=row["tags"], time_limit=row["time_limit_ms"], memory_limit=row["memory_limit_mb"],
            )  # fmt: skip
        except KeyError as exc:
            raise DataError(f"{where}: missing field {exc}") from None
        rec = _record(
            "codeforces",
            str(row.get("problem_id")),
            problem,
            "",
            row.get("examples"),
            "public",
            src.tag,
            where,
        )
        rec["contest_id"] = re.match(r"\d+", rec["id"]).group(0) if re.match(r"\d+", rec["id"]) else ""
        out.append(rec)
    return out


def load_code_problems(
    benchmark: str, *, data_dir: str | Path | None = None, check_count: bool = True
) -> list[dict]:
    """A code benchmark's problems: from the local data directory (``data_dir`` or
    ``$ELASTIC_BENCH_DATA_DIR``; public tests), else the pinned Hub source."""
    bench = get_benchmark(benchmark)
    root = resolve_data_dir(data_dir)
    if root is not None:
        missing = [rel for rel in bench.local_files if not (root / rel).is_file()]
        if missing:
            raise DataError(f"{root}: no data file for {bench.name} (missing {', '.join(missing)})")
        records = {"lcb": _lcb_local, "codeforces": _codeforces_local}[bench.name](root)
    else:
        records = {"lcb": _lcb_hub, "codeforces": _codeforces_hub}[bench.name]()
    seen: set[str] = set()
    for i, rec in enumerate(records):
        if rec["id"] in seen:
            raise DataError(f"{rec['source']}: row {i}: duplicate id {rec['id']!r}")
        seen.add(rec["id"])
    if check_count and bench.expected_count is not None and len(records) != bench.expected_count:
        where = records[0]["source"] if records else bench.name
        hint = (
            " (the Hub source is not pinned and may have changed; give a data_dir with the offline copy)"
            if root is None and bench.hub is not None and bench.hub.revision is None
            else ""
        )
        raise DataError(
            f"{where}: {len(records)} problems, expected {bench.expected_count} for {bench.name}{hint}"
        )
    return records
