"""elastic-api throughput with 1, 8 and 32 requests in flight, on elastic_toy's greedy sweep.

    nice -n 5 .venv/bin/python benchmarks/api_concurrency.py --local [--problems 32]
    nice -n 5 .venv/bin/python benchmarks/api_concurrency.py --base-url http://127.0.0.1:8000/v1

``--local`` starts the project's test server (tests/api_server.py: the tiny reasoner on the HF
generator, batching concurrent requests) on a free port; ``--base-url`` uses a running server
(e.g. ``vllm serve``). Each concurrency level runs the same requests (every budget of
``--problems`` problems, through ``ElasticAPI.generate_until``, no journal); reported: wall time,
requests sent, generated tokens per second, and whether the responses equal the first level's
(greedy: they must).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from sweep_speed import sweep_requests  # noqa: E402

from elastic_bench.models.elastic_api import ElasticAPI  # noqa: E402


def measure(base_url: str, requests, concurrency: int, tokenizer: str | None) -> tuple[dict, list[str]]:
    """One timed run at ``concurrency`` requests in flight."""
    lm = ElasticAPI(base_url=base_url, num_concurrent=concurrency, tokenizer=tokenizer, groups_per_batch=4096)
    start = time.perf_counter()
    responses = lm.generate_until(requests, disable_tqdm=True)
    wall = time.perf_counter() - start
    gen = lm.generator
    row = {
        "in_flight": concurrency,
        "wall_s": round(wall, 2),
        "calls": gen.client.stats.succeeded,
        "generated_tokens": gen.counter.generated_tokens,
        "tokens_per_s": round(gen.counter.generated_tokens / wall, 1),
        "calls_per_s": round(gen.client.stats.succeeded / wall, 2),
        "retries": sum(gen.client.stats.retries.values()),
    }
    return row, [str(r) for r in responses]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--local", action="store_true", help="start tests/api_server.py")
    where.add_argument("--base-url", help="a running OpenAI-compatible server (.../v1)")
    parser.add_argument("--tokenizer", default=None, help="tokenizer path or id (default: the served model)")
    parser.add_argument("--problems", type=int, default=32)
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    server = None
    base_url = args.base_url
    if args.local:
        from tests.api_helpers import free_port, start_server

        port = free_port()
        server = start_server(port, "--batch-size", "32")
        base_url = f"http://127.0.0.1:{port}/v1"
    requests = sweep_requests(args.problems)
    rows, first = [], None
    try:
        for c in (int(x) for x in args.concurrency.split(",")):
            row, texts = measure(base_url, requests, c, args.tokenizer)
            first = first or texts
            row["same_responses_as_first"] = texts == first
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        if server is not None:
            from tests.api_helpers import stop

            stop(server)
    report = {
        "server": "local test server (HF generator)" if args.local else base_url,
        "problems": args.problems,
        "requests": len(requests),
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}",
        "rows": rows,
    }
    print("\n| in flight | wall s | calls | generated tokens | tokens/s | calls/s | same responses |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['in_flight']} | {r['wall_s']} | {r['calls']} | {r['generated_tokens']} | {r['tokens_per_s']} "
            f"| {r['calls_per_s']} | {r['same_responses_as_first']} |"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
