"""Task specs for lm-eval with the number of samples per problem (k, lm-eval's ``repeats``) overridden.

lm-eval 0.4.13's CLI cannot override ``repeats``, but ``TaskManager.load`` / ``simple_evaluate``
accept config dicts, and a group dict's non-group keys are applied to every member task::

    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    tm = TaskManager(metadata={"data_dir": "/data"})
    simple_evaluate(model="elastic-hf", tasks=task_specs(["elastic_aime"], 4, tm), task_manager=tm)

A group becomes ``{"group": name, "task": [{"task": member, "repeats": k}, ...]}`` (same group
and subtask names, so results keep ``<group>_t<budget>`` keys and the group row); a single task
becomes its full YAML config with ``repeats: k`` (lm-eval builds a bare top-level
``{"task": name, ...}`` dict without its YAML); a tag expands to its tasks. ``--metadata``,
``--limit`` and the rest apply as for names.

The plain ``lm_eval`` CLI takes the same overrides as YAML files (``--tasks`` accepts YAML paths)::

    lm_eval --model elastic-hf --tasks $(python -m elastic_bench.harness.lmeval --k 4 elastic_aime) ...
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

__all__ = ["task_specs", "write_task_files"]


def _full_config(entry: Any) -> dict[str, Any]:
    from lm_eval.tasks._yaml_loader import load_yaml

    if entry.yaml_path is None:
        return dict(entry.cfg or {})
    return load_yaml(entry.yaml_path, resolve_func=True, recursive=True)


def _members(name: str, k: int, index: dict[str, Any]) -> list[dict[str, Any]]:
    """The leaf tasks of a group or tag as ``{"task": ..., "repeats": k}`` dicts (nested groups flattened)."""
    from lm_eval.tasks._index import Kind

    entry = index[name]
    if entry.kind is Kind.TAG:
        return [m for task in sorted(entry.tags) for m in _members(task, k, index)]
    if entry.kind is not Kind.GROUP:
        return [{"task": name, "repeats": k}]
    out: list[dict[str, Any]] = []
    for member in _full_config(entry).get("task") or []:
        if isinstance(member, str) and member in index:
            out.extend(_members(member, k, index))
        elif isinstance(member, dict) and "task" in member and "group" not in member:
            out.append({**member, "repeats": k})  # a member with its own overrides, or an inline task
        elif isinstance(member, dict) and member.get("group") in index and set(member) == {"group"}:
            out.extend(_members(member["group"], k, index))
        else:
            raise ValueError(f"{name}: cannot override repeats of group member {member!r}")
    return out


def _spec(name: str, k: int, index: dict[str, Any], *, for_file: bool = False) -> list[dict[str, Any]]:
    from lm_eval.tasks._index import Kind

    entry = index[name]
    if entry.kind is Kind.GROUP:
        # lm-eval 0.4.13 passes a top-level group dict as overrides to every member, so it must hold
        # nothing but "group" and "task" (each member's own dict wins for "task"); the group's
        # aggregate_metric_list / group_alias / metadata are not carried over (ours define none).
        return [{"group": name, "task": _members(name, k, index)}]
    if entry.kind is Kind.TAG:
        return [s for task in sorted(entry.tags) for s in _spec(task, k, index, for_file=for_file)]
    if for_file and entry.yaml_path is not None:  # lm-eval's YAML loader resolves the include
        return [{"include": str(entry.yaml_path), "task": name, "repeats": k}]
    return [{**_full_config(entry), "task": name, "repeats": k}]


def _names(tasks: list[str], index: dict[str, Any]) -> list[str]:
    out = []
    for name in tasks:
        names = [name] if name in index else sorted(n for n in index if fnmatch.fnmatchcase(n, name))
        if not names:
            raise KeyError(f"unknown task, group or tag {name!r}")
        out.extend(names)
    return out


def _check_k(k: object) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k (samples per problem) must be a positive integer, got {k!r}")


def task_specs(tasks: list[str], k: int | None, manager: Any) -> list[str | dict[str, Any]]:
    """``tasks`` (names or glob patterns of tasks, groups or tags) as specs for ``manager.load`` /
    ``simple_evaluate`` with ``repeats = k``; unchanged when ``k`` is None.

    Raises ``KeyError`` for a name the manager does not know and ``ValueError`` for k < 1.
    """
    if k is None:
        return list(tasks)
    _check_k(k)
    return [s for name in _names(tasks, manager.task_index) for s in _spec(name, k, manager.task_index)]


def write_task_files(tasks: list[str], k: int, manager: Any, folder: str | Path) -> list[Path]:
    """The same overrides as YAML files, one per spec, for the plain ``lm_eval`` CLI, which accepts
    YAML paths in ``--tasks`` (comma-separated) and loads each as a config dict."""
    import yaml

    _check_k(k)
    index = manager.task_index
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in _names(tasks, index):
        for spec in _spec(name, k, index, for_file=True):
            path = folder / f"{spec.get('group') or spec['task']}_k{k}.yaml"
            try:
                text = yaml.safe_dump(spec, sort_keys=False)
            except yaml.representer.RepresenterError as exc:
                raise ValueError(
                    f"{name}: its group has inline members that cannot be written to YAML"
                ) from exc
            path.write_text(
                f"# k={k} override of {name}, by elastic_bench.harness.lmeval._task_specs\n" + text
            )
            paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """``python -m elastic_bench.harness.lmeval --k 4 elastic_aime``: print ``--tasks`` for lm_eval."""
    import argparse
    import tempfile

    from lm_eval.tasks import TaskManager

    parser = argparse.ArgumentParser(description="write task files that set k (repeats) for lm_eval --tasks")
    parser.add_argument("tasks", nargs="+", help="task, group or tag names (or glob patterns)")
    parser.add_argument("--k", type=int, required=True, help="samples per problem")
    parser.add_argument("--out", help="folder for the files (default: a new temporary folder)")
    args = parser.parse_args(argv)
    folder = args.out or tempfile.mkdtemp(prefix="elastic_bench_tasks_")
    try:
        paths = write_task_files(args.tasks, args.k, TaskManager(), folder)
    except (KeyError, ValueError) as exc:
        parser.error(str(exc.args[0]) if exc.args else str(exc))
    print(",".join(str(p) for p in paths))
    return 0
