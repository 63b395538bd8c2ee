"""``elastic-api``: budgeted generation against any OpenAI-compatible server inside lm-eval.

    vllm serve PATH --host 127.0.0.1 --port 8000 &
    lm_eval --model elastic-api --tasks elastic_toy \\
        --model_args base_url=http://127.0.0.1:8000/v1,model=PATH,num_concurrent=32

The same strategies and shared-prefix sweep as ``elastic-hf`` and ``elastic-vllm`` (the
:class:`~elastic_bench.harness.generation._contract.TokenGenerator` protocol, see
:mod:`elastic_bench.models.api_generator` for the wire format). Model arguments named as in
lm-eval's ``local-completions`` where they overlap: ``base_url`` (``.../v1``, or a full
``.../v1/completions`` / ``.../v1/chat/completions`` endpoint, which also picks the mode),
``model`` (the served name; default: the server's first model), ``tokenizer`` (local path or hub
id; default: ``model``), ``num_concurrent`` (requests in flight), ``max_retries``, ``timeout``
(seconds per request), ``tokenized_requests`` (prompts as token ids), ``seed``,
``max_gen_toks``, ``verify_certificate``. Ours: ``mode`` (completions, chat), ``extensions``
(``vllm``: vLLM/SGLang's stop_token_ids, ignore_eos and return_token_ids; ``none``: plain OpenAI),
``continue_final_message`` (chat: the server continues the last assistant message),
``api_key_env`` (the environment variable holding the key; never a model arg, never recorded),
and elastic-hf's ``think_end``, ``chat``, ``share_prefix``, ``groups_per_batch``, ``journal``,
``revision``, ``trust_remote_code``. ``batch_size`` and ``device`` are accepted and not used.
"""

from __future__ import annotations

import urllib.parse
from types import SimpleNamespace
from typing import Literal

from lm_eval.api.registry import register_model
from pydantic import NonNegativeInt, PositiveFloat, PositiveInt

from elastic_bench.harness.lmeval import ModelNotFoundError, check_model_args
from elastic_bench.harness.protocol import DEFAULT_MAX_GEN_TOKS, DEFAULT_SEED, THINK_END
from elastic_bench.harness.provenance import model_fingerprint, model_info, redact
from elastic_bench.models.api_client import APIClient, APIError
from elastic_bench.models.api_generator import APITokenGenerator
from elastic_bench.models.budgeted_lm import BudgetedLM
from elastic_bench.models.tokenized import BatchSize, eos_token_ids

ENDPOINTS = {"/chat/completions": "chat", "/completions": "completions"}


def split_base_url(base_url: str, mode: str | None) -> tuple[str, str]:
    """``(api root, mode)`` from lm-eval style ``base_url`` (a root or a full endpoint)."""
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"base_url {redact(base_url)!r} is not an http(s) URL such as http://127.0.0.1:8000/v1"
        )
    url = base_url.rstrip("/")
    for suffix, implied in ENDPOINTS.items():
        if url.endswith(suffix):
            if mode is not None and mode != implied:
                raise ValueError(f"base_url {redact(base_url)!r} is a {implied} endpoint but mode={mode}")
            return url[: -len(suffix)], implied
    return url, mode or "completions"


@register_model("elastic-api")
class ElasticAPI(BudgetedLM):
    """Budgeted generation over HTTP, N requests in flight, journaled for resumption."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000/v1",
        model: str | None = None,
        tokenizer: str | None = None,
        mode: Literal["completions", "chat"] | None = None,
        num_concurrent: PositiveInt = 8,
        max_retries: NonNegativeInt = 5,
        timeout: PositiveFloat = 300.0,
        tokenized_requests: bool = True,
        extensions: Literal["vllm", "none"] = "vllm",
        continue_final_message: bool = True,
        api_key_env: str = "OPENAI_API_KEY",
        verify_certificate: bool = True,
        revision: str | None = None,
        trust_remote_code: bool = False,
        seed: int = DEFAULT_SEED,
        think_end: str = THINK_END,
        chat: Literal["auto", "yes", "no"] = "auto",
        share_prefix: bool = True,
        max_gen_toks: PositiveInt = DEFAULT_MAX_GEN_TOKS,
        groups_per_batch: PositiveInt = 64,
        journal: str | None = None,
        batch_size: BatchSize = 1,
        device: str | None = None,
    ) -> None:
        args = check_model_args(
            type(self), {k: v for k, v in locals().items() if k not in ("self", "__class__")}
        )
        from transformers import AutoTokenizer, GenerationConfig

        root, mode = split_base_url(args["base_url"], args["mode"])
        client = APIClient(
            num_concurrent=args["num_concurrent"],
            max_retries=args["max_retries"],
            timeout=args["timeout"],
            api_key_env=args["api_key_env"] or None,
            verify_certificate=args["verify_certificate"],
        )
        served = args["model"] or self._first_model(client, root)
        source = args["tokenizer"] or served
        try:
            hf_tokenizer = AutoTokenizer.from_pretrained(
                source, revision=revision, trust_remote_code=args["trust_remote_code"]
            )
        except OSError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelNotFoundError(
                f"cannot load tokenizer {source!r} (pass tokenizer=PATH_OR_ID): {reason}"
            ) from exc
        try:
            generation_config = GenerationConfig.from_pretrained(source, revision=revision)
        except OSError:
            generation_config = None
        eos = eos_token_ids(SimpleNamespace(generation_config=generation_config), hf_tokenizer)
        if mode == "chat" and args["chat"] == "no":
            raise ValueError("mode=chat sends conversations: it cannot be combined with chat=no")
        generator = APITokenGenerator(
            hf_tokenizer,
            eos,
            client,
            url=root,
            model=served,
            mode=mode,
            tokenized_requests=args["tokenized_requests"],
            extensions=args["extensions"],
            continue_final_message=args["continue_final_message"],
            marker=args["think_end"],
        )
        self.tokenizer = hf_tokenizer
        self.served_model, self.tokenizer_source, self.base_url, self.mode = served, source, root, mode
        self.revision = revision
        self.num_concurrent = int(args["num_concurrent"])
        super().__init__(
            generator,
            chat_template_source=hf_tokenizer,
            think_end=args["think_end"],
            chat="yes" if mode == "chat" else args["chat"],
            seed=int(args["seed"]),
            share_prefix=args["share_prefix"],
            max_gen_toks=int(args["max_gen_toks"]),
            groups_per_batch=int(args["groups_per_batch"]),
            model_id=source,
            journal=args["journal"],
            # the served weights are known only by name (and the tokenizer's folder, when local)
            fingerprint=f"api|{served}|{model_fingerprint(source, revision)}|{mode}|{args['extensions']}",
        )

    @staticmethod
    def _first_model(client: APIClient, root: str) -> str:
        try:
            data = client.get(f"{root}/models").get("data") or []
        except (APIError, OSError) as exc:
            raise APIError(f"cannot list the models of {redact(root)} (pass model=NAME): {exc}") from None
        if not data:
            raise APIError(f"{redact(root)}/models lists no model; pass model=NAME")
        return str(data[0]["id"])

    def _prompt(self, context: str) -> str:
        text = super()._prompt(context)
        if self.mode == "chat":
            self.generator.remember_chat(self.generator.encode(text), [{"role": "user", "content": context}])
        return text

    def get_model_info(self) -> dict:
        """Reproducibility facts for the results' ``config``, with what the server could not enforce.

        The served weights are not known here: ``weights_sha256`` is None (a local ``tokenizer`` /
        ``model`` folder only lends its tokenizer) and ``weights_note`` says so."""
        return model_info(
            pretrained=self.tokenizer_source,
            revision=self.revision,
            tokenizer=self.tokenizer.name_or_path,
            chat_template=self.chat_template() if self.chat != "no" else None,
            think_end=self.think_end,
            backend="openai-api",
            served_model=self.served_model,
            api_mode=self.mode,
            api_extensions=self.generator.extensions,
            api_caveats=list(self.generator.caveats),
            api_usage_checks=dict(self.generator.counter.extra),
            num_concurrent=self.num_concurrent,
            share_prefix=self.engine.share_prefix,
            hash_weights=False,
            weights_note=f"served over HTTP as {self.served_model!r}: the server's weights cannot be hashed "
            f"from here (the local {self.tokenizer_source!r} only supplies the tokenizer)",
        )
