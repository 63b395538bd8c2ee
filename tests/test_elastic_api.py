"""elastic-api against the local OpenAI-compatible test server (real generation on the tiny reasoner).

The server (tests/api_server.py) runs the project's HF generator; the same greedy sweep through
elastic-api must be elastic-hf's token for token in every wire mode: completions with vLLM's
extensions (token ids in and out), plain OpenAI semantics (text prompt, stops dropped by the
server), chat with continue_final_message, chat with reasoning in a separate field.
"""

from __future__ import annotations

import glob
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from lm_eval.api.instance import Instance

from elastic_bench.harness.generation import GenerationCall, Sampling
from elastic_bench.models.api_client import APIClient, APIError
from elastic_bench.models.api_generator import APITokenGenerator
from elastic_bench.models.elastic_api import ElasticAPI, split_base_url
from elastic_bench.tasks.prompts import render
from elastic_bench.tasks.toy.arithmetic import generate
from tests.api_helpers import ENV, free_port, start_server, stats, stop

BIN = Path(sys.executable).parent
BUDGETS = [32, 128, None]


def toy_requests(n: int, budgets=BUDGETS, strategy: str = "elastic", **extra) -> list[Instance]:
    requests = []
    for problem in generate("test", n, seed=5):
        for budget in budgets:
            kwargs = {
                "until": [],
                "do_sample": False,
                "max_gen_toks": 256,
                "strategy": strategy,
                "thinking_budget": budget,
                "solution_budget": 32,
                **extra,
            }
            requests.append(Instance("generate_until", {}, (render(problem.problem), kwargs), len(requests)))
    return requests


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = start_server(port)
    yield port
    stop(proc)


@pytest.fixture(scope="module")
def hf():
    from elastic_bench.models.elastic_hf import ElasticHFLM

    return ElasticHFLM(batch_size=16)


def _same(a, b) -> list[bool]:
    return [str(x) == str(y) and x.accounting == y.accounting for x, y in zip(a, b, strict=True)]


# ------------------------------------------------------------------------- unit
def test_base_url_takes_a_root_or_an_endpoint_as_lm_eval_does():
    assert split_base_url("http://h:1/v1/", None) == ("http://h:1/v1", "completions")
    assert split_base_url("http://h:1/v1/completions", None) == ("http://h:1/v1", "completions")
    assert split_base_url("http://h:1/v1/chat/completions", None) == ("http://h:1/v1", "chat")
    with pytest.raises(ValueError, match="chat endpoint but mode=completions"):
        split_base_url("http://h:1/v1/chat/completions", "completions")


class _Tok:
    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": [ord(c) for c in text]}

    def decode(self, ids, skip_special_tokens=False):
        return "".join(map(chr, ids))


class _Canned(APIClient):
    def __init__(self, answers):
        super().__init__()
        self.answers, self.sent = answers, []

    def post_many(self, url, payloads):
        self.sent += payloads
        return [self.answers.pop(0) for _ in payloads]


def test_payloads_use_vllm_extensions_or_plain_openai_stops():
    call = GenerationCall([1, 2], 9, [[ord("#")], [ord("<"), ord("/")], [0]], Sampling(0.6, 0.95, 20), seed=7)
    vllm = APITokenGenerator(_Tok(), [0], APIClient(), url="u", model="m").payload(call)
    assert vllm["prompt"] == [1, 2] and vllm["stop_token_ids"] == [0, 35] and vllm["stop"] == ["</"]
    assert vllm["ignore_eos"] and vllm["return_token_ids"] and vllm["seed"] == 7 and vllm["top_k"] == 20
    plain = APITokenGenerator(
        _Tok(), [0], APIClient(), url="u", model="m", extensions="none", tokenized_requests=False
    ).payload(call)
    assert plain["prompt"] == "\x01\x02" and plain["stop"] == ["#", "</"]  # EOS is the server's own
    assert "stop_token_ids" not in plain and "ignore_eos" not in plain and "top_k" not in plain


def test_a_stop_the_server_dropped_is_put_back_from_stop_reason_or_usage():
    answers = [
        {"choices": [{"text": "ab", "finish_reason": "stop", "stop_reason": "</"}], "usage": {}},
        {"choices": [{"text": "ab", "finish_reason": "stop"}], "usage": {"completion_tokens": 4}},
        {"choices": [{"text": "ab", "finish_reason": "stop"}], "usage": {"completion_tokens": 3}},
        {"choices": [{"text": "abc", "finish_reason": "length"}], "usage": {"completion_tokens": 3}},
    ]
    gen = APITokenGenerator(_Tok(), [0], _Canned(answers), url="u", model="m", extensions="none")
    stops = [[ord("<"), ord("/")], [0]]
    outs = gen.generate([GenerationCall([5], 3 if i == 3 else 9, stops, Sampling()) for i in range(4)])
    assert [(o.token_ids, o.stop) for o in outs] == [
        ([97, 98, 60, 47], [60, 47]),  # named by stop_reason
        ([97, 98, 60, 47], [60, 47]),  # usage says two more tokens: the two-token stop
        ([97, 98, 0], [0]),  # one more: EOS
        ([97, 98, 99], None),  # limit reached
    ]
    assert gen.counter.extra["inferred_stops"] == 2 and gen.counter.extra["usage_completion_mismatch"] == 0


@pytest.mark.parametrize(
    ("mode", "choice", "shown"),
    [
        ("completions", {"text": 12345}, "choices[0].text = 12345 (int)"),
        ("completions", {"text": "ok", "token_ids": ["a", "b"]}, "choices[0].token_ids = ['a', 'b'] (list)"),
        ("chat", {"message": {"content": {"x": 1}}}, "choices[0].message.content = {'x': 1} (dict)"),
        ("chat", {"message": "hi"}, "choices[0].message = 'hi' (str)"),
    ],
)
def test_an_answer_that_is_not_a_completion_names_the_server(mode, choice, shown):
    """ "text": 12345 failed inside the tokenizer with an error that did not mention the server."""
    gen = APITokenGenerator(
        _Tok(), [0], _Canned([{"choices": [choice]}]), url="http://h:1/v1", model="m", mode=mode
    )
    if mode == "chat":
        gen.remember_chat([5], [{"role": "user", "content": "q"}])
    with pytest.raises(APIError, match=re.escape(f"the server at http://h:1/v1 answered {shown}")):
        gen.generate([GenerationCall([5], 4, [], Sampling())])


def test_a_server_that_fails_is_one_line_in_the_cli(tmp_path, capsys):
    """An APIError (a server down) was a traceback out of ``elastic-bench run``."""
    from elastic_bench.harness.cli import main
    from elastic_bench.models.tiny_reasoner import CHECKPOINT_DIR

    args = f"base_url=http://127.0.0.1:{free_port()}/v1,model=m,tokenizer={CHECKPOINT_DIR},max_retries=0"
    status = main(
        ["run", "--model", "elastic-api", "--model_args", args, "--tasks", "elastic_toy_t00064",
         "--limit", "1", "--results-dir", str(tmp_path), "--no-cache"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err
    assert (
        "elastic-bench: error: POST http://127.0.0.1:" in err.strip().splitlines()[-1]
    )  # after a progress bar


def test_the_served_weights_are_unknown_not_the_local_tokenizer_folders(tmp_path):
    """The result recorded the local tokenizer folder's weights hash as the served model's."""
    from elastic_bench.harness.lmeval import convert_run
    from elastic_bench.models.tiny_reasoner import CHECKPOINT_DIR
    from tests._lm_eval_fake import write_fake_run

    local = str(CHECKPOINT_DIR)
    info = ElasticAPI(base_url="http://127.0.0.1:1/v1", model=local, tokenizer=local).get_model_info()
    assert info["weights_sha256"] is None and "cannot be hashed" in info["weights_note"]
    # a converter seeing model=<a local folder> does not hash it either
    args = {"base_url": "http://127.0.0.1:1/v1", "model": local, "tokenizer": local}
    results, samples, _ = write_fake_run(tmp_path, model=local, model_args=args)
    raw = json.loads(results.read_text())
    raw["config"].update(info)
    results.write_text(json.dumps(raw))
    [result] = convert_run(results, samples)
    repro = result.reproducibility
    assert repro.model == local and repro.weights_sha256 is None
    assert "cannot be hashed" in repro.lm_eval_config["weights_note"]


def test_errors_never_show_the_credentials_of_base_url():
    """A server that could not list its models printed base_url with its user:password."""
    from elastic_bench.models.tiny_reasoner import CHECKPOINT_DIR

    url = f"http://alice:s3cr3t-in-url@127.0.0.1:{free_port()}/v1"
    with pytest.raises(APIError) as listing:
        ElasticAPI(base_url=url, tokenizer=str(CHECKPOINT_DIR), max_retries=0)
    gen = APITokenGenerator(_Tok(), [0], APIClient(max_retries=0), url=url, model="m")
    with pytest.raises(APIError) as posting:
        gen.generate([GenerationCall([5], 4, [], Sampling())])
    for caught in (listing, posting):
        assert "s3cr3t" not in str(caught.value) and "http://***@127.0.0.1:" in str(caught.value)


def test_api_key_comes_from_the_environment_only(monkeypatch):
    monkeypatch.setenv("MY_KEY", "sk-secret-123")
    assert APIClient(api_key_env="MY_KEY")._headers()["Authorization"] == "Bearer sk-secret-123"
    monkeypatch.delenv("MY_KEY")
    assert "Authorization" not in APIClient(api_key_env="MY_KEY")._headers()


# ------------------------------------------------------------------ local server
@pytest.mark.parametrize(
    ("path", "args"),
    [
        ("/v1", {}),  # completions, token ids in and out (vLLM's extensions)
        ("/plain/v1", {"extensions": "none", "tokenized_requests": False}),  # plain OpenAI, text prompt
        ("/v1", {"mode": "chat"}),  # chat + continue_final_message, token ids back
        ("/reasoning/v1", {"mode": "chat", "extensions": "none"}),  # thinking in reasoning_content
    ],
    ids=["completions", "plain", "chat", "chat-reasoning-field"],
)
def test_greedy_sweep_agrees_with_elastic_hf_token_for_token(server, hf, path, args):
    lm = ElasticAPI(base_url=f"http://127.0.0.1:{server}{path}", num_concurrent=8, **args)
    requests = toy_requests(4)
    before = stats(server)["completed"]
    got = lm.generate_until(requests, disable_tqdm=True)
    assert all(_same(got, hf.generate_until(requests, disable_tqdm=True)))
    # the prompt as sent, counted with the local tokenizer: the same as elastic-hf's, and known
    assert all(r.accounting.prompt_tokens for r in got)
    # one thinking generation per problem, one solution per distinct cut: nothing sent twice
    assert stats(server)["completed"] - before == lm.generator.client.stats.sent
    assert (
        lm.generator.client.stats.sent
        == lm.engine.stats.thinking_generations + lm.engine.stats.solution_generations
    )
    info = lm.get_model_info()
    assert info["backend"] == "openai-api" and info["api_usage_checks"]["usage_completion_mismatch"] == 0
    if path == "/reasoning/v1":
        assert any("separate field" in c for c in info["api_caveats"])


STRATEGY_CASES = {
    # the tiny reasoner thinks ~150-300 tokens: a minimum of 400 makes it "Wait" on
    "force": dict(budgets=[96, None], min_thinking_budget=400, max_gen_toks=600),
    "prompt": dict(budgets=[32, None]),
    "fast": dict(budgets=[None]),
}


@pytest.mark.parametrize("strategy", list(STRATEGY_CASES))
def test_strategies_on_the_api_backend_agree_with_elastic_hf(server, hf, strategy):
    case = dict(STRATEGY_CASES[strategy])
    requests = toy_requests(3, case.pop("budgets"), strategy, **case)
    lm = ElasticAPI(base_url=f"http://127.0.0.1:{server}/v1", num_concurrent=8)
    got = lm.generate_until(requests, disable_tqdm=True)
    ref = hf.generate_until(requests, disable_tqdm=True)
    assert all(_same(got, ref))
    for request, r in zip(requests, ref, strict=True):
        budget = request.args[1]["thinking_budget"]
        acct = r.accounting
        assert acct.prompt_tokens  # every strategy records the prompt it sent
        if strategy == "force":
            assert budget is None or acct.think_tokens <= budget
            if acct.think_truncated:
                assert "</think>\nFinal Answer:" in str(r)
    if strategy == "force":
        assert hf.engine.stats.extra.get("waits", 0) > 0  # the tiny reasoner stops early: forced on


def test_chat_without_continue_final_message_says_what_it_cannot_enforce(server):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lm = ElasticAPI(
            base_url=f"http://127.0.0.1:{server}/nocontinue/v1", mode="chat", continue_final_message=False
        )
    assert any("cannot continue the cut thinking" in str(w.message) for w in caught)
    assert any("cannot continue" in c for c in lm.get_model_info()["api_caveats"])
    # the server starts a new turn: its prompt differs from the continued one, and usage shows it
    lm.generate_until(toy_requests(1, budgets=[16]), disable_tqdm=True)
    assert lm.generator.counter.extra["usage_prompt_mismatch"] >= 1


@pytest.mark.slow
def test_lm_eval_elastic_api_writes_the_same_results_as_elastic_hf(server, tmp_path):
    """Through the real lm_eval CLI: identical samples and metrics; the API key is nowhere in the output."""
    env = {**ENV, "ELASTIC_TEST_KEY": "sk-never-written-42"}

    def run(model: str, args: str, out: Path) -> subprocess.Popen:
        cmd = [str(BIN / "lm_eval"), "--model", model, "--model_args", args, "--tasks", "elastic_toy",
               "--limit", "4", "--batch_size", "16", "--log_samples", "--output_path", str(out)]  # fmt: skip
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)

    api_args = (
        f"base_url=http://127.0.0.1:{server}/v1/completions,num_concurrent=16,api_key_env=ELASTIC_TEST_KEY"
    )
    runs = {
        "api": run("elastic-api", api_args, tmp_path / "api"),
        "hf": run("elastic-hf", "dtype=float32", tmp_path / "hf"),
    }
    for name, proc in runs.items():
        log, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, f"{name}: {log[-3000:]}"
    samples = {}
    for name in runs:
        rows = {}
        for f in glob.glob(f"{tmp_path}/{name}/*/samples_*.jsonl"):
            for line in Path(f).read_text().splitlines():
                s = json.loads(line)
                rows[(s["doc"]["id"], s["arguments"]["gen_args_0"]["arg_1"].get("thinking_budget"))] = (
                    s["resps"][0][0],
                    s["think_tokens"],
                    s["answer_tokens"],
                    s["acc"],
                )
        samples[name] = rows  # fmt: skip
    assert len(samples["api"]) == 5 * 4 and samples["api"] == samples["hf"]
    written = "".join(Path(f).read_text() for f in glob.glob(f"{tmp_path}/api/*/*"))
    assert "sk-never-written-42" not in written
    config = json.loads(Path(glob.glob(f"{tmp_path}/api/*/results_*.json")[0]).read_text())["config"]
    assert config["backend"] == "openai-api" and config["weights_sha256"] is None and config["weights_note"]
