"""Result files on disk: read, migrate older schema versions, validate, write.

The schema itself (:class:`~elastic_bench.harness.results._schema.ResultFile` and its parts, the version
history) lives in :mod:`elastic_bench.harness.results._schema`; this module turns files into validated
objects and back, with one-line errors (:class:`ResultFileError`) for anything unreadable.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from elastic_bench.harness.protocol import UNCONSTRAINED
from elastic_bench.harness.results._schema import SCHEMA_VERSION, ResultFile

__all__ = [
    "MIGRATIONS",
    "DiskFullError",
    "ResultFileError",
    "load_result",
    "migrate",
    "parse_result",
    "read_json",
    "save_result",
    "write_atomic",
]


class ResultFileError(ValueError):
    """A result file that cannot be read or does not validate; the message says why."""


#: what a JSON document nested deeper than the decoder's recursion limit is called
NESTED_TOO_DEEPLY = "not a result file: JSON nested too deeply"


def read_json(path: str | Path, error: type[ValueError] = ResultFileError) -> object:
    """The decoded JSON of a file, or ``error`` with a one-line reason (unreadable, not UTF-8, not JSON)."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path.name}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{path.name}: not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise error(f"{path.name}: not JSON: {exc.msg} at line {exc.lineno}") from exc
    except RecursionError:
        raise error(f"{path.name}: {NESTED_TOO_DEEPLY}") from None


def load_result(path: str | Path) -> ResultFile:
    """Read and validate one result file; raises :class:`ResultFileError` with a one-line reason."""
    return parse_result(read_json(path), name=Path(path).name)


def _version(value: object) -> tuple[int, int] | None:
    if isinstance(value, str) and (m := re.fullmatch(r"(\d+)\.(\d+)", value)):
        return int(m[1]), int(m[2])
    return None


def _migrate_1_0(raw: dict[str, Any]) -> dict[str, Any]:
    """1.0 -> 1.1: reported points with no budget and a label other than 'unconstrained' (e.g. a model
    card's "budget column 2") ran under a budget the source does not state."""
    if raw.get("kind") == "reported" and isinstance(raw.get("points"), list):
        raw["points"] = [
            {**p, "budget_stated": False}
            if isinstance(p, dict) and p.get("thinking_budget") is None and p.get("label") != UNCONSTRAINED
            else p
            for p in raw["points"]
        ]
    return {**raw, "schema_version": "1.1"}


def _migrate_1_1(raw: dict[str, Any]) -> dict[str, Any]:
    """1.1 -> 1.2: every new field is optional, so a 1.1 file keeps its values; a reported file gets no
    ``reported_source`` (its provenance shows as unstated) and a code result no ``grading_semantics``."""
    return {**raw, "schema_version": "1.2"}


def _migrate_1_2(raw: dict[str, Any]) -> dict[str, Any]:
    """1.2 -> 1.3: ``training_run`` and ``alias_of`` are optional, so a 1.2 file keeps its values (it
    belongs to no training-run family and is nobody's alias)."""
    return {**raw, "schema_version": "1.3"}


#: schema_version -> function upgrading a decoded file by one version
MIGRATIONS = {"1.0": _migrate_1_0, "1.1": _migrate_1_1, "1.2": _migrate_1_2}


def migrate(raw: dict[str, Any], name: str = "result") -> dict[str, Any]:
    """Upgrade a decoded result file to :data:`SCHEMA_VERSION` (a no-op for current files).

    Raises :class:`ResultFileError` for a missing or malformed version and for files written by a
    newer major version of the schema.
    """
    found = raw.get("schema_version")
    version, current = _version(found), _version(SCHEMA_VERSION)
    assert current is not None
    if version is None:
        raise ResultFileError(f"{name}: unsupported schema_version {found!r} (expected {SCHEMA_VERSION!r})")
    if version[0] > current[0]:
        raise ResultFileError(
            f"{name}: schema_version {found} is newer than this elastic-bench reads ({SCHEMA_VERSION}); "
            "upgrade elastic-bench"
        )
    while raw.get("schema_version") in MIGRATIONS:
        raw = MIGRATIONS[raw["schema_version"]](dict(raw))
    if raw.get("schema_version") != SCHEMA_VERSION and version < current:
        raise ResultFileError(f"{name}: unsupported schema_version {found!r} (expected {SCHEMA_VERSION!r})")
    return raw


def parse_result(raw: object, name: str = "result") -> ResultFile:
    """Validate a decoded JSON object as a result file (migrating older schema versions)."""
    if not isinstance(raw, dict):
        raise ResultFileError(f"{name}: expected a JSON object, got {type(raw).__name__}")
    migrated = migrate(raw, name)
    newer_minor = migrated.get("schema_version") != SCHEMA_VERSION
    if newer_minor:  # same major, newer minor: readable if it only uses fields we know
        migrated = {**migrated, "schema_version": SCHEMA_VERSION}
    try:
        return ResultFile.model_validate(migrated)
    except ValidationError as exc:
        hint = (
            f" (written with schema {raw.get('schema_version')}; upgrade elastic-bench)"
            if newer_minor
            else ""
        )
        raise ResultFileError(f"{name}: {first_error(exc)}{hint}") from exc


def is_lm_eval_results(raw: object) -> bool:
    """Whether a decoded JSON object is lm-eval's own results file (``results`` and ``configs``, no
    ``schema_version``) rather than a result file."""
    return (
        isinstance(raw, dict)
        and "schema_version" not in raw
        and isinstance(raw.get("results"), dict)
        and "configs" in raw
    )


def first_error(exc: ValidationError, where: str = "(file)") -> str:
    """A pydantic error as one line: the first problem's location (``where`` for the whole object)
    and message."""
    first = exc.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc']) or where}: {first['msg']}"


def save_result(result: ResultFile, path: str | Path) -> Path:
    """Write a result file (pretty JSON), whole or not at all."""
    return write_atomic(path, result.model_dump_json(indent=2) + "\n")


class DiskFullError(OSError):
    """A file that could not be written because the disk is full (one line naming it; nothing
    partial is left behind)."""


def write_atomic(path: str | Path, text: str, *, exclusive: bool = False) -> Path:
    """Write ``text`` to ``path`` whole or not at all: a temporary file beside it, synced, then
    renamed over ``path`` (``exclusive``: linked, so FileExistsError when ``path`` appeared
    meanwhile). The file is readable as the umask allows (not only by its owner); a full disk raises
    :class:`DiskFullError`; the temporary file never stays."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:60]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private (0600)
        if exclusive:
            os.link(tmp, path)
        else:
            os.replace(tmp, path)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        full = DiskFullError(f"disk full: {path} was not written (nothing partial is left); free space")
        full.errno = exc.errno
        raise full from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return path
