"""``elastic-vllm``: vLLM's offline engine for budgeted generation inside lm-eval.

    lm_eval --model elastic-vllm --model_args pretrained=PATH_OR_ID,tensor_parallel_size=2 --tasks elastic_toy

The same strategies and shared-prefix sweep as ``elastic-hf`` (they run on the
:class:`~elastic_bench.harness.generation._contract.TokenGenerator` protocol); vLLM's automatic prefix
caching stands in for the HF backend's KV-cache reuse, so the solution phase does not prefill the
thinking again. Model arguments named as in lm-eval's ``vllm`` model: ``pretrained``,
``revision``, ``dtype``, ``tokenizer``, ``trust_remote_code``, ``tensor_parallel_size``,
``data_parallel_size`` (one engine per Ray actor on the running Ray instance or a new local one,
each problem's calls on one engine; the responses are one engine's), ``gpu_memory_utilization``, ``max_model_len``, ``max_num_seqs`` (or ``max_batch_size``),
``quantization``, ``seed``, ``enforce_eager``, ``block_size``, ``enable_prefix_caching``; and
elastic-hf's ``think_end``, ``chat``, ``share_prefix``, ``max_gen_toks``, ``groups_per_batch``,
``journal``. ``batch_size`` and ``device`` are accepted for lm-eval's CLI and not used (vLLM
schedules its own batches; ``CUDA_VISIBLE_DEVICES`` picks GPUs). vLLM is imported only here.
"""

from __future__ import annotations

import atexit
import contextlib
import os
from types import SimpleNamespace
from typing import Any, Literal

from lm_eval.api.registry import register_model
from pydantic import PositiveInt

from elastic_bench.harness.lmeval import ModelNotFoundError, check_model_args
from elastic_bench.harness.protocol import DEFAULT_MAX_GEN_TOKS, DEFAULT_SEED, THINK_END
from elastic_bench.harness.provenance import model_fingerprint, model_info
from elastic_bench.models.budgeted_lm import BudgetedLM
from elastic_bench.models.tiny_reasoner import CHECKPOINT_DIR
from elastic_bench.models.tokenized import BatchSize, eos_token_ids
from elastic_bench.models.vllm_generator import Dispatch, VLLMTokenGenerator, llm_dispatch

Dtype = Literal["auto", "float32", "bfloat16", "float16"]

#: driver env vars Ray copies into actors that would give a replica's inner engine a DP rank
#: (the list lm-eval's vllm model clears)
_DP_ENV = ("VLLM_DP_RANK", "VLLM_DP_RANK_LOCAL", "VLLM_DP_SIZE", "VLLM_DP_MASTER_IP", "VLLM_DP_MASTER_PORT")


def cpu_share(cpus: list[int], index: int, replicas: int) -> list[int]:
    """Replica ``index``'s cores out of ``cpus`` (contiguous, disjoint while there are enough)."""
    if len(cpus) < replicas:
        return [cpus[index % len(cpus)]]
    per = len(cpus) // replicas
    return cpus[index * per : (index + 1) * per]


class Replica:
    """One engine of a data-parallel run, as a Ray actor: a ``vllm.LLM`` in the actor's process.

    The inner engine must not use Ray (nested placement groups deadlock). On the CPU, unless
    ``VLLM_CPU_OMP_THREADS_BIND`` is set, each replica binds its threads to its own share of the
    node's cores (``bind_cores``; vLLM's automatic binding would put every replica on the same ones).
    """

    def __init__(self, engine_args: dict[str, Any], index: int, replicas: int, bind_cores: bool) -> None:
        for name in _DP_ENV:
            os.environ.pop(name, None)
        if bind_cores:
            cores = cpu_share(sorted(os.sched_getaffinity(0)), index, replicas)
            os.environ["VLLM_CPU_OMP_THREADS_BIND"] = ",".join(map(str, cores))
        args = {k: v for k, v in engine_args.items() if k != "distributed_executor_backend"}
        from vllm import LLM

        self.llm = LLM(**args)

    def dtype(self) -> str:
        """The engine's resolved numeric type (``float32``, ...)."""
        return str(self.llm.llm_engine.model_config.dtype).removeprefix("torch.")

    def generate(self, prompts: list, params: list) -> list:
        """``LLM.generate`` on this replica."""
        return self.llm.generate(prompts, sampling_params=params, use_tqdm=False)

    def shutdown(self) -> None:
        """Stop the engine's processes (Ray ending the actor alone would leave them running)."""
        self.llm.llm_engine.engine_core.shutdown()


def _ray_dispatch(
    engine_args: dict[str, Any], replicas: int, tensor_parallel_size: int
) -> tuple[Dispatch, str]:
    """Data parallelism on Ray: ``replicas`` actors, one engine each, alive for the whole run (so a
    replica's prefix cache still holds the thinking when its solution phase comes: the generator
    routes a call to its parent's replica). On GPUs each reserves ``tensor_parallel_size`` of them;
    on the CPU one CPU each. Ray is the running instance (``RAY_ADDRESS``) or a new local one.
    Returns the dispatch and the engines' numeric type."""
    import ray
    from vllm.platforms import current_platform

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(include_dashboard=False)
    cpu = current_platform.is_cpu()
    resources = {"num_cpus": 1} if cpu else {"num_cpus": 1, "num_gpus": tensor_parallel_size}
    if started_here:  # a local instance gains no nodes: a replica that does not fit would wait forever
        have = ray.cluster_resources()
        for name, key in (("num_cpus", "CPU"), ("num_gpus", "GPU")):
            if resources.get(name, 0) * replicas > have.get(key, 0):
                raise RuntimeError(
                    f"data_parallel_size={replicas} needs {resources[name] * replicas:g} {key}s on this "
                    f"machine, it has {have.get(key, 0):g}"
                )
    bind_cores = cpu and os.environ.get("VLLM_CPU_OMP_THREADS_BIND", "auto") == "auto"
    actor = ray.remote(**resources)(Replica)
    actors = [actor.remote(engine_args, i, replicas, bind_cores) for i in range(replicas)]

    def stop() -> None:
        with contextlib.suppress(ray.exceptions.RayError):  # a replica that died has nothing left to stop
            ray.get([a.shutdown.remote() for a in actors], timeout=120)
        for a in actors:
            ray.kill(a)

    atexit.register(stop)  # after ray.init's own handler, so it runs before Ray shuts down
    try:
        dtypes = ray.get([a.dtype.remote() for a in actors])
    except ray.exceptions.RayError as exc:
        reason = next((line for line in str(exc).splitlines()[::-1] if line.strip()), type(exc).__name__)
        raise RuntimeError(f"a data-parallel vLLM engine failed to start: {reason.strip()}") from exc

    def dispatch(jobs: dict[int, tuple[list, list]]) -> dict[int, list]:
        refs = {r: actors[r].generate.remote(p, s) for r, (p, s) in jobs.items()}
        return dict(zip(refs, ray.get(list(refs.values())), strict=True))

    return dispatch, dtypes[0]


@register_model("elastic-vllm")
class ElasticVLLM(BudgetedLM):
    """Budgeted generation on vLLM, prefix caching across a sweep's budgets."""

    #: the checkpoint a run evaluates when ``pretrained`` is not given: the embedded tiny reasoner
    DEFAULT_PRETRAINED = CHECKPOINT_DIR

    def __init__(
        self,
        pretrained: str | None = None,
        revision: str | None = None,
        dtype: Dtype = "auto",
        tokenizer: str | None = None,
        trust_remote_code: bool = False,
        tensor_parallel_size: PositiveInt = 1,
        data_parallel_size: PositiveInt = 1,
        gpu_memory_utilization: float = 0.9,
        max_model_len: PositiveInt | None = None,
        max_num_seqs: PositiveInt | None = None,
        max_batch_size: PositiveInt | None = None,
        quantization: str | None = None,
        seed: int = DEFAULT_SEED,
        enforce_eager: bool = False,
        block_size: PositiveInt | None = None,
        enable_prefix_caching: bool = True,
        think_end: str = THINK_END,
        chat: Literal["auto", "yes", "no"] = "auto",
        share_prefix: bool = True,
        max_gen_toks: PositiveInt = DEFAULT_MAX_GEN_TOKS,
        groups_per_batch: PositiveInt = 256,
        journal: str | None = None,
        batch_size: BatchSize = "auto",
        device: str | None = None,
    ) -> None:
        args = {k: v for k, v in locals().items() if k not in ("self", "__class__")}
        args = check_model_args(type(self), args)
        pretrained = str(args["pretrained"] or self.DEFAULT_PRETRAINED)
        tp, dp = int(args["tensor_parallel_size"]), int(args["data_parallel_size"])
        from transformers import AutoTokenizer, GenerationConfig

        if pretrained.startswith((".", "/", "~")) and not os.path.isfile(
            os.path.join(os.path.expanduser(pretrained), "config.json")
        ):
            raise ModelNotFoundError(f"no model at {pretrained!r} (expected a folder with config.json)")
        try:
            hf_tokenizer = AutoTokenizer.from_pretrained(
                args["tokenizer"] or pretrained,
                revision=revision,
                trust_remote_code=args["trust_remote_code"],
            )
        except OSError as exc:
            raise ModelNotFoundError(f"cannot load the tokenizer of {pretrained!r}: {exc}") from exc
        try:
            generation_config = GenerationConfig.from_pretrained(pretrained, revision=revision)
        except OSError:
            generation_config = None
        eos = eos_token_ids(SimpleNamespace(generation_config=generation_config), hf_tokenizer)

        self.engine_args: dict[str, Any] = {
            "model": pretrained,
            "revision": revision,
            "tokenizer": args["tokenizer"] or pretrained,
            "dtype": args["dtype"],
            "trust_remote_code": args["trust_remote_code"],
            "tensor_parallel_size": tp,
            "gpu_memory_utilization": float(args["gpu_memory_utilization"]),
            "max_model_len": args["max_model_len"],
            "max_num_seqs": args["max_num_seqs"] or args["max_batch_size"],
            "quantization": args["quantization"],
            "seed": int(args["seed"]),
            "enforce_eager": args["enforce_eager"],
            "enable_prefix_caching": args["enable_prefix_caching"],
            "block_size": args["block_size"],
            "disable_log_stats": False,  # keeps the prefix-cache counters of LLM.get_metrics()
        }
        self.engine_args = {k: v for k, v in self.engine_args.items() if v is not None}
        self.llm = None
        if dp > 1:
            from importlib.util import find_spec

            if not find_spec("ray"):
                from elastic_bench.harness.queue import RAY_EXTRA

                raise ModuleNotFoundError(f"data_parallel_size > 1 needs Ray: pip install '{RAY_EXTRA}'")
            dispatch, self.engine_dtype = _ray_dispatch(self.engine_args, dp, tp)
        else:
            from vllm import LLM

            self.llm = LLM(**self.engine_args)
            dispatch = llm_dispatch(self.llm)
            self.engine_dtype = str(self.llm.llm_engine.model_config.dtype).removeprefix("torch.")
        generator = VLLMTokenGenerator(hf_tokenizer, eos, dispatch, replicas=dp)
        self.tokenizer = hf_tokenizer
        self.pretrained = pretrained
        self.revision = revision
        self.tensor_parallel_size, self.data_parallel_size = tp, dp
        super().__init__(
            generator,
            chat_template_source=hf_tokenizer,
            think_end=args["think_end"],
            chat=args["chat"],
            seed=int(args["seed"]),
            share_prefix=args["share_prefix"],
            max_gen_toks=int(args["max_gen_toks"]),
            groups_per_batch=int(args["groups_per_batch"]),
            model_id=pretrained,
            journal=args["journal"],
            fingerprint=self._fingerprint(pretrained, revision, self.engine_dtype, tp),
        )

    @staticmethod
    def _fingerprint(pretrained: str, revision: str | None, dtype: str, tensor_parallel_size: int) -> str:
        """Weights, numeric type, engine and hardware: what besides the request changes an output."""
        import torch
        import vllm

        hardware = "cuda:" + torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
        engine = f"vllm-{vllm.__version__}|tp{tensor_parallel_size}"
        return f"{model_fingerprint(pretrained, revision)}|{dtype}|{hardware}|{engine}"

    def get_model_info(self) -> dict:
        """Reproducibility facts lm-eval stores in the results' ``config`` (the converter reads them)."""
        import vllm

        return model_info(
            pretrained=self.pretrained,
            revision=self.revision,
            tokenizer=self.tokenizer.name_or_path,
            chat_template=self.chat_template() if self.chat != "no" else None,
            think_end=self.think_end,
            dtype=self.engine_dtype,
            backend=f"vllm {vllm.__version__}",
            tensor_parallel_size=self.tensor_parallel_size,
            data_parallel_size=self.data_parallel_size,
            share_prefix=self.engine.share_prefix,
        )
