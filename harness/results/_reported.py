"""Where a reported (published) entry's numbers come from and how they must be read.

A published accuracy / token pair means little on its own: who evaluated it (the method's authors,
another paper's re-implementation, a third party), how it was read (text or a table image), with
which k and temperature, what the tokens count (thinking only or the whole response), under which
length cap, on which exact version of the benchmark, and what a budget means in that source.
:class:`ReportedSource` records all of it per entry; entries of one source table share ``table``.

Re-exported by :mod:`elastic_bench.harness.results._schema`, the schema's public module.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from elastic_bench.harness.results._records import StrictModel

#: who produced the number: the method's own authors (paper, model card, repository), another paper
#: that re-implemented (retrained) the method, another paper that re-evaluated a released model (base
#: rows included), or a third party's reproduction
EvaluatedBy = Literal["authors", "reimplementation", "re-evaluation", "third-party"]
#: how the number was read from the source
ReadFrom = Literal["text", "image"]
#: what a token count counts: thinking tokens only, the whole response, or the source does not say
TokensCounted = Literal["thinking", "response", "unstated"]
#: what the budgets of the entry's points are: a hard cap on thinking tokens (forcing, separate
#: budgeting), a target stated in the prompt, a limit applied during training, a reward knob of the
#: training (AdaptThink's delta), a target length-matched to another model, a cap in reasoning steps
BudgetMeaning = Literal[
    "hard_thinking_cap",
    "soft_prompt_target",
    "training_context",
    "reward_knob",
    "length_matched",
    "step_cap",
]
#: the provenance badge of each (evaluated_by, read_from)
PROVENANCE_BADGES = ("authors", "authors, image", "secondary")


class ReportedSource(StrictModel):
    """The provenance and protocol of a reported entry (one row of one published table, one benchmark)."""

    table: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_]*$", description="id of the source table; its entries share it"
    )
    table_label: str = Field(min_length=1, max_length=60, description="short name, e.g. 'AdaptThink T1'")
    citation: str = Field(min_length=1, description="paper or repository and table, as a reader finds it")
    row: str = Field(min_length=1, description="the row's method / setting as the source prints it")
    evaluated_by: EvaluatedBy
    read_from: ReadFrom = "text"
    base_model: str | None = Field(
        default=None, description="the model the row's method starts from (a base row: itself); None: unclear"
    )
    base_row: str | None = Field(
        default=None,
        description="model_name of the entry of the same table and benchmark version this row is compared "
        "with (AES, paired views)",
    )
    base_table: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9_]*$",
        description="the table of the base row when it is another table of the same source (else this one)",
    )
    benchmark_version: str = Field(
        min_length=1, description="the exact evaluated set, e.g. 'AIME 2024 (30)', 'AMC 12 2022+2023 (83)'"
    )
    k: int | None = Field(
        default=None, ge=1, description="samples per problem as stated; None: not stated (points record k=1)"
    )
    temperature: float | None = Field(default=None, ge=0.0, description="sampling temperature as stated")
    tokens_counted: TokensCounted = "unstated"
    length_cap: int | None = Field(default=None, ge=1, description="max tokens per response when evaluated")
    budget_meaning: BudgetMeaning | None = Field(
        default=None, description="what the points' budgets are, where the entry has budgets"
    )
    protocol: str | None = Field(default=None, description="the evaluation protocol as the source states it")
    anchor: str | None = Field(
        default=None, description="a verbatim quote of the source that locates the numbers, where known"
    )
    transcribed_from: str | None = Field(
        default=None, description="the project document and row the numbers were transcribed from"
    )

    @property
    def badge(self) -> str:
        """'authors' (the method's own, read as text), 'authors, image' or 'secondary'."""
        if self.evaluated_by != "authors":
            return "secondary"
        return "authors, image" if self.read_from == "image" else "authors"
