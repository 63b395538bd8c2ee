"""The embedded default model: a tiny overthinking reasoner trained by this project."""

from pathlib import Path

#: the committed checkpoint (transformers format: config, safetensors, tokenizer, chat template)
CHECKPOINT_DIR = Path(__file__).parent / "checkpoint"
#: the variant whose traces vary in wording (:mod:`.phrasings`; same architecture and data otherwise)
PHRASINGS_CHECKPOINT_DIR = Path(__file__).parent / "phrasings_checkpoint"
