"""Makes lm-eval 0.4.13 see our tasks and models with no ``--include_path`` and no import.

lm-eval 0.4.13 has no plugin discovery (the ``lm_eval.tasks`` / ``lm_eval.models`` entry-point
groups are only proposed upstream; pyproject declares them for when they land). So the wheel
(and the editable install) ships ``elastic_bench.pth``, which calls :func:`install` at
interpreter start. It only puts a tiny import hook on ``sys.meta_path``; nothing of lm-eval is
imported until the program itself imports it. We behave like one of lm-eval's own built-ins:

* when ``lm_eval.models`` registers lm-eval's lazy model table, ours are added the same way
  (placeholders, after lm-eval's, never replacing a name already taken), so a user can still
  register or override any name before that, exactly as lm-eval allows;
* every ``TaskManager`` built with ``include_defaults=True`` also indexes our task folder, right
  after lm-eval's own and before the user's ``include_path`` (so the user's tasks still win).
  ``include_defaults=False`` adds nothing, ``include_path`` stays as given, and the signature of
  ``TaskManager.__init__`` is unchanged.

Set ``ELASTIC_BENCH_NO_LM_EVAL_PLUGIN=1`` to switch this off. ``ELASTIC_BENCH_LM_EVAL_MODELS``
(``name=module:Class`` pairs, comma separated) adds backends of your own the same way, so the plain
``lm_eval --model name`` CLI can run them (the tests' scripted backend uses it).
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable
from types import ModuleType

from elastic_bench.harness.registry import Registry

#: lm-eval model name -> "module:Class" (lazily imported by lm-eval's registry)
MODELS: Registry[type] = Registry("model backend")
MODELS.register("elastic-hf", "elastic_bench.models.elastic_hf:ElasticHFLM")
MODELS.register("elastic-vllm", "elastic_bench.models.elastic_vllm:ElasticVLLM")
MODELS.register("elastic-api", "elastic_bench.models.elastic_api:ElasticAPI")

EXTRA_MODELS_ENV = "ELASTIC_BENCH_LM_EVAL_MODELS"


def tasks_dir() -> str:
    """The folder holding our task YAMLs (without importing it)."""
    spec = importlib.util.find_spec("elastic_bench.tasks")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("elastic_bench.tasks is not installed")
    return list(spec.submodule_search_locations)[0]


def register_models(models: ModuleType) -> None:
    """Right after lm-eval registered its own lazy model table, add ours (never replacing a name)."""
    from lm_eval.api.registry import model_registry

    extra = {}
    for pair in filter(None, os.environ.get(EXTRA_MODELS_ENV, "").split(",")):
        name, sep, target = pair.partition("=")
        if not sep or ":" not in target:
            raise ValueError(f"{EXTRA_MODELS_ENV}: expected name=module:Class pairs, got {pair!r}")
        extra[name.strip()] = target.strip()
    for name, target in {**MODELS.targets(), **extra}.items():
        if name not in model_registry:
            model_registry.register(name, target=target)


def _with_ours(include_path: str | os.PathLike | list | tuple | None) -> list:
    """``[our task folder, *include_path]``, unless the caller already names our folder."""
    given = [] if include_path is None else include_path
    given = list(given) if isinstance(given, (list, tuple)) else [given]
    ours = tasks_dir()
    if any(os.path.realpath(p) == os.path.realpath(ours) for p in given):
        return given
    return [ours, *given]


def patch_task_manager(manager: ModuleType) -> None:
    """Make every TaskManager that includes lm-eval's default tasks include ours too."""
    cls = manager.TaskManager
    if getattr(cls, "_elastic_bench_patched", False):
        return
    original = cls.__init__
    signature = inspect.signature(original)

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):  # noqa: N807
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        if not bound.arguments.get("include_defaults", True):
            return original(self, *args, **kwargs)
        given = bound.arguments.get("include_path")
        bound.arguments["include_path"] = _with_ours(given)
        original(*bound.args, **bound.kwargs)
        self.include_path = given  # lm-eval keeps the caller's value as given

    cls.__init__ = __init__
    cls._elastic_bench_patched = True


def seed_our_models(evaluator: ModuleType) -> None:
    """``lm_eval --seed N`` drives our backends' sampling: ``simple_evaluate`` passes its torch seed
    (lm-eval's default 1234 is our backends' own default) as the model's ``seed`` unless the model
    args name one."""
    original = evaluator.simple_evaluate
    if getattr(original, "_elastic_bench_seeded", False):
        return

    default_seed = inspect.signature(original).parameters["torch_random_seed"].default

    @functools.wraps(original)
    def simple_evaluate(*args, **kwargs):
        model = kwargs.get("model", args[0] if args else None)
        seed = kwargs.get("torch_random_seed", default_seed)
        if isinstance(model, str) and model in MODELS and seed is not None and not args[1:2]:
            model_args = kwargs.get("model_args") or ""
            if isinstance(model_args, dict) and "seed" not in model_args:
                kwargs["model_args"] = {**model_args, "seed": seed}
            elif isinstance(model_args, str) and not any(
                part.split("=", 1)[0].strip() == "seed" for part in model_args.split(",")
            ):
                kwargs["model_args"] = ",".join(filter(None, [model_args, f"seed={seed}"]))
        return original(*args, **kwargs)

    simple_evaluate._elastic_bench_seeded = True
    evaluator.simple_evaluate = simple_evaluate


#: what ``lm_eval --model <ours>`` reports as one line, as ``elastic-bench`` does: bad model args
#: (ModelArgsError is a ValueError), a model or file that is not there, an unusable journal, and a
#: backend's own failure (``harness.generation.BackendError``, added when the hook runs: this module
#: is imported at every interpreter start and stays light)
ONE_LINE_ERRORS: tuple[type[BaseException], ...] = (ValueError, OSError)


def one_line_errors(run: ModuleType) -> None:
    """``lm_eval --model <ours>`` with bad input exits 2 with one line, not a traceback (lm-eval's own
    models keep lm-eval's behaviour; ``ELASTIC_BENCH_DEBUG=1`` shows the traceback)."""
    from elastic_bench.harness.generation import BackendError

    command = getattr(run, "Run", None)
    original = getattr(command, "_execute", None)
    if original is None or getattr(original, "_elastic_bench_one_line", False):
        return
    errors = (*ONE_LINE_ERRORS, BackendError)

    @functools.wraps(original)
    def _execute(args):
        try:
            return original(args)
        except errors as exc:
            if getattr(args, "model", None) not in MODELS or os.environ.get("ELASTIC_BENCH_DEBUG"):
                raise
            text = str(exc).strip()
            print(f"lm-eval: error: {text.splitlines()[0] if text else type(exc).__name__}", file=sys.stderr)
            raise SystemExit(2) from None

    _execute._elastic_bench_one_line = True
    command._execute = staticmethod(_execute)


_HOOKS: dict[str, Callable[[ModuleType], None]] = {
    "lm_eval.models": register_models,
    "lm_eval.tasks.manager": patch_task_manager,
    "lm_eval.evaluator": seed_our_models,
    "lm_eval._cli.run": one_line_errors,
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


#: values of ``ELASTIC_BENCH_NO_LM_EVAL_PLUGIN`` that switch the plugin off (anything else, ``0`` and
#: ``false`` included, leaves it on)
TRUE_VALUES = ("1", "true", "yes", "on")


def plugin_disabled() -> bool:
    """Whether ``ELASTIC_BENCH_NO_LM_EVAL_PLUGIN`` holds a true value."""
    return os.environ.get("ELASTIC_BENCH_NO_LM_EVAL_PLUGIN", "").strip().lower() in TRUE_VALUES


def install() -> None:
    """Install the import hook (idempotent); patch modules that are already imported."""
    if plugin_disabled():
        return
    if any(isinstance(f, _PostImportFinder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _PostImportFinder())
    for name, hook in _HOOKS.items():
        if name in sys.modules:
            hook(sys.modules[name])
