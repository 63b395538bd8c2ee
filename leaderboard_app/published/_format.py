"""The data files of published numbers: one YAML per source table, read and validated here.

A file names its table (id, short label, citation), how its numbers were read and under which
protocol, then its rows. Each row names the model, the row as the source prints it, the verbatim
line of the project document it was transcribed from (``line``), who evaluated it, and its values
per benchmark version, each value exactly as printed (``"26.9/7745"``: accuracy % / mean tokens;
``"28.9/–"``: accuracy only) or as a mapping with its quote. A row with ``curves`` instead is one
model at several budgets or knob settings (one entry per benchmark version, one point per setting).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from elastic_bench.harness.protocol import NO_STRATEGY, STRATEGY_NAMES
from elastic_bench.harness.results import BudgetMeaning, EvaluatedBy, TokensCounted

#: the folder of the data files shipped with the app
TABLES_DIR = Path(__file__).resolve().parent / "tables"
#: the project documents the numbers are transcribed from
DOCUMENTS = ("LITERATURE.md", "PUBLISHED.md", "DESIGN.md")
#: the created date of entries whose source states no date: when the numbers were transcribed
TRANSCRIBED = dt.date(2026, 12, 6)
#: "–" (en dash) marks a number the source does not give
MISSING = {"–", "-", ""}


@dataclass(frozen=True)
class Version:
    """An exact evaluated set: the leaderboard page (registry benchmark) it is shown on, its name, its size."""

    page: str
    label: str
    n_problems: int | None


#: version id -> the set a published number was measured on; several versions may share a page (then
#: the page filters and warns by version)
VERSIONS: dict[str, Version] = {
    "aime24": Version("aime24", "AIME 2024 (30)", 30),
    "aime25": Version("aime25", "AIME 2025 (30)", 30),
    "aime25_probable": Version("aime25", "AIME, probably 2025 (30; L1's unlabelled 'AIME')", 30),
    "math500": Version("math500", "MATH500 (500)", 500),
    "math500_unlabelled": Version("math500", "'MATH' (unlabelled column; fits MATH500)", None),
    "gsm8k": Version("gsm8k", "GSM8K test (1319)", 1319),
    "amc83": Version("amc23", "AMC 12 2022+2023 (83)", 83),
    "amc23": Version("amc23", "AMC 2023 (40)", 40),
    "amc": Version("amc23", "AMC (set not stated)", None),
    "lcb": Version("lcb", "LiveCodeBench (version not stated)", None),
    "lcb_easy": Version("lcb", "LiveCodeBench, Sky-T1's Easy split", None),
    "lcb_medium": Version("lcb", "LiveCodeBench, Sky-T1's Medium split", None),
    "lcb_hard": Version("lcb", "LiveCodeBench, Sky-T1's Hard split", None),
    "math": Version("math", "MATH test (500, O1-Pruner's evaluation set)", 500),
    "gaokao": Version("gaokao", "GaoKao 2023 Math English (385)", 385),
    "codeforces": Version("codeforces", "CodeElo Codeforces set, 57 contests of 2024 (408)", 408),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Value(_Strict):
    """One published number pair as printed, with the text of the document cell it comes from."""

    acc: str | None = Field(default=None, description="accuracy in % as printed")
    tokens: str | None = Field(default=None, description="mean tokens as printed ('3,272' allowed)")
    quote: str = Field(min_length=1, description="verbatim text of the document holding the numbers")
    part: int | None = Field(default=None, ge=0, description="which ';'- or '->'-separated part of the cell")
    line: str | None = Field(default=None, description="the document line, when not the row's")
    answer_tokens: str | None = Field(default=None, description="mean answer tokens as printed (s1 Table 12)")
    answer_quote: str | None = None
    rating: str | None = Field(default=None, description="Codeforces rating as printed")
    percentile: str | None = None

    @model_validator(mode="after")
    def _some_number(self) -> Value:
        if self.acc is None and self.rating is None:
            raise ValueError("a value needs an accuracy or a rating")
        if (self.answer_tokens is None) != (self.answer_quote is None):
            raise ValueError("answer_tokens needs its answer_quote and vice versa")
        return self

    @property
    def accuracy(self) -> float | None:
        """The accuracy in % (None when not given)."""
        return _number(self.acc)

    @property
    def mean_tokens(self) -> float | None:
        """The token count (None when not given)."""
        return _number(self.tokens)


class CurvePoint(Value):
    """One setting of a curve: its label and, for a token budget, the budget."""

    label: str = Field(min_length=1)
    thinking_budget: int | None = Field(default=None, ge=1)


def _number(text: str | None) -> float | None:
    if text is None or text.strip() in MISSING:
        return None
    return float(text.replace(",", ""))


_PAIR = re.compile(r"^\s*([0-9.]+)\s*/\s*([0-9.,]+|–)\s*$")


def parse_value(raw: object) -> Value:
    """A value from the file: ``"26.9/7745"`` (quote = the string itself) or a mapping."""
    if isinstance(raw, str):
        m = _PAIR.match(raw)
        if m is None:
            raise ValueError(f"value {raw!r} is not 'accuracy/tokens' (use a mapping for other forms)")
        return Value(acc=m[1], tokens=None if m[2] in MISSING else m[2], quote=raw.strip())
    if isinstance(raw, dict):
        return Value.model_validate(raw)
    raise ValueError(f"value {raw!r} is neither 'accuracy/tokens' nor a mapping")


class Row(_Strict):
    """One model of a source table: its values per benchmark version, or its curves."""

    model: str = Field(min_length=1, description="model_name of the entries (unique in the table)")
    row: str = Field(min_length=1, description="the method / setting as the source prints it")
    line: str = Field(min_length=1, description="the verbatim line of the document the row comes from")
    evaluated_by: EvaluatedBy
    base_model: str | None = None
    base: str | None = Field(default=None, description="model of the row this one is compared with")
    base_table: str | None = Field(default=None, description="the base row's table, when not this one")
    part: int | None = Field(default=None, ge=0, description="default part for every value of the row")
    values: dict[str, Value] = Field(default_factory=dict)
    curves: dict[str, list[CurvePoint]] = Field(default_factory=dict)
    label: str = "unconstrained"
    budget_stated: bool = True
    strategy: str | None = None
    budget_meaning: BudgetMeaning | None = None
    read_from: Literal["text", "image"] | None = None
    tokens_counted: TokensCounted | None = None
    length_cap: int | None = None
    temperature: float | None = None
    notes: str | None = None

    @field_validator("values", mode="before")
    @classmethod
    def _parse_values(cls, raw: object) -> object:
        return {k: parse_value(v) for k, v in raw.items()} if isinstance(raw, dict) else raw

    @model_validator(mode="after")
    def _something(self) -> Row:
        if not self.values and not self.curves:
            raise ValueError(f"row {self.model!r} has neither values nor curves")
        for version in (*self.values, *self.curves):
            if version not in VERSIONS:
                raise ValueError(f"row {self.model!r}: unknown benchmark version {version!r}")
        if self.strategy is not None and self.strategy not in STRATEGY_NAMES:
            raise ValueError(f"row {self.model!r}: unknown strategy {self.strategy!r}")
        return self


class SourceTable(_Strict):
    """One data file: a published table (or a model card's, a README's numbers)."""

    table: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$")
    label: str = Field(min_length=1, max_length=60)
    citation: str = Field(min_length=1)
    document: Literal["LITERATURE.md", "PUBLISHED.md", "DESIGN.md"]
    anchor: str | None = Field(
        default=None, description="verbatim quote of the source, as the document gives it"
    )
    protocol: str | None = None
    published: dt.date | None = Field(
        default=None, description="the source's date where known (the entries' created date)"
    )
    read_from: Literal["text", "image"] = "text"
    tokens_counted: TokensCounted = "unstated"
    length_cap: int | None = None
    temperature: float | None = None
    k: dict[str, int] = Field(default_factory=dict, description="samples per problem by version, as stated")
    strategy: str = NO_STRATEGY
    budget_meaning: BudgetMeaning | None = None
    columns: dict[str, str] = Field(
        default_factory=dict, description="version -> the document table's column holding it"
    )
    notes: str | None = None
    rows: list[Row] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> SourceTable:
        for name in ("k", "columns"):
            unknown = sorted(set(getattr(self, name)) - set(VERSIONS))
            if unknown:
                raise ValueError(f"table {self.table}: unknown benchmark version {unknown[0]!r} in {name}")
        used = {v for r in self.rows for v in (*r.values, *r.curves)}
        if self.columns and used - set(self.columns):
            raise ValueError(
                f"table {self.table}: no column given for versions {sorted(used - set(self.columns))}"
            )
        models = [r.model for r in self.rows]
        dupes = sorted({m for m in models if models.count(m) > 1})
        if dupes:
            raise ValueError(f"table {self.table}: rows repeat models {dupes}")
        for r in self.rows:
            if r.base is not None and r.base_table is None and r.base not in models:
                raise ValueError(f"table {self.table}: row {r.model!r} names base {r.base!r}, not a row here")
        return self


class DataFileError(ValueError):
    """A data file that does not read or validate; the message names the file."""


def load_table(path: str | Path) -> SourceTable:
    """Read one data file; its ``table`` id must be its file name."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        table = SourceTable.model_validate(raw)
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise DataFileError(f"{path.name}: {exc}") from exc
    if table.table != path.stem:
        raise DataFileError(f"{path.name}: table id {table.table!r} must be the file name")
    return table


def load_tables(directory: str | Path = TABLES_DIR) -> list[SourceTable]:
    """Every data file of ``directory`` (``*.yaml``), by file name."""
    return [load_table(p) for p in sorted(Path(directory).glob("*.yaml"))]
