"""A scripted lm-eval backend for the code sweeps' end-to-end test: no model, canned responses.

Registered for the plain ``lm_eval`` CLI through ``ELASTIC_BENCH_LM_EVAL_MODELS=scripted-code=
tests.scripted_code_lm:ScriptedCodeLM`` (with the repository root on ``PYTHONPATH``). For a prompt of a
problem with a hand-written solution in ``tests/code_solutions`` it answers, per sample j, the
solution (even j) or its wrong variant (odd j); other problems get an answer without code. Token
accounting is made up but consistent: thinking min(budget, 300) tokens, 100 answer tokens.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

from lm_eval.api.model import LM

from elastic_bench.harness.generation import ElasticResponse, TokenAccounting
from elastic_bench.tasks.code.data import load_code_problems
from elastic_bench.tasks.prompts import render_code

SOLUTIONS = Path(__file__).parent / "code_solutions"


class ScriptedCodeLM(LM):
    """Answers code prompts from the hand-written solutions (see the module docstring)."""

    def __init__(self, data_dir: str | None = None, **_: object) -> None:
        super().__init__()
        data_dir = data_dir or os.environ["ELASTIC_BENCH_DATA_DIR"]
        wrong = json.loads((SOLUTIONS / "wrong_variants.json").read_text())
        self.answers: dict[str, tuple[str, str]] = {}
        for bench in ("lcb", "codeforces"):
            for rec in load_code_problems(bench, data_dir=data_dir):
                path = SOLUTIONS / f"{bench}__{rec['id']}.py"
                if path.is_file():
                    code = path.read_text()
                    old, new = wrong[path.stem]["replace"]
                    prompt = render_code(rec["problem"], rec["starter_code"] or None)
                    self.answers[prompt] = (code, code.replace(old, new, 1))
        self.seen: Counter = Counter()

    @classmethod
    def create_from_arg_string(cls, arg_string: str, additional_config: dict | None = None) -> ScriptedCodeLM:
        args = dict(kv.split("=", 1) for kv in arg_string.split(",") if kv)
        return cls(**args)

    def generate_until(self, requests: list) -> list[str]:
        out = []
        for req in requests:
            context, gen_kwargs = req.args
            budget = gen_kwargs.get("thinking_budget")
            j = self.seen[(context, budget)]
            self.seen[(context, budget)] += 1
            think = 300 if budget is None else min(budget, 300)
            pair = self.answers.get(context)
            body = f"```python\n{pair[j % 2]}```\n" if pair else "I could not solve it."
            acct = TokenAccounting(
                think_tokens=think, answer_tokens=100, think_truncated=False, answer_truncated=False
            )
            out.append(ElasticResponse(f"thinking...</think>\n{body}", acct))
        return out

    def loglikelihood(self, requests: list) -> list:
        raise NotImplementedError("scripted-code only generates")

    def loglikelihood_rolling(self, requests: list) -> list:
        raise NotImplementedError("scripted-code only generates")
