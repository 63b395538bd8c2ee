"""Checking a submitted checkpoint before it is queued, without loading the model.

What can be known cheaply is checked: the id or path is well formed; a local folder holds a config,
a tokenizer and weights (and its weights are hashed: that is what identifies it); the end-of-thinking
marker is one token of the model's tokenizer or a known marker; the model's own chat template exists
when the request demands it. A hub model is only checked for form (the worker fetches it). Every
refusal is one line (:class:`QueueError`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from elastic_bench.harness.protocol import KNOWN_THINK_END_MARKERS, THINK_END
from elastic_bench.harness.queue._request import ChatTemplate, ModelSpec, QueueError

#: a hub id: ``name`` or ``org/name``, as the Hugging Face Hub spells them
HUB_ID = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,95}/)?[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
#: a hub revision: a branch, tag or commit
REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")
CONFIG_FILE = "config.json"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "tokenizer_config.json")
WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin", "*.safetensors.index.json")


def _looks_local(model: str) -> bool:
    """A path rather than a hub id: it exists, or is written as a path (``./x``, ``/x``, ``~/x``, ``a/b/c``)."""
    return (
        Path(model).expanduser().exists()
        or model.startswith((".", "/", "~"))
        or model.count("/") > 1
        or "\\" in model
    )


def _local_problem(folder: Path) -> str | None:
    """Why a local folder is not a model (one line), or None."""
    if not folder.exists():
        return "no such folder"
    if not folder.is_dir():
        return "a file, not a model folder"
    missing = []
    config = folder / CONFIG_FILE
    if not config.is_file():
        missing.append(CONFIG_FILE)
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        missing.append("a tokenizer (" + ", ".join(TOKENIZER_FILES[:2]) + ")")
    if not any(any(folder.glob(pattern)) for pattern in WEIGHT_PATTERNS):
        missing.append("weights (*.safetensors, pytorch_model*.bin)")
    if missing:
        return "not a model folder: it lacks " + "; ".join(missing)
    try:
        parsed = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return f"{CONFIG_FILE} is not readable JSON ({str(exc).splitlines()[0]})"
    if not isinstance(parsed, dict) or not ("model_type" in parsed or "architectures" in parsed):
        return f"{CONFIG_FILE} names no model_type or architectures"
    return None


def marker_token_count(folder: Path, marker: str) -> int | None:
    """How many tokens ``marker`` is for a local model's tokenizer (None when it cannot be read cheaply)."""
    tokenizer_json = folder / "tokenizer.json"
    try:
        if tokenizer_json.is_file():
            from tokenizers import Tokenizer

            return len(Tokenizer.from_file(str(tokenizer_json)).encode(marker, add_special_tokens=False).ids)
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        return len(tokenizer.encode(marker, add_special_tokens=False))
    except Exception:  # noqa: BLE001 - an unreadable tokenizer leaves the check to the known markers
        return None


def _check_marker(marker: str, folder: Path | None) -> None:
    if not marker or marker != marker.strip() or len(marker) > 100:
        raise QueueError(f"--think-end {marker!r} must be a non-empty marker without surrounding spaces")
    if marker in KNOWN_THINK_END_MARKERS:
        return
    count = marker_token_count(folder, marker) if folder is not None else None
    if count == 1:
        return
    known = ", ".join(KNOWN_THINK_END_MARKERS)
    if count is None:
        where = "a hub model's tokenizer is not read before evaluation" if folder is None else "no tokenizer"
        raise QueueError(
            f"--think-end {marker!r} is not a known end-of-thinking marker ({known}) and {where}"
        )
    raise QueueError(
        f"--think-end {marker!r} is {count} tokens for this model's tokenizer, not one, and not a known "
        f"end-of-thinking marker ({known})"
    )


def _has_chat_template(folder: Path) -> bool:
    from elastic_bench.harness.provenance import chat_template_sha256

    return chat_template_sha256(folder) is not None


def check_checkpoint(
    model: str,
    revision: str | None = None,
    think_end: str | None = None,
    chat_template: ChatTemplate = "auto",
) -> ModelSpec:
    """The :class:`ModelSpec` of a submitted checkpoint, or ``QueueError`` saying what is wrong."""
    from elastic_bench.harness.lmeval import model_name_of
    from elastic_bench.harness.provenance import portable_path, weights_sha256

    model = (model or "").strip()
    marker = THINK_END if think_end is None else think_end
    if not model:
        raise QueueError("no checkpoint given: name a hub id (org/name) or a local model folder")
    if chat_template not in ("auto", "model", "none"):
        raise QueueError(f"--chat-template must be auto, model or none, got {chat_template!r}")
    if _looks_local(model):
        folder = Path(model).expanduser()
        problem = _local_problem(folder)
        if problem:
            raise QueueError(f"{model}: {problem}")
        if revision:
            raise QueueError("--revision is for hub models; a local folder is identified by its weights")
        _check_marker(marker, folder)
        if chat_template == "model" and not _has_chat_template(folder):
            raise QueueError(f"{model}: --chat-template model, but the folder has no chat template")
        return ModelSpec(
            model=portable_path(folder),
            local=True,
            weights_sha256=weights_sha256(folder),
            think_end=marker,
            chat_template=chat_template,
            display_name=model_name_of(str(folder))[:200],
        )
    if not HUB_ID.match(model) or "--" in model or ".." in model:
        raise QueueError(f"{model!r} is neither a local model folder nor a hub id (org/name)")
    if revision is not None and (not REVISION.match(revision) or ".." in revision):
        raise QueueError(f"--revision {revision!r} is not a branch, tag or commit name")
    _check_marker(marker, None)
    shown = model if revision in (None, "main") else f"{model}@{revision}"
    return ModelSpec(
        model=model,
        local=False,
        revision=revision,
        think_end=marker,
        chat_template=chat_template,
        display_name=shown,
    )
