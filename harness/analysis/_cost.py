"""What a correct answer costs: tokens, seconds and dollars per correct answer, per budget.

* Tokens per correct answer: the point's recorded value, else mean total tokens / accuracy
  (:func:`~elastic_bench.harness.analysis._metrics.tokens_per_correct`).
* Seconds per correct answer: the sweep's recorded wall time shared among its budgets in proportion
  to the tokens each generated (the sweep's throughput, tokens counted per second of wall time), so
  a budget's seconds per correct answer is its tokens per correct answer / that throughput. Wall
  time includes loading the model; a shared-prefix sweep generates fewer tokens than it counts, so
  its throughput reads higher. Figures measured on different hardware are never comparable:
  :func:`cost_frame` names each row's hardware and backend.
* Dollars per correct answer: (input price x mean prompt tokens + output price x mean generated
  (thinking + answer) tokens) / accuracy / 1e6; prices per million tokens, as API price lists state
  them. Prompt tokens are the problem's prompt as sent, once per request
  (``BudgetPoint.mean_prompt_tokens``); an API may also bill a two-phase strategy's thinking as
  input to its solution call, which this leaves out. A point without prompt tokens (an older or
  published result) has blank dollars with an input price above zero.

Every missing figure is blank (NaN) with a one-line reason, never an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from elastic_bench.harness.analysis._metrics import tokens_per_correct
from elastic_bench.harness.results import BudgetPoint, ResultFile

__all__ = ["COST_COLUMNS", "Prices", "cost_frame", "point_tokens_per_correct", "sweep_throughput"]

#: the columns of :func:`cost_frame`, in order
COST_COLUMNS = (
    "entry",
    "model",
    "kind",
    "label",
    "thinking_budget",
    "accuracy",
    "mean_total_tokens",
    "tokens_per_correct",
    "tokens_reason",
    "seconds_per_correct",
    "seconds_reason",
    "dollars_per_correct",
    "dollars_reason",
    "hardware",
    "backend",
)
NO_HARDWARE = "not recorded"
#: what a published entry's figures were measured on, as far as this harness knows
PUBLISHED = "not stated (published numbers)"


@dataclass(frozen=True)
class Prices:
    """Prices in dollars per million input (prompt) and output (generated) tokens."""

    input_per_million: float = 0.0
    output_per_million: float = 0.0

    def __post_init__(self) -> None:
        for name in ("input_per_million", "output_per_million"):
            value = getattr(self, name)
            if not (value >= 0.0) or value == float("inf"):
                raise ValueError(f"{name} must be a finite price >= 0, got {value!r}")

    @property
    def entered(self) -> bool:
        """Whether any price was entered."""
        return self.input_per_million > 0 or self.output_per_million > 0


def point_tokens_per_correct(point: BudgetPoint) -> tuple[float | None, str]:
    """(tokens per correct answer, '' or the reason it is blank) of one budget point."""
    if point.accuracy is None:
        return None, "no accuracy (a rating-only result)"
    if point.tokens_per_correct is not None:
        return point.tokens_per_correct, ""
    if point.mean_total_tokens is None:
        return None, "no token count recorded"
    value = tokens_per_correct([point.mean_total_tokens], [point.accuracy])
    return (value, "") if value is not None else (None, "no correct answer")


def sweep_throughput(result: ResultFile) -> tuple[float | None, str]:
    """(tokens counted per second of the sweep's recorded wall time, '' or why it is unknown)."""
    rep = result.reproducibility
    if rep is None:
        return None, "no run record (published numbers state no wall time)"
    if not rep.wall_time_seconds:
        return None, "no wall time recorded"
    total = 0.0
    for p in result.points:
        if p.mean_total_tokens is None or p.n_problems is None:
            return None, f"no token count at {p.label}"
        total += p.mean_total_tokens * p.n_problems * p.k
    if total <= 0:
        return None, "no tokens generated"
    return total / rep.wall_time_seconds, ""


def _dollars(
    point: BudgetPoint, tokens: float | None, why_tokens: str, prices: Prices
) -> tuple[float | None, str]:
    """Dollars per correct answer from the generated tokens per correct answer and, with an input
    price, the point's mean prompt tokens per correct answer."""
    if not prices.entered:
        return None, "enter a price per million tokens"
    if tokens is None:
        return None, why_tokens
    dollars = prices.output_per_million * tokens
    if prices.input_per_million > 0:
        if point.mean_prompt_tokens is None or not point.accuracy:
            return None, "prompt tokens are not recorded: set the input price to 0 for the output cost"
        dollars += prices.input_per_million * point.mean_prompt_tokens / point.accuracy
    return dollars / 1e6, ""


def _hardware(result: ResultFile) -> tuple[str, str]:
    rep = result.reproducibility
    if rep is None:
        return (PUBLISHED, "published") if result.kind == "reported" else (NO_HARDWARE, NO_HARDWARE)
    return rep.hardware or NO_HARDWARE, rep.backend or NO_HARDWARE


def cost_frame(results: Sequence[tuple[str, ResultFile]], prices: Prices | None = None) -> pd.DataFrame:
    """One row per budget point of each ``(entry name, result)``: accuracy, tokens, seconds and dollars
    per correct answer (blank with a reason where the data is missing), and the hardware and backend
    the figures were measured on."""
    prices = prices or Prices()
    rows = []
    for entry, result in results:
        throughput, why_slow = sweep_throughput(result)
        hardware, backend = _hardware(result)
        for p in result.points:
            tokens, why_tokens = point_tokens_per_correct(p)
            if tokens is None:
                seconds, why_seconds = None, why_tokens
            elif throughput is None:
                seconds, why_seconds = None, why_slow
            else:
                seconds, why_seconds = tokens / throughput, ""
            dollars, why_dollars = _dollars(p, tokens, why_tokens, prices)
            rows.append(
                {
                    "entry": entry,
                    "model": result.model_name,
                    "kind": result.kind,
                    "label": p.label,
                    "thinking_budget": p.thinking_budget,
                    "accuracy": p.accuracy,
                    "mean_total_tokens": p.mean_total_tokens,
                    "tokens_per_correct": tokens,
                    "tokens_reason": why_tokens,
                    "seconds_per_correct": seconds,
                    "seconds_reason": why_seconds,
                    "dollars_per_correct": dollars,
                    "dollars_reason": why_dollars,
                    "hardware": hardware,
                    "backend": backend,
                }
            )
    frame = pd.DataFrame(rows, columns=list(COST_COLUMNS))
    for col in (
        "accuracy",
        "mean_total_tokens",
        "tokens_per_correct",
        "seconds_per_correct",
        "dollars_per_correct",
    ):
        frame[col] = frame[col].astype(float)
    return frame
