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
"""

from __future__ import annotations

import fnmatch
from typing import Any

__all__ = ["task_specs"]


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


def _spec(name: str, k: int, index: dict[str, Any]) -> list[dict[str, Any]]:
    from lm_eval.tasks._index import Kind

    entry = index[name]
    if entry.kind is Kind.GROUP:
        # lm-eval 0.4.13 passes a top-level group dict as overrides to every member, so it must hold
        # nothing but "group" and "task" (each member's own dict wins for "task"); the group's
        # aggregate_metric_list / group_alias / metadata are not carried over (ours define none).
        return [{"group": name, "task": _members(name, k, index)}]
    if entry.kind is Kind.TAG:
        return [s for task in sorted(entry.tags) for s in _spec(task, k, index)]
    return [{**_full_config(entry), "task": name, "repeats": k}]


def task_specs(tasks: list[str], k: int | None, manager: Any) -> list[str | dict[str, Any]]:
    """``tasks`` (names or glob patterns of tasks, groups or tags) as specs for ``manager.load`` /
    ``simple_evaluate`` with ``repeats = k``; unchanged when ``k`` is None.

    Raises ``KeyError`` for a name the manager does not know and ``ValueError`` for k < 1.
    """
    if k is None:
        return list(tasks)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k (samples per problem) must be a positive integer, got {k!r}")
    index = manager.task_index
    specs: list[str | dict[str, Any]] = []
    for name in tasks:
        names = [name] if name in index else sorted(n for n in index if fnmatch.fnmatchcase(n, name))
        if not names:
            raise KeyError(f"unknown task, group or tag {name!r}")
        for n in names:
            specs.extend(_spec(n, k, index))
    return specs
