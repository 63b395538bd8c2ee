"""Keeps ``elastic-bench run``'s output about the user's run: lm-eval's noise is dropped there.

Two things lm-eval 0.4.13 prints on every run of our tasks that say nothing about the run:

* a two-line "Custom kwargs can be passed to `--metadata`" warning per task whose dataset comes
  from a ``custom_dataset`` function (all of ours; they take no such kwargs);
* git's "fatal: not a git repository" on stderr, from ``git describe`` when recording the
  working directory's commit outside a repository (lm-eval lets git's stderr through).

:func:`quiet_lm_eval` removes exactly these for the rest of the process (the CLI's); lm-eval's
other messages, and the same warning for tasks that are not ours, pass unchanged. The recorded
``git_hash`` is what lm-eval would record.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from collections.abc import Iterable

_METADATA_ADVICE = re.compile(r"^(?P<task>[^\s:]+): Custom kwargs can be passed to `--metadata`")


class _DropMetadataAdvice(logging.Filter):
    """Drops lm-eval's ``--metadata`` advice for the named tasks."""

    def __init__(self, tasks: Iterable[str]):
        super().__init__()
        self.tasks = set(tasks)

    def filter(self, record: logging.LogRecord) -> bool:
        match = _METADATA_ADVICE.match(record.getMessage())
        return not (match and match.group("task") in self.tasks)


def git_commit_hash() -> str | None:
    """lm-eval's ``get_git_commit_hash`` (the working directory's commit), with git's stderr silenced."""
    from lm_eval.loggers.utils import get_commit_from_path

    try:
        out = subprocess.check_output(["git", "describe", "--always"], stderr=subprocess.DEVNULL)  # noqa: S607
        return out.strip().decode()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return get_commit_from_path(os.getcwd())


def quiet_lm_eval(our_tasks: Iterable[str]) -> None:
    """From now on, lm-eval prints no ``--metadata`` advice for ``our_tasks`` and no git errors."""
    import lm_eval.evaluator as evaluator

    task_logger = logging.getLogger("lm_eval.api.task")
    for old in [f for f in task_logger.filters if isinstance(f, _DropMetadataAdvice)]:
        task_logger.removeFilter(old)
    task_logger.addFilter(_DropMetadataAdvice(our_tasks))
    evaluator.get_git_commit_hash = git_commit_hash
