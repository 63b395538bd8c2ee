"""Makes lm-eval 0.4.13 see our tasks and models with no ``--include_path`` and no import.

lm-eval 0.4.13 has no plugin discovery (the ``lm_eval.tasks`` / ``lm_eval.models`` entry-point
groups are only proposed upstream; pyproject declares them for when they land). So the wheel
ships ``elastic_bench.pth``, which calls :func:`install` at interpreter start. It only puts a
tiny import hook on ``sys.meta_path``; nothing of lm-eval is imported until the program itself
imports it. When it does:

* after ``lm_eval.api.registry`` loads, lm-eval's own lazy model table is registered first (so
  ``hf``, ``vllm``... keep working), then ours as lazy placeholders;
* after ``lm_eval.tasks.manager`` loads, every ``TaskManager`` also scans our task folder.

Set ``ELASTIC_BENCH_NO_LM_EVAL_PLUGIN=1`` to switch this off.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys
from collections.abc import Callable
from types import ModuleType

#: lm-eval model name -> "module:Class" (lazily imported by lm-eval's registry)
MODELS: dict[str, str] = {
    "elastic-hf": "elastic_bench.models.elastic_hf:ElasticHFLM",
}


def tasks_dir() -> str:
    """The folder holding our task YAMLs (without importing it)."""
    spec = importlib.util.find_spec("elastic_bench.tasks")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("elastic_bench.tasks is not installed")
    return list(spec.submodule_search_locations)[0]


def register_models(registry: ModuleType) -> None:
    """Register lm-eval's built-in lazy models, then ours."""
    import lm_eval.models  # noqa: F401  (fills the registry with hf, vllm, ...)

    for name, target in MODELS.items():
        if name not in registry.model_registry:
            registry.model_registry.register(name, target=target)


def patch_task_manager(manager: ModuleType) -> None:
    """Make every TaskManager include our task folder."""
    import inspect

    cls = manager.TaskManager
    if getattr(cls, "_elastic_bench_patched", False):
        return
    original = cls.__init__
    signature = inspect.signature(original)

    def __init__(self, *args, **kwargs):  # noqa: N807
        bound = signature.bind(self, *args, **kwargs)
        paths = bound.arguments.get("include_path")
        if paths is None:
            paths = []
        elif isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        ours = tasks_dir()
        if ours not in [str(p) for p in paths]:
            paths = [ours, *paths]
        bound.arguments["include_path"] = list(paths)
        original(*bound.args, **bound.kwargs)

    __init__.__doc__ = original.__doc__
    cls.__init__ = __init__
    cls._elastic_bench_patched = True


_HOOKS: dict[str, Callable[[ModuleType], None]] = {
    "lm_eval.api.registry": register_models,
    "lm_eval.tasks.manager": patch_task_manager,
}


class _Loader(importlib.abc.Loader):
    def __init__(self, inner: importlib.abc.Loader, hook: Callable[[ModuleType], None]):
        self.inner = inner
        self.hook = hook

    def create_module(self, spec):
        return self.inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.inner.exec_module(module)
        self.hook(module)


class _PostImportFinder(importlib.abc.MetaPathFinder):
    """Runs a hook right after selected lm-eval modules finish executing."""

    def find_spec(self, fullname, path, target=None):
        hook = _HOOKS.get(fullname)
        if hook is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _Loader(spec.loader, hook)
                return spec
        return None


def install() -> None:
    """Install the import hook (idempotent); patch modules that are already imported."""
    if os.environ.get("ELASTIC_BENCH_NO_LM_EVAL_PLUGIN"):
        return
    if any(isinstance(f, _PostImportFinder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _PostImportFinder())
    for name, hook in _HOOKS.items():
        if name in sys.modules:
            hook(sys.modules[name])
