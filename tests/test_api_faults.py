"""elastic-api under faults: injected 500s and 429s, a hung request, a crash then a resumed run, the
server killed mid-run and restarted. Each run must finish with every response (equal to a clean
run's), nothing lost, and nothing generated twice (server and journal counts)."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from elastic_bench.models.api_client import APIError
from elastic_bench.models.elastic_api import ElasticAPI
from elastic_bench.models.journal import ResponseJournal
from tests.api_helpers import FaultProxy, free_port, start_server, stats, stop
from tests.test_elastic_api import toy_requests

REQUESTS = toy_requests(4)


@pytest.fixture(scope="module")
def server():
    port = free_port()
    holder = {"port": port, "proc": start_server(port)}
    yield holder
    stop(holder["proc"])


@pytest.fixture(scope="module")
def clean(server):
    """The responses and the number of calls of a run without faults."""
    lm = ElasticAPI(base_url=f"http://127.0.0.1:{server['port']}/v1", num_concurrent=4)
    responses = lm.generate_until(REQUESTS, disable_tqdm=True)
    return [str(r) for r in responses], lm.generator.client.stats.succeeded


def _lm(url: str, journal, **kw) -> ElasticAPI:
    return ElasticAPI(base_url=url, journal=str(journal), **kw)


def test_500s_429s_and_a_hung_request_are_retried_and_nothing_is_generated_twice(server, clean, tmp_path):
    expected, calls = clean
    faults = {0: "500", 2: "429", 3: "hang", 5: "500", 6: "429", 7: "500"}
    proxy = FaultProxy(f"http://127.0.0.1:{server['port']}", faults, hang_seconds=60)
    try:
        lm = _lm(f"{proxy.url}/v1", tmp_path / "j.sqlite", num_concurrent=4, timeout=20, max_retries=4)
        before = stats(server["port"])["completed"]
        got = lm.generate_until(REQUESTS, disable_tqdm=True)
    finally:
        proxy.close()
    assert [str(r) for r in got] == expected
    client = lm.generator.client.stats
    assert client.retries == {"http 500": 3, "http 429": 2, "timeout": 1}
    assert proxy.counts["forwarded"] == calls == client.succeeded  # each call reached the model once
    assert stats(server["port"])["completed"] - before == calls
    assert len(ResponseJournal(tmp_path / "j.sqlite")) == len(REQUESTS)


def test_a_crashed_run_resumes_from_the_journal_without_regenerating(server, clean, tmp_path):
    expected, calls = clean
    journal = tmp_path / "j.sqlite"
    # the 6th call keeps failing: the run dies after some groups were journaled
    proxy = FaultProxy(f"http://127.0.0.1:{server['port']}", {5: "500", 6: "500"})
    try:
        lm = _lm(f"{proxy.url}/v1", journal, num_concurrent=1, groups_per_batch=1, max_retries=1)
        with pytest.raises(APIError, match="still failing after 1 retries"):
            lm.generate_until(REQUESTS, disable_tqdm=True)
    finally:
        proxy.close()
    done_first = len(ResponseJournal(journal))
    assert 0 < done_first < len(REQUESTS)
    before = stats(server["port"])["completed"]
    lm = _lm(f"http://127.0.0.1:{server['port']}/v1", journal, num_concurrent=4)
    got = lm.generate_until(REQUESTS, disable_tqdm=True)
    assert [str(r) for r in got] == expected and len(ResponseJournal(journal)) == len(REQUESTS)
    # only the unfinished requests were generated again
    assert lm.engine.stats.requests == len(REQUESTS) - done_first
    assert stats(server["port"])["completed"] - before == lm.generator.client.stats.succeeded < calls


@pytest.mark.slow
def test_server_killed_mid_run_and_restarted(server, clean, tmp_path):
    expected, _ = clean
    port = server["port"]
    outcome: dict = {}

    def run() -> None:  # the journal's SQLite connection belongs to the thread that opens it
        try:
            lm = _lm(
                f"http://127.0.0.1:{port}/v1",
                tmp_path / "j.sqlite",
                num_concurrent=2,
                groups_per_batch=1,
                max_retries=8,
            )
            outcome["lm"] = lm
            outcome["responses"] = lm.generate_until(REQUESTS, disable_tqdm=True)
        except Exception as exc:  # reported below
            outcome["error"] = exc

    start = stats(port)["completed"]
    worker = threading.Thread(target=run)
    worker.start()
    while stats(port)["completed"] - start < 3 and worker.is_alive():
        time.sleep(0.05)
    assert worker.is_alive(), f"the run ended before the server could be killed: {outcome.get('error')}"
    stop(server["proc"], signal.SIGKILL)
    journaled_at_kill = len(ResponseJournal(tmp_path / "j.sqlite"))
    server["proc"] = start_server(port)  # same port: the client's retries find it again
    worker.join(timeout=600)
    assert "error" not in outcome, outcome.get("error")
    assert [str(r) for r in outcome["responses"]] == expected
    assert len(ResponseJournal(tmp_path / "j.sqlite")) == len(REQUESTS) > journaled_at_kill
    assert outcome["lm"].generator.client.stats.retries["connection"] >= 1
