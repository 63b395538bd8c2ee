"""The layout's rules, read from the source (every import, function-level ones included): harness is
the core and imports no backend, task, baseline or app code; packages import each other's public API
only; no import cycles; modules stay under 400 lines. ``python tests/layout.py`` prints the map."""

from __future__ import annotations

from pathlib import Path

from tests.layout import ROOT, package_graph, problems


def test_the_checkout_keeps_every_layout_rule() -> None:
    assert problems() == []


def test_harness_top_level_holds_the_contract_the_registry_provenance_and_packages_only() -> None:
    files = {p.name for p in (ROOT / "harness").iterdir() if p.is_file()}
    assert files == {"__init__.py", "protocol.py", "benchmarks.py", "provenance.py", "elastic_bench.pth"}
    packages = {p.name for p in (ROOT / "harness").iterdir() if (p / "__init__.py").is_file()}
    assert {"generation", "grading", "sandbox", "results", "analysis", "lmeval", "cli"} <= packages
    assert package_graph()["harness.protocol"] == set()  # the contract imports nothing


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_a_planted_violation_of_each_rule_is_found(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "harness/__init__.py": "",
            "harness/protocol.py": "",
            "harness/grading/__init__.py": "from elastic_bench.harness.grading._math import grade\n",
            # a function-level import of a backend from the core
            "harness/grading/_math.py": "def grade():\n    from elastic_bench.models.elastic_hf import X\n",
            # a private module of another package, and a cycle with grading
            "harness/results/__init__.py": "from elastic_bench.harness.grading._math import grade\n",
            "harness/grading/_cycle.py": "import elastic_bench.harness.results\n",
            "models/__init__.py": "from elastic_bench.leaderboard_app import app\n",
            "leaderboard_app/__init__.py": "x = 1\n" * 401,
        },
    )
    found = "\n".join(problems(root))
    assert "harness/grading/_math.py:2: harness imports elastic_bench.models.elastic_hf" in found
    assert "harness/results/__init__.py:1: imports private _math of harness.grading" in found
    assert "import cycle: harness.grading -> harness.results -> harness.grading" in found
    assert "models/__init__.py:1: models imports elastic_bench.leaderboard_app" in found
    assert "leaderboard_app/__init__.py: 401 lines (more than 400)" in found


def test_the_api_backend_imports_without_torch() -> None:
    """elastic-api talks to a server: importing it (and lm-eval's model API) loads no torch."""
    import subprocess
    import sys

    code = "import sys, elastic_bench.models.elastic_api\nprint(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
