"""Named tables of the project (graders, backends, benchmarks, prompts, wordings) as one small typed
registry with one-line errors on unknown or duplicate names."""

from __future__ import annotations

from elastic_bench.harness.registry._registry import DuplicateName, Registry, UnknownName

__all__ = ["DuplicateName", "Registry", "UnknownName"]
