"""Provenance: the facts that identify what produced a result, in one place.

Weights and chat-template hashes, library versions, hardware, elastic-bench's own version and git
commit, and the ``get_model_info()`` payload a backend returns (lm-eval stores it in the results'
``config``, where the converter reads it back). Backends, the CLI and the converter all use these;
this module imports nothing heavy (no torch, no lm-eval) at import time.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import subprocess
import sys
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

#: distribution name of this project
PROJECT = "elastic-bench"
#: libraries whose versions can change an output
TRACKED_LIBRARIES = ("lm_eval", "transformers", "torch", "math_verify", "trl", "accelerate", "vllm")
#: the checkout this module lives in (when run from a source tree)
SOURCE_ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- hashes


#: ``scheme://user:password@`` in a URL
_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)[^/@\s,'\"]+@")
#: a query-string value whose name says it is a credential (``?api_key=...``, ``&token=...``)
_SECRET_QUERY = re.compile(
    r"(?P<key>[?&;](?:[A-Za-z_\-]*(?:key|token|secret|password|passwd|auth|signature|sig)[A-Za-z_\-]*)=)"
    r"[^&#\s,'\"]+",
    re.IGNORECASE,
)
REDACTED = "***"


def redact(value: Any) -> Any:
    """``value`` with credentials in URLs replaced by ``***`` (userinfo, and query values named like a
    key, token, secret or password), in every string of a nested dict / list / tuple."""
    if isinstance(value, str):
        value = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", value)
        return _SECRET_QUERY.sub(lambda m: f"{m['key']}{REDACTED}", value)
    if isinstance(value, dict):
        return {redact(k): redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v) for v in value)
    return value


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of one file, streamed."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    """Hex sha256 of a string's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def weights_sha256(model_dir: str | Path) -> str | None:
    """One sha256 over a local model's ``*.safetensors`` files (name + content hash, sorted by name);
    None when ``model_dir`` is not a folder or holds no safetensors."""
    model_dir = Path(model_dir).expanduser()
    files = sorted(model_dir.glob("*.safetensors")) if model_dir.is_dir() else []
    if not files:
        return None
    digest = hashlib.sha256()
    for f in files:
        digest.update(f"{f.name}:{sha256_file(f)}\n".encode())
    return digest.hexdigest()


def chat_template_sha256(model_dir: str | Path) -> str | None:
    """sha256 of a local model folder's chat template (``chat_template.jinja``, else the
    ``chat_template`` of ``tokenizer_config.json``); None when there is none."""
    model_dir = Path(model_dir).expanduser()
    jinja = model_dir / "chat_template.jinja"
    if jinja.is_file():
        return hashlib.sha256(jinja.read_bytes()).hexdigest()
    config = model_dir / "tokenizer_config.json"
    if config.is_file():
        try:
            template = json.loads(config.read_text(encoding="utf-8")).get("chat_template")
        except (OSError, ValueError, AttributeError):
            return None
        if isinstance(template, str):
            return sha256_text(template)
        if template:
            return sha256_text(json.dumps(template, sort_keys=True))
    return None


def model_fingerprint(pretrained: str, revision: str | None = None) -> str:
    """What identifies a model's weights: their sha256 for a local folder, else ``id@revision``."""
    return weights_sha256(pretrained) or f"{pretrained}@{revision or 'main'}"


# --------------------------------------------------------------------------- versions, commit


def package_version(name: str) -> str | None:
    """An installed distribution's version, or None."""
    try:
        return importlib_metadata.version(name)
    except importlib_metadata.PackageNotFoundError:
        return None


def library_versions(names: tuple[str, ...] = TRACKED_LIBRARIES) -> dict[str, str]:
    """Versions of the installed libraries among ``names`` (plus python and elastic-bench)."""
    versions = {n: v for n in names if (v := package_version(n.replace("_", "-")) or package_version(n))}
    versions["python"] = platform.python_version()
    versions["elastic_bench"] = package_version(PROJECT) or "unknown"
    return versions


def portable_path(path: str | Path) -> str:
    """How to record a model or recipe location: an existing local path inside the working directory
    as a relative path (a record made in one checkout then names the same folder in every clone, not
    this machine's absolute path), one elsewhere as an absolute path, a hub id as given."""
    local = Path(path).expanduser()
    if not local.exists():
        return str(path)
    try:
        return local.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(local.resolve())


def same_model_location(recorded: str, given: str) -> bool:
    """The same hub id, or two spellings (relative / absolute) of one local folder."""
    if recorded == given:
        return True
    a, b = Path(recorded), Path(given)
    return a.exists() and b.exists() and a.resolve() == b.resolve()


#: what runs write into the tree (leaderboard entries, retrained checkpoints): not code, so a change
#: there does not make a checkout "dirty"
GENERATED_PATHS = ("results", "models/tiny_reasoner/baselines")


def _git(root: Path, *args: str) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(
            ["git", "-C", str(root), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None


def git_commit(root: str | Path | None = None) -> str | None:
    """The commit checked out at ``root`` (default: this source tree), with ``-dirty`` appended when
    tracked files outside :data:`GENERATED_PATHS` differ from it (the code that ran is not that
    commit); None outside a git repository, without git, or on any git error. git's own messages
    never reach the user's terminal."""
    root = Path(root) if root is not None else SOURCE_ROOT
    if not (root / ".git").exists():
        return None
    out = _git(root, "rev-parse", "HEAD")
    commit = out.stdout.strip() if out is not None else ""
    if out is None or out.returncode != 0 or not re.fullmatch(r"[0-9a-f]{7,64}", commit):
        return None
    excludes = [f":(exclude){path}" for path in GENERATED_PATHS]
    status = _git(root, "status", "--porcelain", "--untracked-files=no", "--", ".", *excludes)
    return f"{commit}-dirty" if status is not None and status.stdout.strip() else commit


def project_info() -> dict[str, str | None]:
    """elastic-bench's version and git commit (keys as the converter reads them from lm-eval's config)."""
    return {"elastic_bench_version": package_version(PROJECT), "elastic_bench_git_commit": git_commit()}


# --------------------------------------------------------------------------- hardware


def _env_line(env: str, key: str) -> str | None:
    match = re.search(rf"^{re.escape(key)}:\s*(.+)$", env, flags=re.MULTILINE)
    value = match.group(1).strip() if match else None
    return None if value in (None, "", "N/A", "Could not collect") else value


def hardware_from_env(env: str | None) -> str:
    """'CPU: <model> (<n> CPUs); GPU: <names>' from lm-eval's ``pretty_env_info``."""
    if not env:
        return "unknown"
    cpu = _env_line(env, "Model name")
    n_cpus = _env_line(env, "CPU(s)")
    gpu = _env_line(env, "GPU models and configuration")
    if gpu is None or gpu.startswith("Could not"):
        gpus = []
    else:
        gpus = [gpu] + re.findall(r"^(GPU \d+: .+)$", env.split(gpu, 1)[1], flags=re.MULTILINE)
    parts = [f"CPU: {cpu or 'unknown'}" + (f" ({n_cpus} CPUs)" if n_cpus else "")]
    parts.append("GPU: " + (", ".join(dict.fromkeys(gpus)) if gpus else "none"))
    return "; ".join(parts)


def _cpu_model_name(cpuinfo: Path = Path("/proc/cpuinfo")) -> str | None:
    """The CPU's model name where Linux states it (``platform.processor()`` gives only 'x86_64')."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return None
    match = re.search(r"^model name\s*:\s*(.+)$", text, flags=re.MULTILINE)
    return match.group(1).strip() if match and match.group(1).strip() else None


def current_hardware() -> str:
    """This machine, in the same form as :func:`hardware_from_env` (GPUs via torch if it is loaded)."""
    import os

    cpu = _cpu_model_name() or platform.processor() or platform.machine() or "unknown"
    gpus: list[str] = []
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            gpus = [f"GPU {i}: {torch.cuda.get_device_name(i)}" for i in range(torch.cuda.device_count())]
        except Exception:  # noqa: BLE001 - a broken CUDA setup must not break provenance
            gpus = []
    return f"CPU: {cpu} ({os.cpu_count() or '?'} CPUs); GPU: " + (", ".join(gpus) if gpus else "none")


def versions_from_results(raw: dict[str, Any]) -> dict[str, str]:
    """Library versions an lm-eval results JSON records (lm-eval, transformers, torch, python, us)."""
    versions: dict[str, str] = {}
    for key, name in (("lm_eval_version", "lm_eval"), ("transformers_version", "transformers")):
        if isinstance(raw.get(key), str):
            versions[name] = raw[key]
    env = raw.get("pretty_env_info") if isinstance(raw.get("pretty_env_info"), str) else ""
    for key, name in (("PyTorch version", "torch"), ("Python version", "python")):
        value = _env_line(env, key)
        if value:
            versions[name] = value.split(" ")[0]
    config = raw.get("config") if isinstance(raw.get("config"), dict) else {}
    project = config.get("elastic_bench_version")
    versions["elastic_bench"] = project if isinstance(project, str) else package_version(PROJECT) or "unknown"
    return versions


def commit_from_results(raw: dict[str, Any]) -> str | None:
    """The project's commit as the backend reported it, else lm-eval's (``git describe`` in its CWD)."""
    config = raw.get("config") if isinstance(raw.get("config"), dict) else {}
    for value in (config.get("elastic_bench_git_commit"), raw.get("git_hash")):
        if isinstance(value, str) and value:
            return value
    return None


# --------------------------------------------------------------------------- backend payload


def model_info(
    *,
    pretrained: str,
    revision: str | None = None,
    tokenizer: str | None = None,
    chat_template: str | None = None,
    think_end: str,
    hash_weights: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """The ``get_model_info()`` payload of a budgeted backend: model identity (a local folder as
    :func:`portable_path` spells it, with its weights hash unless ``hash_weights`` is false: the
    weights that generate are elsewhere), chat-template hash, marker, project version and commit,
    plus backend-specific ``extra`` facts (dtype, device, batch size ...)."""
    path = Path(pretrained).expanduser()
    local = path.is_dir()
    return {
        "pretrained": portable_path(path) if local else pretrained,
        "model_revision": revision,
        "weights_sha256": weights_sha256(path) if local and hash_weights else None,
        "tokenizer": tokenizer or pretrained,
        "chat_template_sha256": sha256_text(chat_template) if chat_template else None,
        "end_of_thinking_marker": think_end,
        **extra,
        **project_info(),
    }
