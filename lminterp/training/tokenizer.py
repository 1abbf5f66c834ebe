"""A small BPE tokenizer for the tiny world, trained with the `tokenizers` library.

The corpus is lowercase English with punctuation already split off by spaces, so the tokenizer
splits on spaces (Metaspace, which also makes decoding an exact inverse of encoding) and learns
BPE merges inside words. Special tokens follow the Llama layout:

    id 0 ``<unk>``, id 1 ``<s>`` (bos), id 2 ``</s>`` (eos), id 3 ``<pad>``

Like Llama-2's tokenizer, ``tokenizer(text)`` prepends ``<s>`` (and adds no ``</s>``);
``tokenizer(text, add_special_tokens=False)`` gives the bare pieces. The stored padding side is
"left" (what batched generation wants); the training code pads by itself and does not rely on it.
"""
from __future__ import annotations

import os
import string
from pathlib import Path
from typing import Iterable

from lminterp.io import atomic_dir

UNK, BOS, EOS, PAD = "<unk>", "<s>", "</s>", "<pad>"
SPECIAL_TOKENS = [UNK, BOS, EOS, PAD]  # ids 0, 1, 2, 3 in this order
# Always in the vocabulary, so that unseen words still encode (as characters) rather than as <unk>.
_BASE_ALPHABET = string.ascii_lowercase + string.digits + string.punctuation + "▁"


def _build_backend(texts: list[str], vocab_size: int):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE(unk_token=UNK, fuse_unk=True))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Lowercase(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Strip()]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=sorted(set(_BASE_ALPHABET)),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer, length=len(texts))
    for i, s in enumerate(SPECIAL_TOKENS):
        if tok.token_to_id(s) != i:  # pragma: no cover - guaranteed by the trainer
            raise RuntimeError(f"special token {s!r} got id {tok.token_to_id(s)}, expected {i}")
    bos_id = tok.token_to_id(BOS)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B", special_tokens=[(BOS, bos_id)]
    )
    return tok


def wrap_tokenizer(backend, padding_side: str = "left"):
    """Wrap a `tokenizers.Tokenizer` as a transformers fast tokenizer with our special tokens."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        unk_token=UNK,
        padding_side=padding_side,
        clean_up_tokenization_spaces=False,
        model_max_length=1_000_000,
    )


def train_tokenizer(texts: Iterable[str], vocab_size: int, out_dir: str | os.PathLike | None = None,
                    padding_side: str = "left"):
    """Train a BPE tokenizer on `texts` and (if `out_dir` is given) save it there atomically.

    Returns a `transformers.PreTrainedTokenizerFast`. Deterministic: the same texts and vocab_size
    give the same tokenizer.json. `vocab_size` is an upper bound: a small corpus may run out of
    merges first (``len(tokenizer)`` is the real size).
    """
    texts = [str(t) for t in texts]
    if not texts:
        raise ValueError("train_tokenizer: no texts")
    if vocab_size <= len(SPECIAL_TOKENS):
        raise ValueError(f"vocab_size must exceed {len(SPECIAL_TOKENS)}")
    tokenizer = wrap_tokenizer(_build_backend(texts, int(vocab_size)), padding_side=padding_side)
    if out_dir is not None:
        with atomic_dir(out_dir) as tmp:
            tokenizer.save_pretrained(tmp)
    return tokenizer


def load_tokenizer(path: str | os.PathLike, padding_side: str | None = None):
    """Load a tokenizer saved by `train_tokenizer` (or any saved/hub tokenizer) with AutoTokenizer."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(Path(path)) if os.path.exists(path) else path)
    if padding_side is not None:
        tok.padding_side = padding_side
    return tok
