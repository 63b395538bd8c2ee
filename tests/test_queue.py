"""The evaluation queue without running a model: checkpoint checks, the request store (protocol from the
registry, duplicates, leases, takeover, exactly-once claims, a corrupt file), verified result files, the
CLI's one-line refusals, and a failing request's recorded reason and log tail."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from elastic_bench.harness.benchmarks import get_benchmark
from elastic_bench.harness.cli import main
from elastic_bench.harness.protocol import DEFAULT_SEED
from elastic_bench.harness.queue import (
    FAILED,
    FINISHED,
    PENDING,
    RUNNING,
    QueueError,
    RequestStore,
    WorkerSettings,
    benchmark_protocol,
    check_checkpoint,
    journal_counts,
    request_footprint,
    request_model_args,
    run_worker,
    store_path,
    task_resources,
)
from elastic_bench.harness.results import (
    ResultFileError,
    Verification,
    add_entry,
    entry_path,
    find_existing_entry,
    validate_submission_bytes,
)
from tests.factories import make_result

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "models" / "tiny_reasoner" / "checkpoint"
SFT = ROOT / "models" / "tiny_reasoner" / "baselines" / "sft"


@pytest.fixture
def store(tmp_path: Path) -> RequestStore:
    return RequestStore.of_results(tmp_path / "results")


def _copy_model(dst: Path, src: Path = TINY) -> Path:
    shutil.copytree(src, dst)
    return dst


# ------------------------------------------------------------------ checkpoint checks
def test_a_local_checkpoint_is_identified_by_its_weights() -> None:
    spec = check_checkpoint(str(TINY))
    assert spec.local and spec.display_name == "tiny_reasoner" and spec.think_end == "</think>"
    assert spec.weights_sha256 and len(spec.weights_sha256) == 64
    assert spec.identity == f"sha256:{spec.weights_sha256}"
    assert check_checkpoint(str(SFT)).identity != spec.identity


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("missing", "no such folder"),
        ("file", "a file, not a model folder"),
        ("empty", "it lacks config.json; a tokenizer (tokenizer.json, tokenizer.model); weights"),
        ("no_weights", "it lacks weights (*.safetensors, pytorch_model*.bin)"),
        ("bad_config", "config.json is not readable JSON"),
    ],
)
def test_a_local_path_that_is_not_a_model_is_refused_in_one_line(
    tmp_path: Path, setup: str, expected: str
) -> None:
    target = tmp_path / "m"
    if setup == "file":
        target.write_text("x")
    elif setup == "empty":
        target.mkdir()
    elif setup in ("no_weights", "bad_config"):
        _copy_model(target)
        if setup == "no_weights":
            (target / "model.safetensors").unlink()
        else:
            (target / "config.json").write_text("{nope")
    with pytest.raises(QueueError) as err:
        check_checkpoint(str(target))
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_hub_ids_and_revisions_are_checked_for_form_only() -> None:
    spec = check_checkpoint("agentica-org/DeepScaleR-1.5B-Preview", revision="v1.0")
    assert not spec.local and spec.display_name == "agentica-org/DeepScaleR-1.5B-Preview@v1.0"
    assert spec.identity == "agentica-org/DeepScaleR-1.5B-Preview@v1.0"
    for bad in ("bad id!", "a/b--c", "org/x..y", "a b/c"):
        with pytest.raises(QueueError, match="neither a local model folder nor a hub id"):
            check_checkpoint(bad)
    with pytest.raises(QueueError, match="is not a branch, tag or commit"):
        check_checkpoint("org/model", revision="../x")
    with pytest.raises(QueueError, match="--revision is for hub models"):
        check_checkpoint(str(TINY), revision="main")


def test_the_end_of_thinking_marker_is_one_token_or_a_known_marker() -> None:
    check_checkpoint(str(TINY), think_end="</think>")  # known (and one token here)
    check_checkpoint("org/model", think_end="<|end_of_thought|>")  # known: not tokenized for a hub id
    with pytest.raises(QueueError, match=r"'<stop>' is \d+ tokens for this model's tokenizer, not one"):
        check_checkpoint(str(TINY), think_end="<stop>")
    with pytest.raises(QueueError, match="not a known end-of-thinking marker"):
        check_checkpoint("org/model", think_end="<stop>")


def test_a_demanded_chat_template_must_exist(tmp_path: Path) -> None:
    model = _copy_model(tmp_path / "m")
    check_checkpoint(str(model), chat_template="model")
    (model / "chat_template.jinja").unlink()
    config = json.loads((model / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (model / "tokenizer_config.json").write_text(json.dumps(config))
    with pytest.raises(QueueError, match="has no chat template"):
        check_checkpoint(str(model), chat_template="model")


# --------------------------------------------------------------------- the store
def test_a_request_records_the_registry_protocol_never_the_submitters(store: RequestStore) -> None:
    request = store.submit(check_checkpoint(str(TINY)), ["toy", "math-500"], note="  hello ")
    assert request.id == "req-00001" and request.note == "hello"
    toy, math = request.protocols
    sweep = get_benchmark("toy").sweep
    assert (toy.budgets, toy.k, toy.strategy, toy.seed) == (
        sweep.budgets,
        sweep.repeats,
        "elastic",
        DEFAULT_SEED,
    )
    assert math.benchmark == "math500" and math.k == 4 and math.temperature == 0.6 and math.n_problems == 500
    assert toy.version == benchmark_protocol("elastic_toy").version != math.version
    state = store.get(request.id)
    assert state.status == PENDING and state.total == 200 * 5 + 500 * 4 * 5
    assert [e.status for e in store.history(request.id)] == [PENDING]


def test_a_duplicate_request_is_refused_with_a_pointer_to_it(store: RequestStore, tmp_path: Path) -> None:
    spec = check_checkpoint(str(TINY))
    first = store.submit(spec, ["toy"])
    with pytest.raises(QueueError) as err:
        store.submit(spec, ["math500", "toy"])
    assert str(err.value) == (
        f"already requested: {first.id} (pending) evaluates tiny_reasoner on toy under the same protocol; "
        f"see `elastic-bench queue {first.id}`"
    )
    # the same weights in another folder are the same model
    copy = check_checkpoint(str(_copy_model(tmp_path / "copy" / "checkpoint")))
    with pytest.raises(QueueError, match=f"already requested: {first.id}"):
        store.submit(copy, ["toy"])
    # running and finished requests block too; a failed one does not
    claim = store.claim("w1", lease_seconds=60)
    with pytest.raises(QueueError, match=r"\(running\)"):
        store.submit(spec, ["toy"])
    assert store.finish(claim, ["verified/x.json"])
    with pytest.raises(QueueError, match=r"\(finished\)"):
        store.submit(spec, ["toy"])
    other = store.submit(spec, ["math500"])  # another benchmark is another request
    claim = store.claim("w1", lease_seconds=60)
    assert claim.request.id == other.id and store.fail(claim, "boom\nsecond line", "tail")
    assert store.get(other.id).reason == "boom"
    assert store.submit(spec, ["math500"]).id == "req-00003"


def test_a_corrupt_store_file_is_refused_in_one_line(tmp_path: Path) -> None:
    path = store_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not an SQLite file, but it is long enough to look like one" * 20)
    with pytest.raises(QueueError) as err:
        RequestStore(path)
    message = str(err.value)
    assert message == (
        f"request store {path} cannot be used (file is not a database); restore it from a backup, or move it "
        "aside to start an empty queue"
    )


def test_unknown_and_sweepless_benchmarks_are_refused(store: RequestStore) -> None:
    spec = check_checkpoint(str(TINY))
    with pytest.raises(QueueError, match="unknown benchmark 'nope'; known: toy, math500"):
        store.submit(spec, ["toy", "nope"])
    with pytest.raises(QueueError, match="'math' has no budget sweep"):
        store.submit(spec, ["math"])
    assert store.requests() == []


def test_an_expired_lease_is_taken_over_and_the_old_holder_can_change_nothing(store: RequestStore) -> None:
    request = store.submit(check_checkpoint(str(TINY)), ["toy"])
    first = store.claim("w1", lease_seconds=0.2)
    assert store.claim("w2", lease_seconds=60) is None  # held
    time.sleep(0.3)
    second = store.claim("w2", lease_seconds=60)
    assert second.request.id == request.id and second.attempt == 2
    assert not store.renew(first, 60) and not store.finish(first, ["x.json"]) and not store.holds(first)
    assert store.finish(second, ["verified/x.json"])
    events = store.history(request.id)
    assert [e.status for e in events] == [PENDING, RUNNING, RUNNING, FINISHED]
    assert events[2].detail == {"worker": "w2", "attempt": 2, "taken_over_from": "w1"}
    assert store.get(request.id).result_files == ["verified/x.json"]


def test_a_request_whose_workers_keep_dying_fails(store: RequestStore) -> None:
    request = store.submit(check_checkpoint(str(TINY)), ["toy"])
    for _ in range(2):
        assert store.claim("w", lease_seconds=0.05) is not None
        time.sleep(0.1)
    assert store.claim("w", lease_seconds=0.05).attempt == 3
    time.sleep(0.1)
    assert store.claim("w", lease_seconds=0.05) is None
    state = store.get(request.id)
    assert state.status == FAILED and state.reason == "its worker stopped 3 times without finishing (last: w)"


def _claim_all(path: str, name: str, out) -> None:
    store = RequestStore(path)
    got = []
    while (claim := store.claim(name, lease_seconds=600)) is not None:
        got.append(claim.request.id)
    out.put(got)


def test_concurrent_workers_claim_each_request_exactly_once(store: RequestStore) -> None:
    spec = check_checkpoint("org/model")
    for i in range(24):
        store.submit(spec.model_copy(update={"model": f"org/m{i}"}), ["toy"])
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_claim_all, args=(str(store.path), f"w{n}", out)) for n in range(4)]
    for p in procs:
        p.start()
    claimed = [rid for _ in procs for rid in out.get(timeout=60)]
    for p in procs:
        p.join(timeout=30)
    assert sorted(claimed) == [f"req-{i:05d}" for i in range(1, 25)]


def test_operator_model_args_cannot_change_what_the_request_fixes(
    store: RequestStore, tmp_path: Path
) -> None:
    request = store.submit(check_checkpoint(str(TINY), chat_template="none"), ["toy"])
    args = request_model_args(request, "elastic-hf", "dtype=float32,batch_size=8", tmp_path / "j.sqlite")
    assert args["pretrained"] == request.model.model and args["chat"] == "no"
    assert (
        args["think_end"] == "</think>"
        and args["journal"].endswith("j.sqlite")
        and args["dtype"] == "float32"
    )
    with pytest.raises(QueueError, match="--model_args may not set pretrained"):
        request_model_args(request, "elastic-hf", "pretrained=other", tmp_path / "j.sqlite")


# ------------------------------------------------------------- verified results
def _verified(name: str = "alpha", request_id: str = "req-00001"):
    verification = Verification(
        request_id=request_id,
        protocol_version="toy-0123456789",
        requested_model="models/alpha",
        worker="host:1",
        evaluated_at="2026-01-01T00:00:00Z",
    )
    return make_result(name).model_copy(update={"verification": verification})


def test_a_verified_entry_is_its_own_entry_beside_a_self_reported_one(tmp_path: Path) -> None:
    results = tmp_path / "results"
    plain = add_entry(make_result("alpha"), results)
    verified = add_entry(_verified(), results)
    assert (
        verified
        == entry_path(_verified(), results)
        == results / "verified" / "verified__alpha__elastic_toy.json"
    )
    assert plain != verified and find_existing_entry(_verified(), results) == verified
    assert json.loads(verified.read_text())["verification"]["request_id"] == "req-00001"


def test_a_submitted_result_file_may_not_claim_to_be_verified() -> None:
    data = _verified().model_dump_json().encode()
    with pytest.raises(ResultFileError) as err:
        validate_submission_bytes(data, name="mine.json")
    assert str(err.value).startswith("mine.json: a submitted result file is self-reported and may not carry")
    reported = json.loads(make_result("p", kind="reported").model_dump_json())
    reported["verification"] = json.loads(data)["verification"]
    with pytest.raises(ResultFileError, match="verification is for reproduced results"):
        validate_submission_bytes(json.dumps(reported).encode(), name="p.json")


# --------------------------------------------------------------------------- CLI
def test_cli_refusals_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    results = str(tmp_path / "results")
    assert main(["submit", "--checkpoint", str(TINY), "--results-dir", results]) == 0
    queued = capsys.readouterr().out
    assert queued.startswith("queued req-00001: tiny_reasoner (") and "on toy (toy-" in queued
    cases = [
        (["--checkpoint", str(TINY)], "rejected: already requested: req-00001 (pending)"),
        (["--checkpoint", str(tmp_path)], "rejected: "),
        (["--checkpoint", str(TINY), "--benchmarks", "toy,nope"], "rejected: unknown benchmark 'nope'"),
    ]
    for extra, start in cases:
        assert main(["submit", *extra, "--results-dir", results]) == 1
        out = capsys.readouterr().out
        assert out.startswith(start) and out.count("\n") == 1, out
    store_path(results).write_bytes(b"garbage" * 200)
    assert main(["submit", "--checkpoint", str(SFT), "--results-dir", results]) == 1
    out = capsys.readouterr().out
    assert (
        out.startswith("rejected: request store ")
        and "file is not a database" in out
        and out.count("\n") == 1
    )
    assert main(["queue", "--results-dir", results]) == 2
    err = capsys.readouterr().err
    assert err.startswith("elastic-bench: error: request store ") and err.count("\n") == 1


def test_a_failed_request_records_its_reason_and_the_logs_tail(tmp_path: Path, capsys) -> None:
    results = tmp_path / "results"
    model = _copy_model(tmp_path / "gone" / "checkpoint")
    store = RequestStore.of_results(results)
    request = store.submit(check_checkpoint(str(model)), ["toy"])
    (model / "config.json").write_text("{}")  # broken after it was accepted
    counts = run_worker(WorkerSettings(results_dir=results, limit=1, lease_seconds=30), once=True)
    assert counts == {"finished": 0, "failed": 1, "lost": 0}
    state = store.get(request.id)
    assert state.status == FAILED and state.reason and "\n" not in state.reason
    failed = store.history(request.id)[-1]
    assert failed.status == FAILED and failed.detail["reason"] == state.reason
    assert (store.request_dir(request.id) / "attempt-1.log").is_file()
    assert state.reason in failed.detail["log_tail"] and "File " in failed.detail["log_tail"]
    assert journal_counts(store.request_dir(request.id) / "journal.sqlite").generations == 0
    assert f"failed {request.id}: " in capsys.readouterr().out


def test_journal_counts_see_a_response_generated_twice(tmp_path: Path) -> None:
    from elastic_bench.harness.generation import ElasticResponse, TokenAccounting
    from elastic_bench.models.journal import ResponseJournal

    path = tmp_path / "journal.sqlite"
    journal = ResponseJournal(path)
    response = ElasticResponse("a</think>b", TokenAccounting(1, 1, False, False), "</think>")
    journal.put_many([("k1", response), ("k2", response)])
    counts = journal_counts(path)
    assert (counts.responses, counts.generations, counts.regenerated) == (2, 2, 0)
    journal.put_many([("k1", response)])
    counts = journal_counts(path)
    assert (counts.responses, counts.generations, counts.regenerated) == (2, 3, 1)
    with sqlite3.connect(path) as db:
        assert db.execute("select count(*) from generations where key = 'k1'").fetchone()[0] == 2


def test_a_data_parallel_vllm_request_leaves_its_gpus_to_its_engine_actors() -> None:
    """elastic-vllm with data_parallel_size > 1 starts one Ray actor per engine, each reserving
    tensor_parallel_size GPUs: a task that also held tp x dp GPUs would wait forever on a cluster with
    exactly that many. The task holds one CPU; the cluster's capacity still counts the whole footprint."""
    args = {"tensor_parallel_size": "2", "data_parallel_size": "2"}
    assert task_resources("elastic-vllm", args) == {"num_cpus": 1, "num_gpus": 0}
    assert request_footprint("elastic-vllm", args) == {"num_cpus": 1, "num_gpus": 4}
    one_engine = {"tensor_parallel_size": "2"}
    assert task_resources("elastic-vllm", one_engine) == request_footprint("elastic-vllm", one_engine)
    assert task_resources("elastic-vllm", one_engine)["num_gpus"] == 2
