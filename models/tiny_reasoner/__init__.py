"""The embedded default model: a tiny overthinking reasoner trained by this project."""

from pathlib import Path

#: the committed checkpoint (transformers format: config, safetensors, tokenizer, chat template)
CHECKPOINT_DIR = Path(__file__).parent / "checkpoint"
