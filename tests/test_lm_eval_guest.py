"""elastic-bench is a neutral guest in lm-eval: with our plugin on, lm-eval behaves as documented.

The TaskManager cases are ported from lm-eval's own suite, tests/test_task_manager.py
(EleutherAI/lm-evaluation-harness, v0.4.13: ``TestTaskManagerIntegration``), which is not in the
lm-eval wheel. Upstream's fixtures use tests/test_configs and load tasks from the Hub; here the
custom tasks are written to a temporary folder and checked through the index (offline). Each
case runs with our TaskManager patch applied, so a plugin that leaks our tasks into
``include_defaults=False``, rewrites ``include_path`` or hides the signature fails here.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

from elastic_bench.harness.lmeval import _plugin as lm_eval_plugin

CUSTOM_ARC = """task: custom_arc_task
dataset_path: allenai/ai2_arc
dataset_name: ARC-Challenge
output_type: multiple_choice
test_split: test
doc_to_text: "Q: {{question}}\\nA:"
doc_to_target: "{{choices.label.index(answerKey)}}"
doc_to_choice: "{{choices.text}}"
metadata:
  version: 1.0
  custom: true
"""


@pytest.fixture(scope="module")
def task_manager_cls():
    """lm-eval's TaskManager with our plugin's patch on (idempotent if the .pth already did it)."""
    from lm_eval.tasks import manager

    lm_eval_plugin.patch_task_manager(manager)
    assert manager.TaskManager._elastic_bench_patched
    return manager.TaskManager


@pytest.fixture(scope="module")
def custom_dir(tmp_path_factory) -> Path:
    """A user task folder: a new task, an override of lm-eval's arc_easy and of one of ours."""
    folder = tmp_path_factory.mktemp("custom_tasks")
    (folder / "custom_arc_task.yaml").write_text(CUSTOM_ARC)
    (folder / "arc_easy.yaml").write_text(CUSTOM_ARC.replace("custom_arc_task", "arc_easy"))
    (folder / "elastic_toy_t00064.yaml").write_text(
        CUSTOM_ARC.replace("custom_arc_task", "elastic_toy_t00064")
    )
    return folder


@pytest.fixture(scope="module")
def with_defaults(task_manager_cls, custom_dir):
    """One TaskManager over lm-eval's defaults + ours + the user's folder (indexing takes ~10 s)."""
    return task_manager_cls(include_path=str(custom_dir))


def test_include_defaults_false_with_custom_path(task_manager_cls, tmp_path):
    # upstream: TestTaskManagerIntegration.test_include_defaults_false_with_custom_path
    (tmp_path / "custom_arc_task.yaml").write_text(CUSTOM_ARC)
    task_manager = task_manager_cls(include_defaults=False, include_path=str(tmp_path))
    assert "custom_arc_task" in task_manager.all_tasks
    assert "arc_easy" not in task_manager.all_tasks
    assert "arc_challenge" not in task_manager.all_tasks
    assert len(task_manager.all_tasks) == 1, task_manager.all_tasks[:10]
    assert str(tmp_path) in str(task_manager.task_index["custom_arc_task"].yaml_path)


def test_include_defaults_false_wildcards_see_only_the_users_tasks(task_manager_cls, tmp_path):
    (tmp_path / "my_gsm8k_variant.yaml").write_text(CUSTOM_ARC.replace("custom_arc_task", "my_gsm8k_variant"))
    task_manager = task_manager_cls(include_defaults=False, include_path=[tmp_path])
    assert task_manager.match_tasks(["*gsm8k*", "*aime*", "elastic_*"]) == ["my_gsm8k_variant"]


def test_include_path_is_kept_as_given(task_manager_cls, custom_dir, with_defaults):
    assert with_defaults.include_path == str(custom_dir)
    as_list = [custom_dir]
    assert task_manager_cls(include_path=as_list, include_defaults=False).include_path is as_list
    assert as_list == [custom_dir]  # the caller's list is not modified either


def test_include_defaults_true_with_new_tasks(with_defaults, custom_dir):
    # upstream: TestTaskManagerIntegration.test_include_defaults_true_with_new_tasks
    assert "custom_arc_task" in with_defaults.all_tasks
    assert "arc_challenge" in with_defaults.all_tasks
    assert str(custom_dir) in str(with_defaults.task_index["custom_arc_task"].yaml_path)
    # and, being installed, our tasks join lm-eval's defaults
    assert "elastic_toy" in with_defaults.all_tasks


def test_include_path_precedence(with_defaults, custom_dir):
    # upstream: TestTaskManagerIntegration.test_include_path_precedence (checked on the index,
    # offline): the user's folder wins over lm-eval's defaults, and over ours
    assert with_defaults.task_index["arc_easy"].yaml_path.parent == custom_dir
    assert with_defaults.task_index["elastic_toy_t00064"].yaml_path.parent == custom_dir
    assert Path(with_defaults.task_index["elastic_toy_t00128"].yaml_path).name == "elastic_toy_t00128.yaml"


def test_match_tasks_glob(with_defaults):
    # upstream: TestTaskManagerIntegration.test_match_tasks_glob
    matches = with_defaults.match_tasks(["arc_*"])
    assert "arc_easy" in matches and "arc_challenge" in matches


def test_signature_is_unchanged(task_manager_cls):
    original = inspect.unwrap(task_manager_cls.__init__)
    assert original is not task_manager_cls.__init__
    assert inspect.signature(task_manager_cls.__init__) == inspect.signature(original)
    assert list(inspect.signature(task_manager_cls.__init__).parameters) == [
        "self",
        "verbosity",
        "include_path",
        "include_defaults",
        "metadata",
    ]
    assert task_manager_cls.__init__.__doc__ == original.__doc__


def _fresh_python(code: str) -> subprocess.CompletedProcess:
    """A new interpreter, so our .pth hook runs at start-up as it does for users."""
    env = {k: v for k, v in os.environ.items() if k != "ELASTIC_BENCH_NO_LM_EVAL_PLUGIN"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)


def test_users_can_still_register_a_built_in_model_name():
    # lm-eval lets a program register a name (even "hf") before its lazy model table loads
    proc = _fresh_python(
        "import sys\n"
        "from lm_eval.api.registry import get_model, register_model\n"
        "from lm_eval.api.model import LM\n"
        "print('lm_eval.models' in sys.modules)\n"
        "@register_model('hf')\n"
        "class MyHF(LM):\n"
        "    pass\n"
        "print(get_model('hf').__name__)\n"
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["False", "MyHF"]


def test_our_models_load_lazily_next_to_lm_evals():
    proc = _fresh_python(
        "import sys\n"
        "from lm_eval.api.registry import get_model, model_registry\n"
        "print(get_model('dummy').__name__, 'elastic_bench.models.elastic_hf' in sys.modules)\n"
        "print(get_model('elastic-hf').__name__)\n"
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["DummyLM", "False", "ElasticHFLM"]


@pytest.mark.parametrize(
    ("value", "on"), [("", True), ("0", True), ("false", True), ("1", False), ("TRUE", False)]
)
def test_only_a_true_value_turns_the_lm_eval_plugin_off(value: str, on: bool) -> None:
    probe = (
        "import sys\n"
        "from elastic_bench.harness.lmeval._plugin import plugin_disabled\n"
        "print(not plugin_disabled() and any(type(f).__name__ == '_PostImportFinder' for f in sys.meta_path))\n"
    )
    env = {**os.environ, "ELASTIC_BENCH_NO_LM_EVAL_PLUGIN": value}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.strip() == str(on), done.stderr
