"""Benchmark: leaderboard page load at 50, 200 and 1,000 result files, cold and warm, to the first chart.

Targets: < 3 s warm for 1,000 files, and the 1,000-file warm load at most 2x the 50-file one (a page
that scales: the ranking, the tables and the chart cost about the same whatever the entry count).

Generates N synthetic, schema-valid result files (benchmarks x models, 5 budgets + unconstrained,
per-problem scores) in a temporary directory, starts the app on 127.0.0.1, and times page loads in
headless Chromium: from navigation until the accuracy-vs-tokens chart has been drawn (plotly's
``.main-svg`` present and its traces attached). The first load is cold (the server parses every
file). Warm loads are then timed two ways, each a new Streamlit session against the warm server
cache: in a fresh browser profile (nothing cached: all of Streamlit's and plotly's JavaScript is
downloaded and compiled again) and in a browser that has visited the app before (its HTTP cache
holds the static assets, as for a returning user). The 1-minute load average is reported too:
on a shared machine the browser's CPU time dominates these numbers.

    python benchmarks/app_load.py                          # 50, 200 and 1000 files, 5 warm runs each
    python benchmarks/app_load.py --sizes 200 --runs 3 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from elastic_bench.harness.protocol import STRATEGY_NAMES  # noqa: E402
from elastic_bench.leaderboard_app.launch import (  # noqa: E402
    HEADLESS_CHROMIUM_ARGS,
    find_chromium,
    free_port,
    start_app,
    stop_app,
    wait_healthy,
)
from tests.factories import make_result, write_result  # noqa: E402

CHART_READY_JS = (
    "() => { const p = document.querySelectorAll('.js-plotly-plot')[0];"
    " return !!(p && p.data && p.data.length > 0 && p.querySelector('.main-svg .scatterlayer .trace')); }"
)


def generate(directory: Path, n_files: int, n_benchmarks: int = 5) -> None:
    """Write ``n_files`` valid result files spread over ``n_benchmarks`` benchmarks."""
    budgets = (512, 1024, 2048, 4096, 8192, None)
    per_bench = -(-n_files // n_benchmarks)
    written = 0
    for b in range(n_benchmarks):
        for m in range(per_bench):
            if written == n_files:
                return
            scale = 0.6 + 0.8 * ((m * 37) % 100) / 100
            tokens = [scale * (0.7 * (t or 12000) + 150) for t in budgets]
            result = make_result(
                f"model-{m:04d}",
                benchmark=f"bench{b}",
                strategy=STRATEGY_NAMES[m % 4],
                budgets=budgets,
                tokens=tokens,
                n_problems=30,
                k=4,
                seed=b * 10_000 + m,
                accuracies=[
                    min(0.95, 0.1 + 0.12 * i + 0.2 * ((m * 13) % 10) / 10) for i in range(len(budgets))
                ],
            )
            write_result(result, directory / f"bench{b}")
            written += 1


def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        raise SystemExit("chromium not found (apt-get install -y chromium)")
    return path


def time_load(context, url: str) -> float:
    """Seconds from navigation in a new page (new Streamlit session) until the chart is drawn."""
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(CHART_READY_JS, timeout=120_000, polling=20)
    elapsed = time.perf_counter() - start
    page.close()
    return elapsed


def fresh_load(browser, url: str) -> float:
    """:func:`time_load` in a new browser context (empty cache)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        return time_load(context, url)
    finally:
        context.close()


def script_time(results: Path, runs: int = 3) -> tuple[float, float]:
    """(cold, best warm) seconds of one server-side run of the page script (Streamlit AppTest, in-process)."""
    from streamlit.testing.v1 import AppTest

    os.environ["ELASTIC_BENCH_RESULTS_DIR"] = str(results)
    app = AppTest.from_file(str(REPO / "leaderboard_app" / "main.py"), default_timeout=300)
    start = time.perf_counter()
    app.run()
    cold = time.perf_counter() - start
    if app.exception:
        raise SystemExit(f"the page raised: {app.exception[0].message}")
    warm = []
    for _ in range(runs):
        start = time.perf_counter()
        app.run()
        warm.append(time.perf_counter() - start)
    return cold, min(warm)


def measure(n_files: int, runs: int, browser, tmp: Path) -> dict:
    """Generate ``n_files`` result files and time the page on them: server script, then the browser."""
    results = tmp / f"results_{n_files}"
    t0 = time.perf_counter()
    generate(results, n_files)
    n = sum(1 for _ in results.rglob("*.json"))
    print(f"[{n}] generated {n} result files in {time.perf_counter() - t0:.1f} s under {results}")
    script_cold, script_warm = script_time(results)
    print(f"[{n}] page script (server side): cold {script_cold:.2f} s, warm {script_warm:.3f} s")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp / f"app_{n_files}.log", "wb")  # noqa: SIM115
    proc = start_app(results, port=port, address="127.0.0.1", stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(url, proc)
        cold = fresh_load(browser, url)
        print(f"[{n}] cold load (server parses all files, empty browser cache): {cold:.2f} s")
        fresh = [fresh_load(browser, url) for _ in range(runs)]
        print(f"[{n}] warm server, fresh browser profile: {', '.join(f'{w:.2f}' for w in fresh)} s")
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        time_load(context, url)  # the returning user's first visit fills the browser cache
        warm = [time_load(context, url) for _ in range(runs)]
        print(f"[{n}] warm server, warm browser cache: {', '.join(f'{w:.2f}' for w in warm)} s")
        context.close()
    finally:
        stop_app(proc)
        log.close()
    return {
        "n_files": n,
        "script_cold_s": round(script_cold, 3),
        "script_warm_s": round(script_warm, 3),
        "cold_s": round(cold, 3),
        "warm_fresh_profile_median_s": round(statistics.median(fresh), 3),
        "warm_s": [round(w, 3) for w in warm],
        "warm_median_s": round(statistics.median(warm), 3),
        "warm_max_s": round(max(warm), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,200,1000", help="comma-separated numbers of result files")
    parser.add_argument("--runs", type=int, default=5, help="warm page loads to time per size")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    parser.add_argument("--keep", action="store_true", help="keep the generated results directories")
    args = parser.parse_args()
    try:
        sizes = sorted({int(v) for v in args.sizes.split(",") if v.strip()})
    except ValueError:
        parser.error(f"--sizes must be comma-separated integers, got {args.sizes!r}")

    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="eb_app_load_"))
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=HEADLESS_CHROMIUM_ARGS)
            try:
                rows = [measure(n, args.runs, browser, tmp) for n in sizes]
            finally:
                browser.close()
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"\n{'files':>6} {'script cold':>12} {'script warm':>12} {'cold':>7} {'warm (fresh)':>13} {'warm':>7}"
    )
    for r in rows:
        print(
            f"{r['n_files']:>6} {r['script_cold_s']:>11.2f}s {r['script_warm_s']:>11.3f}s {r['cold_s']:>6.2f}s "
            f"{r['warm_fresh_profile_median_s']:>12.2f}s {r['warm_median_s']:>6.2f}s"
        )
    small, large = rows[0], rows[-1]
    ratio = large["warm_median_s"] / small["warm_median_s"]
    summary = {
        "sizes": rows,
        "warm_ratio_largest_to_smallest": round(ratio, 2),
        "loadavg_1min": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "target_warm_s": 3.0,
        "target_ratio": 2.0,
        "ok": large["warm_median_s"] < 3.0 and ratio <= 2.0,
    }
    print(f"warm {large['n_files']} files / warm {small['n_files']} files: {ratio:.2f}x (target <= 2x)")
    print(json.dumps(summary))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
