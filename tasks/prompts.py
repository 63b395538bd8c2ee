"""Prompt templates of the papers we reproduce (``{problem}`` is replaced by the problem text)."""

#: Elastic Reasoning / DeepScaleR evaluation prompt (the default)
E1_PROMPT = "{problem} Let's think step by step and output the final answer within \\boxed{{}}."
#: O1-Pruner evaluation: a system-style instruction asking for step-by-step work and \boxed{}
O1_PRUNER_PROMPT = "Please reason step by step, and put your final answer within \\boxed{{}}.\n\n{problem}"
PROMPTS = {"e1": E1_PROMPT, "o1_pruner": O1_PRUNER_PROMPT}


def render(problem: str, template: str = "e1") -> str:
    """The prompt text for ``problem`` with the named template (``e1`` or ``o1_pruner``)."""
    if template not in PROMPTS:
        raise ValueError(f"unknown prompt template {template!r}; expected one of {sorted(PROMPTS)}")
    return PROMPTS[template].format(problem=problem)
