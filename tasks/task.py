"""The lm-eval task class of our sweeps: a loader's facts about its data land in the task metadata.

The generated YAMLs name it (``class: !function <hooks>.ElasticTask``; lm-eval 0.4.13 builds a task
whose config has a ``class`` with ``cls(config=...)``). It is a plain ``ConfigurableTask`` except
for :meth:`ElasticTask.download`: it calls the YAML's ``custom_dataset`` with the task metadata, as
lm-eval does, and when the loader returns :class:`DatasetSplits` it adds their ``facts``
(``dataset_sha256``, ``dataset_size``, ``dataset_source``) to ``config.metadata``. That is what the
results JSON reports under ``configs.<task>.metadata`` and where the converter reads them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from lm_eval.api.task import ConfigurableTask

__all__ = ["DatasetSplits", "ElasticTask", "dataset_sha256"]


class DatasetSplits(dict):
    """A loader's splits (``{"test": Dataset}``, as lm-eval's ``custom_dataset`` returns) and
    ``facts`` about the data, for the task metadata."""

    def __init__(self, splits: dict[str, Any], facts: dict[str, Any]) -> None:
        super().__init__(splits)
        self.facts = dict(facts)


class ElasticTask(ConfigurableTask):
    """``ConfigurableTask`` that records the facts its loader reports in its metadata."""

    def __init__(self, config: dict[str, Any] | None = None, **kwargs: Any) -> None:
        # the YAML's ``class`` key selected this class; it is no TaskConfig field
        super().__init__(config={k: v for k, v in (config or {}).items() if k != "class"}, **kwargs)

    def download(self, dataset_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        """Load through ``custom_dataset(**metadata, **dataset_kwargs)`` and record the loader's facts.

        Same call as ``ConfigurableTask.download``, without its banner about ``--metadata`` (printed
        once per subtask, ten lines for a sweep).
        """
        if not callable(self.config.custom_dataset):
            super().download(dataset_kwargs, **kwargs)
            return
        loaded = self.config.custom_dataset(
            **(self.config.metadata or {}), **(self.config.dataset_kwargs or {})
        )
        self.dataset = loaded
        facts = getattr(loaded, "facts", None)
        if facts:
            self.config.metadata = {**(self.config.metadata or {}), **facts}


def dataset_sha256(rows: list[dict[str, Any]]) -> str:
    """Content hash of the records (canonical JSON lines, in order); independent of the prompt and the
    file's location, so a local copy and the Hub copy of the same data hash the same."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n")
    return digest.hexdigest()
