"""Checkpoint submission: validate a result file and add it to the leaderboard's results directory.

`elastic-bench submit FILE [--results-dir DIR] [--overwrite]` and the app's upload page both go
through :func:`validate_submission`: the schema (:mod:`elastic_bench.harness.results._schema`) plus
consistency checks the schema cannot express (budgets vs labels and the reproducibility record,
counts, metric ranges). Every failure is one specific line. Nothing in a submission is executed;
it is only parsed as JSON. An existing entry is never replaced unless ``overwrite=True``, and a
submission whose weights are an existing entry's under another name is refused unless it is declared
an alias of that entry (``--alias``) or replaces it (``--overwrite``), so a copy of a base under a new
name cannot displace the base from its comparison.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from pathlib import Path, PurePosixPath, PureWindowsPath

from elastic_bench.harness.protocol import ELASTIC, THINK_CAPPED_STRATEGIES, TRUNCATE
from elastic_bench.harness.results._io import (
    NESTED_TOO_DEEPLY,
    ResultFileError,
    is_lm_eval_results,
    load_result,
    parse_result,
    write_atomic,
)
from elastic_bench.harness.results._samples import SamplesError, copy_samples, inside, sample_files
from elastic_bench.harness.results._schema import DEFAULT_RESULTS_DIR, ResultFile
from elastic_bench.harness.results._store import (
    entry_filename,
    entry_path,
    find_existing_entry,
    find_same_weights,
    partial_reason,
)
from elastic_bench.harness.results._verification import SELF_REPORTED_ONLY

MAX_SUBMISSION_BYTES = 50 * 1024 * 1024
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
LABEL_BUDGET = re.compile(r"^t=0*(\d+)$")
# mean token counts are means of integers: allow float noise, nothing more
_TOL = 1e-6


class SubmissionError(ResultFileError):
    """A submission that is invalid or would replace an existing entry; the message says why."""


def _reject_constant(name: str) -> float:
    raise ValueError(f"non-finite number {name} is not allowed")


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def validate_submission_bytes(data: bytes, name: str = "submission") -> ResultFile:
    """Validate the raw bytes of a result file (schema + consistency); raises :class:`SubmissionError`."""
    if len(data) > MAX_SUBMISSION_BYTES:
        raise SubmissionError(f"{name}: file is {len(data)} bytes, the limit is {MAX_SUBMISSION_BYTES}")
    if not data.strip():
        raise SubmissionError(f"{name}: file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"{name}: not UTF-8 text (byte {exc.start})") from exc
    try:
        raw = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise SubmissionError(f"{name}: not JSON: {exc.msg} at line {exc.lineno}") from exc
    except ValueError as exc:
        raise SubmissionError(f"{name}: not valid JSON: {exc}") from exc
    except RecursionError:
        raise SubmissionError(f"{name}: {NESTED_TOO_DEEPLY}") from None
    if is_lm_eval_results(raw):
        raise SubmissionError(
            f"{name}: this is a raw lm-eval output, not a result file; run `elastic-bench convert` on its folder first"
        )
    try:
        result = parse_result(raw, name=name)
    except ResultFileError as exc:
        raise SubmissionError(str(exc)) from exc
    problem = consistency_problem(result)
    if problem:
        raise SubmissionError(f"{name}: {problem}")
    if result.verified:  # only the leaderboard's worker writes verified entries
        raise SubmissionError(f"{name}: {SELF_REPORTED_ONLY}")
    return result


def validate_submission(path: str | Path) -> ResultFile:
    """Validate a result file on disk for submission; returns it or raises :class:`SubmissionError`."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_SUBMISSION_BYTES:
            raise SubmissionError(f"{path.name}: file is {size} bytes, the limit is {MAX_SUBMISSION_BYTES}")
        data = path.read_bytes()
    except OSError as exc:
        raise SubmissionError(f"{path.name}: cannot read: {exc.strerror or exc}") from exc
    return validate_submission_bytes(data, name=path.name)


def _finite_problem(result: ResultFile) -> str | None:
    for p in result.points:
        for field, value in p.model_dump().items():
            values = value if isinstance(value, (list, tuple)) else [value]
            if any(isinstance(v, float) and not math.isfinite(v) for v in values):
                return f"point {p.label}: {field} must be finite"
    return None


def consistency_problem(result: ResultFile) -> str | None:
    """The first consistency problem of a schema-valid result file, as one line; None if consistent."""
    for field in ("benchmark", "task_group"):
        value = getattr(result, field)
        if not SAFE_NAME.match(value):
            return f"{field} {value!r} may only contain letters, digits, '_', '-' and '.' (and not start with one of them)"
    problem = _finite_problem(result)
    if problem:
        return problem
    if result.samples_file is not None:
        sf = result.samples_file
        if (
            not sf
            or "\x00" in sf
            or PurePosixPath(sf).is_absolute()
            or PureWindowsPath(sf).is_absolute()
            or PureWindowsPath(sf).drive
        ):
            return f"samples_file {sf!r} must be a relative path"

    points = result.points
    n0, k0 = points[0].n_problems, points[0].k
    budgets = [p.thinking_budget for p in points if p.thinking_budget is not None]
    if len(set(budgets)) != len(budgets):
        return f"duplicate thinking budgets {budgets}"
    for p in points:
        where = f"point {p.label}"
        if p.n_problems != n0:
            return f"{where}: n_problems={p.n_problems} differs from the first point's {n0}"
        if p.k != k0:
            return f"{where}: k={p.k} differs from the first point's {k0}"
        if p.mean_think_tokens is not None and p.mean_answer_tokens is not None:
            parts = p.mean_think_tokens + p.mean_answer_tokens
            if abs(parts - p.mean_total_tokens) > 0.5 + 1e-3 * p.mean_total_tokens:
                return (
                    f"{where}: mean_total_tokens {p.mean_total_tokens} != mean_think_tokens + "
                    f"mean_answer_tokens ({parts})"
                )
        for part in ("mean_think_tokens", "mean_answer_tokens"):
            value = getattr(p, part)
            if value is not None and value > p.mean_total_tokens + 0.5:
                return f"{where}: {part} {value} exceeds mean_total_tokens {p.mean_total_tokens}"
        if p.tokens_per_correct is not None and p.accuracy is not None and p.mean_total_tokens is not None:
            if p.accuracy == 0:
                return f"{where}: tokens_per_correct is set but accuracy is 0 (no correct answer)"
            expected = p.mean_total_tokens / p.accuracy
            if abs(p.tokens_per_correct - expected) > 0.01 * expected + 0.5:
                return (
                    f"{where}: tokens_per_correct {p.tokens_per_correct} != mean_total_tokens / accuracy "
                    f"({expected:.1f})"
                )
        if p.per_problem_accuracy is not None and p.k > 1:
            off = [a for a in p.per_problem_accuracy if abs(a * p.k - round(a * p.k)) > 1e-6]
            if off:
                return f"{where}: per_problem_accuracy value {off[0]} is not a multiple of 1/k (k={p.k})"
        if p.per_problem_tokens is not None:
            if any(not math.isfinite(t) or t < 0 for t in p.per_problem_tokens):
                return f"{where}: per_problem_tokens must be finite and >= 0"
            mean = sum(p.per_problem_tokens) / len(p.per_problem_tokens)
            if abs(mean - p.mean_total_tokens) > 0.5 + 1e-3 * p.mean_total_tokens:
                return f"{where}: mean_total_tokens {p.mean_total_tokens} is not the mean of per_problem_tokens ({mean:.2f})"

    if result.kind == "reproduced":
        return _reproduced_problem(result)
    return None


def _reproduced_problem(result: ResultFile) -> str | None:
    rep = result.reproducibility
    if rep is None:  # the schema already enforces this; keep the check explicit
        return "a reproduced result needs a reproducibility record"
    for field in ("model", "tokenizer", "prompt_template", "end_of_thinking_marker", "backend", "hardware"):
        if not str(getattr(rep, field)).strip():
            return f"reproducibility.{field} is empty"
    if not rep.versions:
        return "reproducibility.versions is empty (record at least lm_eval and elastic_bench versions)"
    if rep.dataset.n_problems != result.points[0].n_problems:
        return (
            f"reproducibility.dataset.n_problems={rep.dataset.n_problems} but the points evaluate "
            f"{result.points[0].n_problems} problems"
        )
    declared = list(rep.budgets)
    actual = [p.thinking_budget for p in result.points]
    if sorted(declared, key=lambda b: (b is None, b or 0)) != actual:
        return f"reproducibility.budgets {declared} do not match the points' thinking budgets {actual}"
    for p in result.points:
        where = f"point {p.label}"
        if p.k != rep.k:
            return f"{where}: k={p.k} but reproducibility.k={rep.k}"
        if p.strategy != rep.strategy:
            return f"{where}: strategy {p.strategy!r} but reproducibility.strategy is {rep.strategy!r}"
        m = LABEL_BUDGET.match(p.label)
        if p.thinking_budget is None:
            if p.label != "unconstrained":
                return f"{where}: has no thinking budget, so its label must be 'unconstrained'"
        elif m is None:
            return f"{where}: label must be 't=<budget>' (e.g. 't={p.thinking_budget:05d}')"
        elif int(m.group(1)) != p.thinking_budget:
            return f"{where}: label says budget {int(m.group(1))} but thinking_budget is {p.thinking_budget}"
        # budget-enforcing strategies cannot think longer than the budget (on average)
        if (
            p.thinking_budget is not None
            and p.strategy in THINK_CAPPED_STRATEGIES
            and p.mean_think_tokens is not None
            and p.mean_think_tokens > p.thinking_budget + _TOL
        ):
            return f"{where}: mean_think_tokens {p.mean_think_tokens} exceeds the thinking budget {p.thinking_budget}"
        solution = p.solution_budget if p.solution_budget is not None else rep.solution_budget
        if (
            solution is not None
            and p.strategy == ELASTIC
            and p.mean_answer_tokens is not None
            and p.mean_answer_tokens > solution + _TOL
        ):
            return (
                f"{where}: mean_answer_tokens {p.mean_answer_tokens} exceeds the solution budget {solution}"
            )
        if p.thinking_budget is not None and p.strategy == TRUNCATE and solution is not None:
            cap = p.thinking_budget + solution
            if p.mean_total_tokens > cap + _TOL:
                return f"{where}: mean_total_tokens {p.mean_total_tokens} exceeds the budget t+s={cap}"
    if result.problem_ids is not None and len(result.problem_ids) != rep.dataset.n_problems:
        return f"problem_ids has {len(result.problem_ids)} entries, reproducibility.dataset.n_problems is {rep.dataset.n_problems}"
    return None


def _bring_samples(
    result: ResultFile,
    results_dir: Path,
    dest: Path,
    samples_base: str | Path | None,
    overwrite: bool,
    name: str,
) -> str | None:
    """Copy the submission's own checked samples; their path relative to ``dest`` (None: none)."""
    source = inside(Path(samples_base), result.samples_file, name) if samples_base is not None else None
    if source is None or not (source.is_file() or source.is_dir()):
        return None
    files = sample_files(source, result, name)
    copied = copy_samples(source, files, results_dir, Path(entry_filename(result)).stem, overwrite)
    return Path(os.path.relpath(copied, dest.parent)).as_posix()


#: what :func:`add_entry` does with a result whose weights are another entry's: "allow" (a run of a
#: model the caller named), "refuse" (a submission), "alias" (a submission declared an alias)
SAME_WEIGHTS_RULES = ("allow", "refuse", "alias")


def _same_weights(
    result: ResultFile, results_dir: Path, rule: str, overwrite: bool, name: str
) -> tuple[ResultFile, Path | None]:
    """``result`` (an alias of the entry with its weights, for ``rule="alias"``) and the entry it replaces
    (``overwrite``), or :class:`SubmissionError` when its weights are another entry's under another name."""
    if rule not in SAME_WEIGHTS_RULES:
        raise ValueError(f"same_weights must be one of {SAME_WEIGHTS_RULES}, got {rule!r}")
    same = find_same_weights(result, results_dir) if rule != "allow" else None
    if same is None:
        if rule == "alias":
            raise SubmissionError(
                f"{name}: --alias: no entry on {result.task_group} has the weights of {result.model_name!r}"
            )
        if rule == "refuse" and result.alias_of is not None:
            raise SubmissionError(
                f"{name}: alias_of names {result.alias_of!r}, but no entry on {result.task_group} has its weights"
            )
        return result, None
    path, other = same
    if rule == "alias" or result.alias_of == other:
        return result.model_copy(update={"alias_of": other}), None
    if overwrite:
        return result, path
    sha = result.reproducibility.weights_sha256 if result.reproducibility else ""
    raise SubmissionError(
        f"{name}: {result.model_name!r} has the weights of the existing entry {other!r} on "
        f"{result.task_group} (sha256 {str(sha)[:12]}); pass --alias to add it as an alias of {other!r}, "
        f"or --overwrite to replace {other!r}"
    )


def add_entry(
    result: ResultFile,
    results_dir: str | Path = DEFAULT_RESULTS_DIR,
    *,
    overwrite: bool = False,
    samples_base: str | Path | None = None,
    name: str = "submission",
    same_weights: str = "allow",
) -> Path:
    """Write an already validated ``result`` into ``results_dir``; returns the entry's path.

    Refuses (``SubmissionError``) when an entry with the same kind, model and task group exists,
    unless ``overwrite`` is true (then that entry is replaced in place). ``same_weights="refuse"``
    (submissions) also refuses a result whose weights sha256 is that of an entry of the same task group
    under another name, unless ``overwrite`` (that entry is replaced) or the result is already its alias;
    ``"alias"`` records the result as that entry's alias (``alias_of``). When ``samples_base`` is
    given, ``samples_file`` is resolved against it and must stay inside it (symlinks included);
    the logged samples, checked to be lm-eval sample lines of the result's tasks, are copied to
    ``results_dir/samples/``. Without ``samples_base`` (e.g. an upload) or when the file does not
    exist, the reference is dropped, so an entry never points at files outside the results directory.
    """
    results_dir = Path(results_dir)
    result, displaced = _same_weights(result, results_dir, same_weights, overwrite, name)
    existing = find_existing_entry(result, results_dir)
    if existing is not None and not overwrite:
        raise SubmissionError(
            f"{name}: an entry for {result.kind} {result.model_name!r} on {result.task_group} already "
            f"exists at {existing}; pass --overwrite to replace it"
        )
    if existing is not None:
        try:
            kept = load_result(existing)
        except (ResultFileError, OSError):
            kept = None  # an unreadable entry is replaced
        reason = partial_reason(result, None, kept, whole_sweep=False) if kept is not None else None
        if reason is not None:  # the rule a run follows: a partial result never replaces an entry
            raise SubmissionError(f"{name}: partial result ({reason}); the entry at {existing} is kept")
    dest = existing if existing is not None else entry_path(result, results_dir)
    if existing is None and dest.exists():  # an older file of another model under this name
        raise SubmissionError(
            f"{name}: {dest} holds another entry; move it away to add {result.model_name!r}"
        )
    result = result.model_copy(deep=True)
    copied = None
    try:
        if result.samples_file is not None:
            result.samples_file = _bring_samples(result, results_dir, dest, samples_base, overwrite, name)
            copied = dest.parent / result.samples_file if result.samples_file else None
        # a new entry is linked into place, never over one another submission added meanwhile
        write_atomic(dest, result.model_dump_json(indent=2) + "\n", exclusive=existing is None)
    except SamplesError as exc:
        raise SubmissionError(str(exc)) from None
    except FileExistsError as exc:  # another submission of the same entry got there first
        if copied is not None and copied.is_dir():  # the samples this call copied belong to no entry
            shutil.rmtree(copied, ignore_errors=True)
        elif copied is not None:
            copied.unlink(missing_ok=True)
        entry = f"the entry for {result.kind} {result.model_name!r} on {result.task_group}"
        if dest.exists():
            raise SubmissionError(
                f"{name}: another submission added {entry} at {dest} first; pass --overwrite to replace it"
            ) from None
        raise SubmissionError(
            f"{name}: samples for {entry} are already at {exc.filename} (another submission in progress, "
            "or left by an earlier one); pass --overwrite to replace them"
        ) from None
    if displaced is not None and displaced != dest:  # written first: a crash loses neither
        displaced.unlink(missing_ok=True)
    return dest


def submit(
    path: str | Path, results_dir: str | Path = "results", *, overwrite: bool = False, alias: bool = False
) -> Path:
    """Validate the result file ``path`` and add it to ``results_dir``; returns the written entry's path.

    Never replaces an existing entry (same kind, model and task group) unless ``overwrite`` is true, and
    never adds the weights of an entry under another name unless ``alias`` (recorded as its alias) or
    ``overwrite`` (replacing it). Logged samples named by ``samples_file`` (relative to ``path``) are
    copied along.
    """
    path = Path(path)
    result = validate_submission(path)
    return add_entry(
        result,
        results_dir,
        overwrite=overwrite,
        samples_base=path.parent,
        name=path.name,
        same_weights="alias" if alias else "refuse",
    )
