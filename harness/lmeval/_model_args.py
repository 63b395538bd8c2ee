"""Model args: the one parser of ``key=value,...`` strings and their validation against a backend.

A backend declares its arguments once, in its constructor's signature (names, defaults and type
hints such as ``Literal["auto", "yes", "no"]`` or ``pydantic.PositiveInt``).
:func:`check_model_args` reads that signature, so there is no second list to keep in step: an
unknown name or an invalid value is a one-line :class:`ModelArgsError` that names the closest
match, raised before any weights load. A backend whose constructor takes ``**kwargs`` (lm-eval's
``hf``, which forwards them to transformers) declares no closed set, so only its named arguments
are checked.
"""

from __future__ import annotations

import difflib
import inspect
import typing
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["ModelArgsError", "check_model_args", "parse_model_args"]


class ModelNotFoundError(FileNotFoundError):
    """The model path or id a backend was given cannot be loaded."""


class ModelArgsError(ValueError):
    """An unknown or invalid model argument (one line, naming the closest match)."""


def parse_model_args(text: str | Mapping[str, Any] | None, *, strict: bool = True) -> dict[str, Any]:
    """``"a=1, b=x"`` as ``{"a": "1", "b": "x"}`` (values stay strings; a mapping is copied).

    An entry without ``=`` raises :class:`ModelArgsError`, or is skipped when ``strict`` is false
    (for reading model args recorded by other tools).
    """
    if text is None:
        return {}
    if isinstance(text, Mapping):
        return dict(text)
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in str(text).split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            if strict:
                raise ModelArgsError(f"malformed model_args entry {part!r}: expected key=value")
            continue
        out[key.strip()] = value.strip()
    return out


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``options`` to ``word``, or ``""``."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _literal_strings(hint: Any) -> list[str]:
    """The string choices inside a type hint (``Literal`` members, through unions and ``Annotated``)."""
    if typing.get_origin(hint) is typing.Literal:
        return [a for a in typing.get_args(hint) if isinstance(a, str)]
    return [s for arg in typing.get_args(hint) for s in _literal_strings(arg)]


def _signature(cls: type) -> tuple[dict[str, inspect.Parameter], bool, dict[str, Any]]:
    sig = inspect.signature(cls.__init__)
    named = {
        name: p
        for name, p in sig.parameters.items()
        if name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    open_kwargs = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
    try:
        hints = typing.get_type_hints(cls.__init__, include_extras=True)
    except Exception:  # unresolvable hints (another package's backend): check names only
        hints = {}
    return named, open_kwargs, hints


def _check_value(cls: type, key: str, value: Any, hint: Any) -> Any:
    from pydantic import ConfigDict, TypeAdapter, ValidationError
    from pydantic.errors import PydanticSchemaGenerationError, PydanticUserError

    try:
        adapter = TypeAdapter(hint, config=ConfigDict(coerce_numbers_to_str=True))
    except (PydanticSchemaGenerationError, PydanticUserError, TypeError):
        return value  # a type pydantic cannot check (e.g. torch.dtype): leave it to the backend
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        reasons = list(dict.fromkeys(e["msg"].removeprefix("Value error, ") for e in exc.errors()))
        choices = _literal_strings(hint)
        hint_text = did_you_mean(value, choices) if isinstance(value, str) and choices else ""
        raise ModelArgsError(
            f"invalid model arg {key}={value!r} for {cls.__name__}: {' or '.join(reasons)}{hint_text}"
        ) from None


def check_model_args(cls: type, args: Mapping[str, Any]) -> dict[str, Any]:
    """``args`` checked against the constructor of backend ``cls``; returns them with values coerced
    to the declared types (``"8"`` -> 8, ``"false"`` -> False). ``None`` values pass unchanged.

    Raises :class:`ModelArgsError` for a name the backend does not take (unless it takes
    ``**kwargs``) or a value its type hint rejects.
    """
    named, open_kwargs, hints = _signature(cls)
    out: dict[str, Any] = {}
    for key, value in args.items():
        if key not in named:
            if open_kwargs:
                out[key] = value
                continue
            hint = did_you_mean(key, named) or f"; it takes {', '.join(sorted(named))}"
            raise ModelArgsError(f"unknown model arg {key!r} for {cls.__name__}{hint}")
        hint_type = hints.get(key)
        out[key] = value if value is None or hint_type is None else _check_value(cls, key, value, hint_type)
    return out
