"""harness.provenance: hashes, versions, commit, model info."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

from elastic_bench.harness import provenance
from elastic_bench.harness.provenance import (
    chat_template_sha256,
    git_commit,
    library_versions,
    model_fingerprint,
    model_info,
    project_info,
    weights_sha256,
)

REPO = Path(__file__).resolve().parent.parent


def test_git_commit_is_this_checkouts_head():
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert head.returncode == 0, "the test suite runs from a git checkout"
    assert git_commit(REPO).removesuffix("-dirty") == head.stdout.strip()
    assert git_commit() == git_commit(REPO) and project_info()["elastic_bench_git_commit"] == git_commit()


def _repo(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    for rel in (
        "harness/code.py",
        "results/reproduced/entry.json",
        "models/tiny_reasoner/baselines/sft/w.bin",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("v1\n")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    return git


def test_git_commit_says_dirty_when_code_differs_from_the_commit(tmp_path):
    _repo(tmp_path)
    clean = git_commit(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{40}", clean)
    (tmp_path / "untracked.py").write_text("new\n")  # untracked files are not the code that ran
    (tmp_path / "results/reproduced/entry.json").write_text("v2\n")  # what runs write: not code
    (tmp_path / "models/tiny_reasoner/baselines/sft/w.bin").write_text("v2\n")
    assert git_commit(tmp_path) == clean
    (tmp_path / "harness/code.py").write_text("v2\n")
    assert git_commit(tmp_path) == f"{clean}-dirty"


def test_git_commit_outside_a_repository_is_none_and_silent(tmp_path, capfd):
    assert git_commit(tmp_path) is None
    (tmp_path / ".git").write_text("gitdir: /nowhere/at/all\n")  # looks like a worktree, is broken
    assert git_commit(tmp_path) is None
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # git's "fatal: not a git repository" never reaches the terminal


def test_git_commit_without_git_is_none(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path))  # no git executable
    assert git_commit(tmp_path) is None


def test_weights_and_chat_template_hashes(tmp_path):
    assert weights_sha256(tmp_path) is None and weights_sha256(tmp_path / "missing") is None
    (tmp_path / "b.safetensors").write_bytes(b"B")
    (tmp_path / "a.safetensors").write_bytes(b"A")
    expected = hashlib.sha256(
        "".join(
            f"{n}:{hashlib.sha256(c).hexdigest()}\n"
            for n, c in (("a.safetensors", b"A"), ("b.safetensors", b"B"))
        ).encode()
    ).hexdigest()
    assert weights_sha256(tmp_path) == expected == weights_sha256(str(tmp_path))
    assert model_fingerprint(str(tmp_path)) == expected
    assert model_fingerprint("org/model", "v2") == "org/model@v2"
    assert chat_template_sha256(tmp_path) is None
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"chat_template": "{{ x }}"}))
    assert chat_template_sha256(tmp_path) == hashlib.sha256(b"{{ x }}").hexdigest()
    (tmp_path / "chat_template.jinja").write_text("{{ y }}")
    assert chat_template_sha256(tmp_path) == hashlib.sha256(b"{{ y }}").hexdigest()  # the .jinja wins


def test_model_info_is_what_the_converter_reads(tmp_path, monkeypatch):
    (tmp_path / "model.safetensors").write_bytes(b"W")
    info = model_info(
        pretrained=str(tmp_path),
        revision=None,
        tokenizer=None,
        chat_template="{{ t }}",
        think_end="</s>",
        dtype="bf16",
    )
    assert info["pretrained"] == str(tmp_path.resolve()) and info["tokenizer"] == str(tmp_path)
    assert info["weights_sha256"] == weights_sha256(tmp_path)
    assert info["chat_template_sha256"] == hashlib.sha256(b"{{ t }}").hexdigest()
    assert info["end_of_thinking_marker"] == "</s>" and info["dtype"] == "bf16"
    assert info["elastic_bench_git_commit"] == git_commit()
    inside = REPO / "models" / "tiny_reasoner" / "checkpoint"  # a folder of the checkout: named relative
    monkeypatch.chdir(REPO)
    local = model_info(pretrained=str(inside), chat_template=None, think_end="</think>")
    assert local["pretrained"] == "models/tiny_reasoner/checkpoint"
    hub = model_info(pretrained="org/m", chat_template=None, think_end="</think>")
    assert (
        hub["pretrained"] == "org/m" and hub["weights_sha256"] is None and hub["chat_template_sha256"] is None
    )


def test_library_versions_and_hardware():
    versions = library_versions()
    assert versions["lm_eval"] == "0.4.13" and versions["python"] == sys.version.split()[0]
    assert "elastic_bench" in versions
    assert provenance.current_hardware().startswith("CPU: ")


def test_hardware_names_the_cpu_model_where_linux_states_it(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9654 96-Core\n")
    assert provenance._cpu_model_name(cpuinfo) == "AMD EPYC 9654 96-Core"
    assert provenance._cpu_model_name(tmp_path / "absent") is None
    cpuinfo.write_text("processor\t: 0\nHardware\t: BCM2835\n")  # no model name line
    assert provenance._cpu_model_name(cpuinfo) is None


def test_budgeted_backend_get_model_info_uses_provenance():
    from elastic_bench.models.budgeted_lm import BudgetedLM
    from tests.fake_backend import FakeBackend

    class Template:
        chat_template = "{{ messages }}"

    lm = BudgetedLM(FakeBackend(), chat_template_source=Template(), model_id="org/fake", think_end="</s>")
    info = lm.get_model_info()
    assert info["pretrained"] == "org/fake" and info["end_of_thinking_marker"] == "</s>"
    assert info["chat_template_sha256"] == hashlib.sha256(b"{{ messages }}").hexdigest()
    assert info["elastic_bench_git_commit"] == git_commit() and info["share_prefix"] is True
    lm.chat = "no"  # no template applied: none recorded
    assert lm.get_model_info()["chat_template_sha256"] is None
