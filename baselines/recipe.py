"""Recipes: a YAML with a ``data`` section (reference sampling) and a ``trainer`` section (the
method's TRL-style config), plus ``key=value`` overrides (``trainer.learning_rate=1e-4`` or a bare
key that belongs to exactly one section)."""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

RECIPES_DIR = Path(__file__).parent / "recipes"
SECTIONS = ("method", "data", "trainer")


@dataclass
class DataConfig:
    """Training problems and reference sampling (shared by every method)."""

    benchmark: str = "toy"  # whose grader scores answers (math500 for a math training set)
    #: "toy" (the synthetic TRAIN split), or a math training set: a Hub dataset id
    #: (agentica-org/DeepScaleR-Preview-Dataset) or a local JSON / JSONL / Parquet file
    train_set: str = "toy"
    train_revision: str | None = None  # the Hub revision of train_set (None: the default branch)
    n_problems: int = 32
    problems_seed: int = 0
    k: int = 8
    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int = 1024
    prompt_template: str = "e1"
    batch_size: int = 64
    cache_dir: str | None = None  # default: ~/.cache/elastic_bench/references


class RecipeLoader(yaml.SafeLoader):
    """YAML 1.1's safe loader, except that ``1e-4`` and ``3E5`` are floats (PyYAML reads a float
    without a dot as a string, so ``learning_rate: 1e-4`` reached the optimizer as ``"1e-4"``) and
    that only ``true`` / ``false`` are booleans, as in YAML 1.2 (1.1 also reads ``no``, ``yes``,
    ``on`` and ``off``, so ``save_strategy: no`` reached transformers as ``False``)."""


RecipeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
RecipeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

RecipeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def yaml_value(text: str):
    """One recipe value as YAML reads it, with exponent floats (:class:`RecipeLoader`)."""
    return yaml.load(text, Loader=RecipeLoader)  # noqa: S506 (a SafeLoader subclass)


def default_recipe(method: str) -> Path:
    """The toy recipe of ``method``."""
    return RECIPES_DIR / f"{method}_toy.yaml"


def load_recipe(path: str | Path, config_class: type, overrides: dict[str, str] | None = None) -> dict:
    """``{"method", "data": DataConfig kwargs, "trainer": config kwargs}``; ValueError on unknown keys."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"recipe {str(path)!r} not found")
    try:
        raw = yaml_value(path.read_text()) or {}
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise ValueError(
            f"recipe {path.name}: not valid YAML{line}: {getattr(exc, 'problem', None) or exc}"
        ) from None
    if not isinstance(raw, dict):
        raise ValueError(f"recipe {path.name}: expected a mapping with sections {SECTIONS}")
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ValueError(f"recipe {path.name}: unknown key(s) {unknown}; sections are {list(SECTIONS)}")
    recipe = {
        "method": raw.get("method"),
        "data": dict(raw.get("data") or {}),
        "trainer": dict(raw.get("trainer") or {}),
    }
    data_keys = {f.name for f in dataclasses.fields(DataConfig)}
    trainer_keys = {f.name for f in dataclasses.fields(config_class)}
    for key, value in (overrides or {}).items():
        section, _, name = key.rpartition(".")
        if not section:
            section = "data" if name in data_keys else "trainer"
        if section not in ("data", "trainer"):
            raise ValueError(f"override {key!r}: section must be data or trainer")
        try:
            recipe[section][name] = yaml_value(value) if isinstance(value, str) else value
        except yaml.YAMLError:
            raise ValueError(f"override {key!r}: {value!r} is not a YAML value") from None
    for section, allowed in (("data", data_keys), ("trainer", trainer_keys)):
        bad = sorted(set(recipe[section]) - allowed)
        if bad:
            where = "DataConfig" if section == "data" else config_class.__name__
            raise ValueError(f"recipe {path.name}: unknown {section} key(s) {bad} (not fields of {where})")
    if not recipe["trainer"]:  # transformers' own defaults would say "Your setup doesn't support bf16/gpu"
        raise ValueError(
            f"recipe {path.name}: no trainer section (learning rate, steps, batch size, use_cpu ...)"
        )
    _check_numbers(path.name, "data", recipe["data"], DataConfig)
    _check_numbers(path.name, "trainer", recipe["trainer"], config_class)
    return recipe


#: the number types of a config field (annotations are types or, under postponed evaluation, strings)
_NUMBER_KINDS = {
    int: int, float: float, int | None: int, float | None: float,
    "int": int, "float": float, "int | None": int, "float | None": float,
}  # fmt: skip


def _check_numbers(recipe: str, section: str, values: dict, config_class: type) -> None:
    """One line for a number field given something else (``trainer.learning_rate=abc`` crashed deep
    inside transformers)."""
    kinds = {f.name: f.type for f in dataclasses.fields(config_class)}
    for name, value in values.items():
        base = _NUMBER_KINDS.get(kinds.get(name))
        if base is None or value is None:
            continue
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or (base is int and not float(value).is_integer()):
            what = "an integer" if base is int else "a number"
            raise ValueError(f"recipe {recipe}: {section}.{name} must be {what}, got {value!r}")


def split_global_batch(trainer: dict, config_class: type, processes: int) -> dict:
    """The trainer section for ``processes`` data-parallel processes at the recipe's global batch.

    A recipe states its batch for one process: ``per_device_train_batch_size`` x
    ``gradient_accumulation_steps`` is the global batch. Over N processes the accumulation steps are
    divided first (each process keeps the recipe's per-device memory), then the per-device batch, so
    every optimizer step sees as many samples as on one process; ValueError (one line) when N does not
    split it that way.
    """
    if processes <= 1:
        return dict(trainer)
    defaults = {f.name: f.default for f in dataclasses.fields(config_class)}
    batch = int(trainer.get("per_device_train_batch_size", defaults["per_device_train_batch_size"]))
    accumulation = int(trainer.get("gradient_accumulation_steps", defaults["gradient_accumulation_steps"]))
    from_accumulation = math.gcd(accumulation, processes)
    from_batch = processes // from_accumulation
    if batch % from_batch:
        raise ValueError(
            f"recipe: the global batch (per_device_train_batch_size {batch} x gradient_accumulation_steps "
            f"{accumulation}) does not split over {processes} processes; use a number of processes that "
            "divides gradient_accumulation_steps x per_device_train_batch_size factor by factor"
        )
    return {
        **trainer,
        "per_device_train_batch_size": batch // from_batch,
        "gradient_accumulation_steps": accumulation // from_accumulation,
    }


def parse_overrides(items: list[str]) -> dict[str, str]:
    """``["a=1", "trainer.b=x"]`` -> dict; ValueError on an item without ``=``."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"override {item!r} is not key=value")
        out[key.strip()] = value
    return out
