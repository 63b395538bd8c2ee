"""The build configuration: the wheel ships exactly the package folders (+ the lm-eval hook), and
an editable install imports straight from the checkout."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("harness", "tasks", "models", "baselines", "leaderboard_app")
HOOK = "harness/elastic_bench.pth"


def _build_wheel(src: Path, out: Path) -> zipfile.ZipFile:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        str(out),
        str(src),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [wheel] = out.glob("elastic_bench-*.whl")
    return zipfile.ZipFile(wheel)


@pytest.fixture(scope="module")
def wheel_and_sources(tmp_path_factory) -> tuple[zipfile.ZipFile, Path]:
    """A wheel built from a copy of the checkout that also holds tests/ and results/ (never shipped)."""
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for name in (*PACKAGES, "tests"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    (src / "results").mkdir()
    (src / "results" / "entry.json").write_text("{}")
    return _build_wheel(src, tmp_path_factory.mktemp("dist")), src


def test_wheel_ships_every_package_file_and_nothing_else(wheel_and_sources):
    wheel, src = wheel_and_sources
    shipped = {n for n in wheel.namelist() if ".dist-info/" not in n}
    expected = {
        f"elastic_bench/{p.relative_to(src).as_posix()}"
        for top in PACKAGES
        for p in (src / top).rglob("*")
        if p.is_file() and p.relative_to(src).as_posix() != HOOK
    }
    assert shipped == expected | {"elastic_bench.pth"}
    # the files other modules rely on at run time, named explicitly
    assert {
        "elastic_bench/tasks/toy/elastic_toy.yaml",
        "elastic_bench/tasks/toy/_template_yaml",
        "elastic_bench/tasks/math/aime24/elastic_aime24_t01024.yaml",
        "elastic_bench/models/tiny_reasoner/checkpoint/model.safetensors",
        "elastic_bench/models/tiny_reasoner/checkpoint/tokenizer.json",
        "elastic_bench/models/tiny_reasoner/checkpoint/chat_template.jinja",
    } <= shipped
    assert not [n for n in shipped if n.startswith(("tests/", "results/", "elastic_bench/tests/"))]
    assert not [n for n in shipped if "__pycache__" in n or n.endswith(".pyc")]


def test_wheel_puts_the_lm_eval_hook_at_the_top_of_site_packages(wheel_and_sources):
    wheel, _ = wheel_and_sources
    assert wheel.read("elastic_bench.pth").decode() == (ROOT / HOOK).read_text()
    [entry_points] = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    text = wheel.read(entry_points).decode()
    assert "elastic-bench = elastic_bench.harness.cli:main" in text
    assert "[lm_eval.models]" in text and "[lm_eval.tasks]" in text


def _editable_install() -> bool:
    """Whether an install of elastic-bench here is editable (PEP 610 ``direct_url.json``).

    Every copy of the metadata counts: setuptools also leaves an ``elastic_bench.egg-info`` in
    the checkout, which shadows the installed one when the checkout is on ``sys.path``.
    """
    for dist in metadata.distributions(name="elastic-bench"):
        direct_url = dist.read_text("direct_url.json")
        if direct_url and json.loads(direct_url).get("dir_info", {}).get("editable"):
            return True
    return False


def test_editable_install_imports_from_this_checkout():
    if not _editable_install():
        pytest.skip("elastic-bench is not installed editable here (pip install -e .)")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, elastic_bench.harness.cli as cli, elastic_bench.tasks as tasks\n"
            "from elastic_bench.harness.lmeval import _plugin as lm_eval_plugin\n"
            "print(cli.__file__); print(list(tasks.__path__)[0])\n"
            "print(any(isinstance(f, lm_eval_plugin._PostImportFinder) for f in sys.meta_path))\n",
        ],
        capture_output=True,
        text=True,
        cwd="/",  # not the checkout: the import must come from the install
        env={"PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    cli_file, tasks_dir, hooked = proc.stdout.split()
    assert Path(cli_file) == ROOT / "harness" / "cli" / "__init__.py"
    assert Path(tasks_dir) == ROOT / "tasks"
    assert hooked == "True", "elastic_bench.pth did not install the lm-eval hook"
