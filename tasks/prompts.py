"""Prompt templates of the papers we reproduce (``{problem}`` is replaced by the problem text)."""

from elastic_bench.harness.registry import Registry

#: Elastic Reasoning / DeepScaleR evaluation prompt (the default)
E1_PROMPT = "{problem} Let's think step by step and output the final answer within \\boxed{{}}."
#: O1-Pruner evaluation: a system-style instruction asking for step-by-step work and \boxed{}
O1_PRUNER_PROMPT = "Please reason step by step, and put your final answer within \\boxed{{}}.\n\n{problem}"
#: LiveCodeBench's code-generation prompt for reasoning models (as in QwQ's and DeepCoder's LCB
#: evaluations); ``{format}`` is one of the two format instructions below
LCB_PROMPT = (
    "You will be given a question (problem specification) and will generate a correct Python program "
    "that matches the specification and passes all tests.\n\nQuestion: {problem}\n\n{format}"
)
#: stdin programs (LiveCodeBench's AtCoder/Codeforces problems and the CodeElo set)
LCB_STDIN_FORMAT = (
    "Read the inputs from stdin solve the problem and write the answer to stdout (do not directly test "
    "on the sample inputs). Enclose your code within delimiters as follows. Ensure that when the python "
    "program runs, it reads the inputs, runs the algorithm and writes output to STDOUT.\n"
    "```python\n# YOUR CODE HERE\n```\n\n"
)
#: LeetCode-style functional problems: the starter code goes between the fences
LCB_STARTER_FORMAT = (
    "You will use the following starter code to write the solution to the problem and enclose your "
    "code within delimiters.\n```python\n{starter_code}\n```\n\n"
)
#: the templates by name (a benchmark's ``prompt_template``)
PROMPTS: Registry[str] = Registry("prompt template")
PROMPTS.register("e1", E1_PROMPT)
PROMPTS.register("o1_pruner", O1_PRUNER_PROMPT)
PROMPTS.register("lcb", LCB_PROMPT)


def render(problem: str, template: str = "e1", **fields: str) -> str:
    """The prompt text for ``problem`` with the named template (``e1``, ``o1_pruner`` or ``lcb``);
    ``fields`` fill a template's other slots (``lcb``: ``format``, see :func:`render_code`)."""
    return PROMPTS.get_entry(template).format(problem=problem, **fields)


def render_code(problem: str, starter_code: str | None = None, template: str = "lcb") -> str:
    """A code prompt in LiveCodeBench's stdin format, or its functional format when there is starter code."""
    fmt = LCB_STARTER_FORMAT.format(starter_code=starter_code) if starter_code else LCB_STDIN_FORMAT
    return render(problem, template, format=fmt)
