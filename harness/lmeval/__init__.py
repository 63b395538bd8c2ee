"""lm-eval integration: the plugin that makes lm-eval see our tasks and models, task specs with k
overridden, model-arg checks, reading lm-eval's outputs and converting them into result files.

The names are loaded on first use: ``elastic_bench.pth`` imports :mod:`._plugin` at every interpreter
start, which must not pull in lm-eval, numpy or pydantic.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "_plugin": ("EXTRA_MODELS_ENV", "MODELS", "register_models", "tasks_dir"),
    "_model_args": ("ModelArgsError", "ModelNotFoundError", "check_model_args", "parse_model_args"),
    "_task_specs": ("task_specs", "write_task_files"),
    "_quiet": ("quiet_lm_eval",),
    "_output": ("ConversionError", "find_run_outputs", "in_doc_order"),
    "_convert": ("convert_output_dir", "convert_run", "model_name_of"),
    "_run": (
        "SweepError",
        "SweepOutcome",
        "SweepRequest",
        "backend_class",
        "check_limit",
        "launched_rank",
        "our_task_names",
        "resolve_model_args",
        "run_sweep",
    ),
    "_code_points": ("code_fields",),
}
_HOME = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)


if TYPE_CHECKING:  # what the names are, for type checkers and readers
    from elastic_bench.harness.lmeval._code_points import code_fields
    from elastic_bench.harness.lmeval._convert import convert_output_dir, convert_run, model_name_of
    from elastic_bench.harness.lmeval._model_args import (
        ModelArgsError,
        ModelNotFoundError,
        check_model_args,
        parse_model_args,
    )
    from elastic_bench.harness.lmeval._output import ConversionError, find_run_outputs, in_doc_order
    from elastic_bench.harness.lmeval._plugin import EXTRA_MODELS_ENV, MODELS, register_models, tasks_dir
    from elastic_bench.harness.lmeval._quiet import quiet_lm_eval
    from elastic_bench.harness.lmeval._run import (
        SweepError,
        SweepOutcome,
        SweepRequest,
        backend_class,
        check_limit,
        launched_rank,
        our_task_names,
        resolve_model_args,
        run_sweep,
    )
    from elastic_bench.harness.lmeval._task_specs import task_specs, write_task_files
