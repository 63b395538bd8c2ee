"""A small typed registry of named things, with one-line errors for unknown and duplicate names."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from importlib import import_module
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownName(KeyError, ValueError):
    """A name the registry does not hold; the message lists the names it does."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DuplicateName(ValueError):
    """A second registration of a name (or alias) already taken."""


class Registry(Mapping[str, T], Generic[T]):
    """Names (and their aliases) to objects of one kind.

    An entry may be registered as an ``"module:attribute"`` string: it is imported on first lookup,
    so a registry can name things whose modules are expensive to import. ``error`` is the exception
    class raised for an unknown name (a subclass of :class:`UnknownName` keeps callers' ``except``
    clauses specific); ``normalize`` maps a looked-up name to its key (for case-insensitive lookups).
    """

    def __init__(
        self,
        kind: str,
        *,
        error: type[Exception] = UnknownName,
        normalize: Callable[[str], str] | None = None,
    ) -> None:
        self.kind = kind
        self._error = error
        self._normalize = normalize or (lambda name: name)
        self._entries: dict[str, T | str] = {}
        self._aliases: dict[str, str] = {}

    def register(
        self, name: str, obj: T | str, *, aliases: tuple[str, ...] = (), replace: bool = False
    ) -> T | str:
        """Add ``obj`` as ``name`` (and ``aliases``); a name already taken raises unless ``replace``."""
        key = self._normalize(name)
        taken = [n for n in (key, *map(self._normalize, aliases)) if n in self._entries or n in self._aliases]
        if taken and not replace:
            raise DuplicateName(f"{self.kind} {taken[0]!r} is already registered")
        self._entries[key] = obj
        for alias in aliases:
            self._aliases[self._normalize(alias)] = key
        return obj

    def decorator(self, name: str, *, aliases: tuple[str, ...] = ()) -> Callable[[T], T]:
        """``@registry.decorator("name")``: register the decorated object under ``name``."""

        def add(obj: T) -> T:
            self.register(name, obj, aliases=aliases)
            return obj

        return add

    def resolve(self, name: str) -> str:
        """The registered name ``name`` stands for (itself or the name it is an alias of)."""
        key = self._normalize(str(name))
        key = self._aliases.get(key, key)
        if key not in self._entries:
            known = ", ".join(sorted(self._entries)) or "none"
            raise self._error(f"unknown {self.kind} {name!r}; known: {known}")
        return key

    def get_entry(self, name: str) -> T:
        """The object registered as ``name`` (importing a ``"module:attribute"`` entry once)."""
        key = self.resolve(name)
        entry = self._entries[key]
        if isinstance(entry, str) and ":" in entry and self._lazy(entry):
            module, _, attribute = entry.partition(":")
            entry = getattr(import_module(module), attribute)
            self._entries[key] = entry
        return entry  # type: ignore[return-value]

    @staticmethod
    def _lazy(entry: str) -> bool:
        module, _, attribute = entry.partition(":")
        return bool(module) and attribute.isidentifier() and all(p.isidentifier() for p in module.split("."))

    def target(self, name: str) -> T | str:
        """What ``name`` was registered as, without importing it."""
        return self._entries[self.resolve(name)]

    def targets(self) -> dict[str, T | str]:
        """Name -> what it was registered as, importing nothing."""
        return dict(self._entries)

    def aliases(self) -> dict[str, str]:
        """Alias -> registered name."""
        return dict(self._aliases)

    def __getitem__(self, name: str) -> T:
        if name not in self:
            raise KeyError(name)
        return self.get_entry(name)

    def __setitem__(self, name: str, obj: T | str) -> None:
        """``registry[name] = obj`` registers or replaces ``name`` (tests patch entries this way)."""
        self.register(name, obj, replace=True)

    def __delitem__(self, name: str) -> None:
        key = self._normalize(name)
        if key not in self._entries:
            raise KeyError(name)
        del self._entries[key]
        for alias in [a for a, target in self._aliases.items() if target == key]:
            del self._aliases[alias]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = self._normalize(name)
        return key in self._entries or key in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {sorted(self._entries)})"
