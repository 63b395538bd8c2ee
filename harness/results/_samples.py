"""The logged samples a submission brings along: only its own, checked, then copied.

A result file's ``samples_file`` is resolved against the submission's folder and must stay inside
it (symlinks are followed before the check, so a link cannot point elsewhere). Every file must be
lm-eval ``--log_samples`` JSONL of the result's tasks; failures name the file and line.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from pathlib import Path

from elastic_bench.harness.results._io import DiskFullError, ResultFileError
from elastic_bench.harness.results._schema import SAMPLES_DIRNAME, ResultFile
from elastic_bench.harness.results._store import contained, samples_file_task


class SamplesError(ResultFileError):
    """Samples that a submission may not bring (outside its folder, or not lm-eval samples)."""


def inside(folder: Path, rel: str, name: str) -> Path:
    """``folder/rel`` resolved (symlinks followed); refuses anything that ends up outside ``folder``."""
    target = contained(folder, rel)
    if target is None:
        raise SamplesError(f"{name}: samples_file {rel!r} points outside the submission's folder")
    return target


def check_samples_file(path: Path, result: ResultFile, name: str) -> None:
    """Check that ``path`` holds lm-eval sample lines (JSON objects with ``doc_id`` and responses)
    of the tasks of ``result``; raises :class:`SamplesError` naming file and line."""
    task = samples_file_task(path.name)
    if task is not None and task not in {p.task for p in result.points}:
        raise SamplesError(f"{name}: {path.name}: task {task} is not a task of this result")
    try:
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except (ValueError, RecursionError):
                    row = None
                if not (
                    isinstance(row, dict)
                    and isinstance(row.get("doc_id"), int)
                    and ("resps" in row or "filtered_resps" in row)
                ):
                    raise SamplesError(
                        f"{name}: {path.name}:{lineno}: not an lm-eval sample line "
                        "(a JSON object with doc_id and resps)"
                    )
    except UnicodeDecodeError as exc:
        raise SamplesError(f"{name}: {path.name}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise SamplesError(f"{name}: {path.name}: cannot read: {exc.strerror or exc}") from None


def sample_files(source: Path, result: ResultFile, name: str) -> list[Path]:
    """The sample files a submission brings (one file, or a folder's ``*.jsonl``), all checked."""
    files = sorted(source.glob("*.jsonl")) if source.is_dir() else [source]
    for f in files:
        if f.is_symlink() and not f.resolve().is_relative_to(source.resolve()):
            raise SamplesError(f"{name}: samples file {f.name} is a link to outside the submission's folder")
        if not f.is_file():
            raise SamplesError(f"{name}: samples file {f.name} is not a regular file")
        check_samples_file(f, result, name)
    return files


def copy_samples(source: Path, files: list[Path], results_dir: Path, stem: str, overwrite: bool) -> Path:
    """Copy checked sample ``files`` (from a .jsonl file or a folder) to ``results_dir/samples/``,
    whole or not at all (copied under a hidden name, then renamed into place). FileExistsError
    (naming the path) when samples are there already, or arrive meanwhile, and ``overwrite`` is false;
    :class:`DiskFullError` on a full disk."""
    folder = results_dir / SAMPLES_DIRNAME
    dest = folder / stem if source.is_dir() else folder / f"{stem}.jsonl"
    if dest.exists() and not overwrite:
        raise FileExistsError(errno.EEXIST, "samples exist", str(dest))
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder, prefix=f".{stem[:60]}.", suffix=".tmp"))
    try:
        for f in files:
            shutil.copyfile(f, staging / f.name)
        if not source.is_dir():
            (os.replace if overwrite else os.link)(staging / files[0].name, dest)
            return dest
        if overwrite and dest.is_dir():
            shutil.rmtree(dest)
        try:
            os.rename(staging, dest)  # refused when another submission's folder is there
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                raise FileExistsError(errno.EEXIST, "samples folder exists", str(dest)) from None
            raise
        return dest
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise DiskFullError(f"disk full: the samples {dest} were not copied; free space") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
