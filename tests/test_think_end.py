"""The end-of-thinking marker is decided once per run: a run with ``think_end=X`` on a ``</think>``
benchmark is graded with X, its result file records X, and the app splits its samples at X."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from elastic_bench.harness.grading import grade_many
from elastic_bench.harness.protocol import THINK_END
from elastic_bench.harness.results import load_result
from elastic_bench.leaderboard_app.samples import recorded_marker, split_generation

BIN = Path(sys.executable).parent
ENV = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
MARKER = "</reasoning>"


@pytest.mark.slow
def test_a_run_with_another_marker_is_graded_recorded_and_shown_with_it(tmp_path: Path) -> None:
    proc = subprocess.run(
        [str(BIN / "elastic-bench"), "run", "--model_args", f"think_end={MARKER}"]
        + ["--tasks", "elastic_toy_t00256", "--limit", "6", "--results-dir", str(tmp_path / "results")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=ENV,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    [result_path] = (tmp_path / "results" / "runs").glob("*/reproduced__*.json")
    result = load_result(result_path)
    assert result.reproducibility.end_of_thinking_marker == MARKER  # recorded
    assert recorded_marker(result) == MARKER

    [samples] = result_path.parent.rglob("samples_*.jsonl")
    records = [json.loads(line) for line in samples.read_text().splitlines()]
    texts = [r["resps"][0][0] for r in records]
    golds = [r["doc"]["answer"] for r in records]
    with_x = grade_many([(t, g, "toy") for t, g in zip(texts, golds, strict=True)], marker=MARKER)
    with_default = grade_many([(t, g, "toy") for t, g in zip(texts, golds, strict=True)], marker=THINK_END)
    # the tiny reasoner still writes </think> when it finishes on its own: those samples grade
    # differently under the two markers, so this run tells which one grading used
    assert [g.no_answer for g in with_x] != [g.no_answer for g in with_default]
    assert [r["no_answer"] for r in records] == [float(g.no_answer) for g in with_x]  # graded with X
    for text in texts:  # shown with X
        gen = split_generation(text, recorded_marker(result))
        assert gen.has_marker == (MARKER in text)
