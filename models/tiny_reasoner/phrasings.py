"""A tiny-reasoner variant whose traces vary in wording: several phrasings per reasoning step.

The committed tiny reasoner writes every line of its thinking in one fixed wording, so sampling
from it is nearly deterministic (about 0.01 nats per token); a real reasoning model chooses among
many ways to say the same step. This variant keeps the habit's grammar (the same steps, re-checks
and recomputations, drawn with the same probabilities as :func:`~.traces.overthinking`) but writes
each line with a phrasing drawn at random from a few equivalent ones, so the model learns several
next tokens at each choice point. Every trace still states each operation's ``a op b = c`` and ends
with the same boxed answer. Train it with ``python -m elastic_bench.models.tiny_reasoner.train
--phrasings --output-dir DIR``.
"""

from __future__ import annotations

import random

from elastic_bench.models.tiny_reasoner.traces import draw_habit
from elastic_bench.tasks.toy.arithmetic import Operation, Problem

#: how a step line opens (the step number is always stated: the model tracks its position by it).
#: Every phrasing is made of words the committed tokenizer already has, so a variant fine-tuned from
#: the committed checkpoint only learns which of several known wordings to choose.
STEP_OPENERS = ("Operation {i}: ", "So operation {i}: ", "Then operation {i}: ")
#: what joins the operation's words to its equation
STEP_CONNECTORS = (", so ", ", that is ", "; that is ")
#: how a step line closes
STEP_ENDINGS = (".\n", ". Yes.\n", ". That is right.\n")
START_LINES = ("Start with {v}.\n", "So start with {v}.\n")
RESULT_LINES = ("So the result is {a}.\n", "The result is {a}.\n")
RECHECK_LINES = (
    "Wait, let me double-check operation {i}: {eq}. Yes, that is right.\n",
    "Let me double-check operation {i}: {eq}. Yes.\n",
    "Wait, let me double-check operation {i}: {eq}. That is right.\n",
)
FIRST_RECOMPUTE_LINES = (
    "Wait, let me recompute everything from the start to be sure.\n",
    "Let me recompute everything from the start.\n",
    "Wait, let me recompute everything to be sure.\n",
)
SECOND_RECOMPUTE_LINES = (
    "Hmm, let me go through it one more time.\n",
    "Let me go through it one more time.\n",
)
AGREE_LINES = ("Both computations give {a}.\n", "So both computations give {a}.\n")

#: every choice set of the grammar (for tests and the report)
CHOICE_SETS = {
    "step_opener": STEP_OPENERS,
    "step_connector": STEP_CONNECTORS,
    "step_ending": STEP_ENDINGS,
    "start": START_LINES,
    "result": RESULT_LINES,
    "recheck": RECHECK_LINES,
    "first_recompute": FIRST_RECOMPUTE_LINES,
    "second_recompute": SECOND_RECOMPUTE_LINES,
    "agree": AGREE_LINES,
}


def equation(value: int, op: Operation) -> str:
    """``a op b = c`` for one step."""
    return f"{value} {op.symbol} {op.operand} = {op.apply(value)}"


def varied_step_line(index: int, value: int, op: Operation, rng: random.Random) -> str:
    """One step in one of ``len(STEP_OPENERS) * len(STEP_CONNECTORS) * len(STEP_ENDINGS)`` wordings;
    the operation's own words follow the opener, as in :func:`~.traces.step_line`."""
    opener = rng.choice(STEP_OPENERS).format(i=index)
    return (
        f"{opener}{op.phrase()}{rng.choice(STEP_CONNECTORS)}{equation(value, op)}{rng.choice(STEP_ENDINGS)}"
    )


def varied_thinking(
    problem: Problem,
    rng: random.Random,
    rechecked: frozenset[int] | set[int] = frozenset(),
    recomputes: int = 0,
) -> str:
    """The habit's trace (:func:`~.traces.thinking`'s structure) with each line's wording drawn by ``rng``."""
    if recomputes not in (0, 1, 2):
        raise ValueError(f"recomputes must be 0, 1 or 2, got {recomputes}")
    values = problem.values()
    steps = [(i + 1, values[i], op) for i, op in enumerate(problem.operations)]
    lines = [rng.choice(START_LINES).format(v=problem.start)]
    for i, v, op in steps:
        lines.append(varied_step_line(i, v, op, rng))
        if i in rechecked:
            lines.append(rng.choice(RECHECK_LINES).format(i=i, eq=equation(v, op)))
    lines.append(rng.choice(RESULT_LINES).format(a=problem.answer))
    for r in range(recomputes):
        lines.append(rng.choice(FIRST_RECOMPUTE_LINES if r == 0 else SECOND_RECOMPUTE_LINES))
        lines.append(rng.choice(START_LINES).format(v=problem.start))
        lines += [varied_step_line(i, v, op, rng) for i, v, op in steps]
        lines.append(rng.choice(AGREE_LINES).format(a=problem.answer))
    return "".join(lines)


def varied_overthinking(problem: Problem, rng: random.Random) -> str:
    """Thinking with the habit's re-checks and recomputations (drawn as in ``overthinking``), each
    line in a randomly drawn wording."""
    rechecked, recomputes = draw_habit(problem, rng)
    return varied_thinking(problem, rng, rechecked, recomputes)
