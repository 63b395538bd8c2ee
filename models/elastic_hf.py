"""``elastic-hf``: the transformers backend (CPU or GPU) for budgeted generation inside lm-eval.

    lm_eval --model elastic-hf --model_args pretrained=PATH_OR_ID,dtype=bfloat16 --tasks elastic_toy

Model arguments: ``pretrained`` (hub id or local path; default: the embedded tiny reasoner),
``revision``, ``dtype`` (auto, float32, bfloat16, float16), ``device`` (cpu, cuda, cuda:0...),
``batch_size`` (rows decoded together), ``seed``, ``think_end`` (end-of-thinking marker),
``chat`` (auto: apply the model's chat template unless lm-eval already did; yes; no),
``share_prefix`` (the shared-prefix sweep; false = every budget on its own), ``max_gen_toks``,
``groups_per_batch`` (prompts whose budgets are generated, then cached, together; default =
batch_size, which bounds the thinking KV caches kept for the solution phase),
``threads`` (CPU threads), ``journal`` (an SQLite file of finished responses: a rerun with the same
journal resumes, sampled requests included), ``trust_remote_code``.

Data parallel, as lm-eval's ``hf`` model: launched as N processes (``accelerate launch
--multi_gpu --num_processes N -m lm_eval ...``, or ``torchrun``; on a machine without GPUs each
process runs on the CPU with gloo), each process evaluates every N-th problem with all its budgets
and rank 0 writes the outputs. ``elastic-bench run --num-processes N`` launches them itself.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Literal

import torch
from lm_eval.api.registry import register_model
from pydantic import PositiveInt

from elastic_bench.harness.lmeval import ModelNotFoundError, check_model_args, launched_rank
from elastic_bench.harness.protocol import DEFAULT_MAX_GEN_TOKS, DEFAULT_SEED, THINK_END
from elastic_bench.harness.provenance import model_fingerprint, model_info
from elastic_bench.models.budgeted_lm import BudgetedLM
from elastic_bench.models.hf_generator import HFTokenGenerator
from elastic_bench.models.tiny_reasoner import CHECKPOINT_DIR
from elastic_bench.models.tokenized import BatchSize

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
Dtype = Literal["auto", "float32", "bfloat16", "float16"]


def resolve_device(device: str | None) -> str:
    """The device to run on: ``None``, ``cuda`` or ``cuda:0`` (lm-eval's defaults) is that GPU when there
    is one, else the CPU; any other name must be a device torch knows and this machine has."""
    if device is None or str(device) in ("cuda", "cuda:0"):
        return str(device or "cuda") if torch.cuda.is_available() else "cpu"
    try:
        where = torch.device(str(device))
    except RuntimeError:
        raise ValueError(
            f"invalid model arg device={device!r}: not a torch device (cpu, cuda, cuda:0 ...)"
        ) from None
    if where.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if where.index is not None and where.index >= count:
            raise ValueError(f"invalid model arg device={device!r}: this machine has {count} CUDA device(s)")
    return str(device)


def join_data_parallel(device: str | None) -> tuple[int, int, str | None]:
    """This process's rank, the number of processes and the device it runs on. One of several
    launched processes joins their process group: each takes the GPU of its local rank (NCCL), or the
    CPU (gloo) when there is no GPU or ``device`` says ``cpu``. Alone: ``(0, 1, device)``."""
    _, world_size = launched_rank()
    if world_size <= 1:
        return 0, 1, device
    import torch.distributed as dist

    on_cpu = str(device or "").startswith("cpu") or not torch.cuda.is_available()
    if not dist.is_initialized():
        # a rank waits at lm-eval's barrier until the slowest rank has generated its share
        dist.init_process_group("gloo" if on_cpu else "nccl", timeout=timedelta(weeks=52))
    if on_cpu:
        return dist.get_rank(), dist.get_world_size(), "cpu"
    local = int(os.environ.get("LOCAL_RANK", dist.get_rank()))
    torch.cuda.set_device(local)
    return dist.get_rank(), dist.get_world_size(), f"cuda:{local}"


def load_model_and_tokenizer(
    pretrained: str,
    *,
    revision: str | None = None,
    dtype: str = "auto",
    device: str = "cpu",
    trust_remote_code=False,
):
    """Load a causal LM and its tokenizer, with a one-line error when the model is missing."""
    from safetensors import SafetensorError
    from transformers import AutoModelForCausalLM, AutoTokenizer

    looks_local = pretrained.startswith((".", "/", "~")) or Path(pretrained).expanduser().exists()
    if looks_local and not (Path(pretrained).expanduser() / "config.json").is_file():
        raise ModelNotFoundError(f"no model at {pretrained!r} (expected a folder with config.json)")
    if dtype != "auto" and dtype not in DTYPES:
        raise ValueError(f"dtype must be auto or one of {sorted(DTYPES)}, got {dtype!r}")
    torch_dtype = DTYPES.get(dtype, "auto")
    try:
        tokenizer = AutoTokenizer.from_pretrained(
            pretrained, revision=revision, trust_remote_code=trust_remote_code
        )
        model = AutoModelForCausalLM.from_pretrained(
            pretrained, revision=revision, dtype=torch_dtype, trust_remote_code=trust_remote_code
        )
    except (OSError, SafetensorError) as exc:  # missing, or truncated/corrupt weights
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelNotFoundError(f"cannot load model {pretrained!r}: {reason}") from exc
    model.to(device).eval()
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


@register_model("elastic-hf")
class ElasticHFLM(BudgetedLM):
    """Budgeted generation with transformers, KV-cache reuse across a sweep's budgets."""

    #: the checkpoint a run evaluates when ``pretrained`` is not given: the embedded tiny reasoner
    DEFAULT_PRETRAINED = CHECKPOINT_DIR
    #: launched as several processes, each evaluates its share of the problems
    DATA_PARALLEL = True

    def __init__(
        self,
        pretrained: str | None = None,
        revision: str | None = None,
        dtype: Dtype = "auto",
        device: str | None = None,
        batch_size: BatchSize = 32,
        max_batch_size: PositiveInt | None = None,
        seed: int = DEFAULT_SEED,
        think_end: str = THINK_END,
        chat: Literal["auto", "yes", "no"] = "auto",
        share_prefix: bool = True,
        max_gen_toks: PositiveInt = DEFAULT_MAX_GEN_TOKS,
        groups_per_batch: PositiveInt | None = None,
        threads: PositiveInt | None = None,
        journal: str | None = None,
        trust_remote_code: bool = False,
    ) -> None:
        # the signature is the declaration: values are checked (and coerced) against it first
        args = {k: v for k, v in locals().items() if k not in ("self", "__class__")}
        args = check_model_args(type(self), args)
        pretrained, dtype, device, seed = args["pretrained"], args["dtype"], args["device"], args["seed"]
        batch_size, threads, share_prefix = args["batch_size"], args["threads"], args["share_prefix"]
        max_gen_toks, groups_per_batch = args["max_gen_toks"], args["groups_per_batch"]
        trust_remote_code = args["trust_remote_code"]
        pretrained = str(pretrained or self.DEFAULT_PRETRAINED)
        rank, world_size, device = join_data_parallel(device)
        device = resolve_device(device)
        if threads:
            torch.set_num_threads(int(threads))
        if isinstance(batch_size, str):
            batch_size = 32  # "auto" -> a safe default
        model, tokenizer = load_model_and_tokenizer(
            pretrained,
            revision=revision,
            dtype=dtype,
            device=device,
            trust_remote_code=trust_remote_code,
        )
        self.model = model
        self.tokenizer = tokenizer
        self.pretrained = pretrained
        self.revision = revision
        self.device_name = device
        self.batch_size = int(batch_size)
        generator = HFTokenGenerator(model, tokenizer, batch_size=self.batch_size)
        super().__init__(
            generator,
            chat_template_source=tokenizer,
            think_end=think_end,
            chat=chat,
            seed=int(seed),
            share_prefix=share_prefix,
            max_gen_toks=int(max_gen_toks),
            # a chunk's thinking KV caches stay alive until its solutions are done: bound it by the batch
            groups_per_batch=int(groups_per_batch or self.batch_size),
            model_id=pretrained,
            journal=journal,
            fingerprint=self._fingerprint(pretrained, revision, str(model.dtype), device),
            rank=rank,
            world_size=world_size,
            device=device,
        )

    @staticmethod
    def _fingerprint(pretrained: str, revision: str | None, dtype: str, device: str) -> str:
        """The weights, numeric type and kind of device: what besides the request changes an output."""
        where = torch.device(device)
        hardware = where.type
        if where.type == "cuda" and torch.cuda.is_available():
            hardware += f":{torch.cuda.get_device_name(where)}"
        return f"{model_fingerprint(pretrained, revision)}|{dtype.removeprefix('torch.')}|{hardware}"

    def get_model_info(self) -> dict:
        """Reproducibility facts lm-eval stores in the results' ``config`` (the converter reads them)."""
        return model_info(
            pretrained=self.pretrained,
            revision=self.revision,
            tokenizer=self.tokenizer.name_or_path,
            chat_template=self.chat_template() if self.chat != "no" else None,
            think_end=self.think_end,
            dtype=str(self.model.dtype).removeprefix("torch."),
            device=self.device_name,
            batch_size=self.batch_size,
            share_prefix=self.engine.share_prefix,
        )
