"""A small OpenAI-compatible server on the project's HF generator, for elastic-api's tests.

    python tests/api_server.py --port 8123 [--model PATH] [--plain] [--reasoning-field reasoning_content]

Real generation with :class:`~elastic_bench.models.hf_generator.HFTokenGenerator`: requests that
arrive together are decoded in one batch (a worker thread gathers them), so N requests in flight
are faster than one. ``/v1/completions`` takes a text or token-id prompt; ``/v1/chat/completions``
renders messages with the model's chat template (``add_generation_prompt``,
``continue_final_message``). By default it speaks vLLM's extensions (``stop_token_ids``,
``ignore_eos``, ``include_stop_str_in_output``, ``return_token_ids``, ``stop_reason``);
``--plain`` ignores them as a plain OpenAI server would (stops dropped from the text, no token
ids). ``--reasoning-field`` returns chat thinking in that separate field. ``GET /stats`` counts
generations (the fault tests check that nothing is generated twice).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import queue
import sys
import threading
from concurrent.futures import Future
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch

from elastic_bench.harness.generation import GenerationCall, Sampling
from elastic_bench.models.elastic_hf import load_model_and_tokenizer
from elastic_bench.models.hf_generator import HFTokenGenerator
from elastic_bench.models.tiny_reasoner import CHECKPOINT_DIR

FLAVOURS = ("", "plain", "reasoning", "nocontinue")


class Engine:
    """Gathers concurrent calls into batches for one generator thread."""

    def __init__(self, model_path: str, batch_size: int = 32):
        model, tokenizer = load_model_and_tokenizer(model_path, dtype="float32", device="cpu")
        self.tokenizer = tokenizer
        self.gen = HFTokenGenerator(model, tokenizer, batch_size=batch_size)
        self.batch_size = batch_size
        self.queue: queue.Queue[tuple[GenerationCall, Future]] = queue.Queue()
        self.completed = 0
        self.requests = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._loop, daemon=True).start()

    def submit(self, call: GenerationCall) -> list[int]:
        with self.lock:
            self.requests += 1
        future: Future = Future()
        self.queue.put((call, future))
        return future.result()

    def _loop(self) -> None:
        while True:
            batch = [self.queue.get()]
            while len(batch) < self.batch_size:
                try:
                    batch.append(self.queue.get(timeout=0.005))
                except queue.Empty:
                    break
            try:
                outs = self.gen.generate([c for c, _ in batch])
            except Exception as exc:  # pragma: no cover - reported to each caller
                for _, f in batch:
                    f.set_exception(exc)
                continue
            with self.lock:
                self.completed += len(batch)
            for (_, f), out in zip(batch, outs, strict=True):
                f.set_result(out.token_ids)


def _stops(body: dict, tok, eos: list[int], plain: bool) -> tuple[list[list[int]], dict]:
    """Token stop sequences and, for each, how it is reported (text or token id)."""
    stops, kinds = [], {}
    texts = body.get("stop") or []
    for text in [texts] if isinstance(texts, str) else texts:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        stops.append(ids)
        kinds[tuple(ids)] = text
    if not plain:
        for t in body.get("stop_token_ids") or []:
            stops.append([int(t)])
            kinds[(int(t),)] = int(t)
    if plain or not body.get("ignore_eos"):
        for e in eos:
            stops.append([e])
            kinds.setdefault((e,), None)
    return stops, kinds


class Handler(BaseHTTPRequestHandler):
    engine: Engine
    args: argparse.Namespace
    protocol_version = "HTTP/1.1"

    def log_message(self, *a) -> None:  # quiet
        pass

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        if self.path.endswith("/v1/models"):
            self._send(200, {"object": "list", "data": [{"id": self.args.served_name, "object": "model"}]})
        elif self.path == "/stats":
            self._send(200, {"completed": self.engine.completed, "requests": self.engine.requests})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        # a path prefix picks a server flavour: /plain/v1, /reasoning/v1, /nocontinue/v1 (or the flags)
        flavour, _, path = self.path.rpartition("/v1/")
        flavour = flavour.strip("/")
        if path not in ("completions", "chat/completions") or flavour not in FLAVOURS:
            return self._send(404, {"error": "not found"})
        chat = path == "chat/completions"
        tok = self.engine.tokenizer
        plain = self.args.plain or flavour == "plain"
        reasoning_field = self.args.reasoning_field or (
            "reasoning_content" if flavour == "reasoning" else None
        )
        if chat:
            no_continue = self.args.no_continue or flavour == "nocontinue"
            cont = bool(body.get("continue_final_message")) and not no_continue
            text = tok.apply_chat_template(
                body["messages"],
                tokenize=False,
                add_generation_prompt=False if cont else body.get("add_generation_prompt", True),
                continue_final_message=cont,
            )
            prompt = tok(text, add_special_tokens=False)["input_ids"]
        else:
            prompt = body["prompt"]
            if isinstance(prompt, str):
                prompt = tok(prompt, add_special_tokens=False)["input_ids"]
        eos = self.engine.gen.eos_token_ids
        stops, kinds = _stops(body, tok, eos, plain)
        temperature = float(body.get("temperature", 1.0))
        sampling = Sampling(temperature, float(body.get("top_p", 1.0)), int(body.get("top_k", 0) or 0))
        call = GenerationCall(
            list(prompt), int(body.get("max_tokens", 16)), stops, sampling, int(body.get("seed") or 0)
        )
        tokens = self.engine.submit(call)
        stop = next((s for s in stops if tokens[-len(s) :] == s), None) if tokens else None
        # the stop is left out of the text unless include_stop_str_in_output (EOS always is)
        hide = stop is not None and (
            plain or kinds.get(tuple(stop)) is None or not body.get("include_stop_str_in_output")
        )
        shown = tokens[: -len(stop)] if hide else tokens
        text = tok.decode(shown, skip_special_tokens=False)
        choice: dict = {"index": 0, "finish_reason": "stop" if stop is not None else "length"}
        if not plain:
            choice["stop_reason"] = kinds.get(tuple(stop)) if stop is not None else None
            if body.get("return_token_ids"):
                choice["token_ids"] = tokens
        if chat:
            message: dict = {"role": "assistant", "content": text}
            if reasoning_field:
                thinking, sep, answer = text.partition(self.args.think_end)
                message = {"role": "assistant", reasoning_field: thinking, "content": answer if sep else None}
            choice["message"] = message
        else:
            choice["text"] = text
        usage = {"prompt_tokens": len(prompt), "completion_tokens": len(tokens)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        self._send(
            200,
            {
                "object": "chat.completion" if chat else "text_completion",
                "model": self.args.served_name,
                "choices": [choice],
                "usage": usage,
            },
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", default=str(CHECKPOINT_DIR))
    parser.add_argument("--served-name", default=None)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--plain", action="store_true", help="ignore vLLM's extensions")
    parser.add_argument("--no-continue", action="store_true", help="ignore continue_final_message")
    parser.add_argument("--reasoning-field", default=None)
    parser.add_argument("--think-end", default="</think>")
    args = parser.parse_args(argv)
    args.served_name = args.served_name or args.model
    torch.set_num_threads(args.threads)
    Handler.engine = Engine(args.model, args.batch_size)
    Handler.args = args
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(f"READY {args.port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
