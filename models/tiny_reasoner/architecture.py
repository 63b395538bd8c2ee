"""The tiny reasoner's tokenizer (byte-level BPE trained locally) and model (Qwen2 architecture).

Both are standard Hugging Face objects: once saved, ``AutoTokenizer`` / ``AutoModelForCausalLM``
(and vLLM, TRL) load them from the folder exactly like a hub model.
"""

from __future__ import annotations

from collections.abc import Iterable

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, Qwen2Config

from elastic_bench.models.tiny_reasoner.traces import THINK_CLOSE, THINK_OPEN

EOS = "<|im_end|>"
PAD = "<|pad|>"
IM_START = "<|im_start|>"
VOCAB_SIZE = 512
#: Qwen2's pre-tokenisation pattern (transformers.models.qwen2.tokenization_qwen2): one digit per token
QWEN2_PRETOKENIZE_REGEX = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""

#: Qwen / DeepSeek-R1 style: the generation prompt opens the thinking block
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n<think>\n{% endif %}"
)


def train_tokenizer(corpus: Iterable[str], vocab_size: int = VOCAB_SIZE) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE (digits split one by one, as in Qwen) on ``corpus``."""
    tokenizer = Tokenizer(models.BPE())
    # exactly Qwen2's normaliser / pre-tokeniser / decoder: AutoTokenizer maps model_type qwen2 to
    # Qwen2Tokenizer, which rebuilds these from its own defaults when the folder is loaded
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    special = [EOS, PAD, IM_START]
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=special,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus, trainer=trainer)
    # the thinking markers are single, non-special tokens (decode keeps them), like R1 / QwQ
    tokenizer.add_tokens(
        [AddedToken(THINK_OPEN, normalized=False), AddedToken(THINK_CLOSE, normalized=False)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token=EOS,
        pad_token=PAD,
        chat_template=CHAT_TEMPLATE,
        model_max_length=2048,
        padding_side="left",
    )


def model_config(
    tokenizer: PreTrainedTokenizerFast, hidden_size: int = 128, num_layers: int = 4, num_heads: int = 4
) -> Qwen2Config:
    """The tiny Qwen2 configuration (defaults: about 0.85M parameters)."""
    return Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=3 * hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=max(1, num_heads // 2),
        max_position_embeddings=2048,
        rope_theta=10000.0,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        use_cache=True,
    )
