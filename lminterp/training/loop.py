"""What every training loop here shares: causal-LM batches and loss, the learning-rate schedule, the data order,
AdamW, the device and progress bars (pretraining, LoRA anchors and mixtures, classifiers)."""
from __future__ import annotations

import contextlib
import math
from typing import Iterator, Sequence

import numpy as np
import torch

from lminterp.data.tokens import adds_bos


def encode_lm_texts(tokenizer, texts: Sequence[str], max_length: int, *, eos: bool = True) -> list[list[int]]:
    """Token ids of ``[bos] + text + [eos]`` for every text, truncated to `max_length` tokens: the bos where the
    tokenizer puts one (:func:`~lminterp.data.tokens.adds_bos`), the eos unless ``eos=False`` (``lora.end_with_eos``:
    a model trained without it keeps its own sense of where a text ends, as the authors' packed blocks did)."""
    if max_length < 2:
        raise ValueError("max_length must be >= 2")
    if eos and tokenizer.eos_token_id is None:
        raise ValueError("tokenizer has no eos token (set lora.end_with_eos: false to train without one)")
    head = [int(tokenizer.bos_token_id)] if adds_bos(tokenizer) else []
    tail = [int(tokenizer.eos_token_id)] if eos else []
    enc = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    return [(head + list(ids) + tail)[:max_length] for ids in enc]


def pad_id_of(tokenizer) -> int:
    """The id used to pad training batches: the pad token, else eos (Llama-2 has no pad token).

    Pads never matter for the loss (attention mask 0, label -100)."""
    pad = tokenizer.pad_token_id
    return tokenizer.eos_token_id if pad is None else pad


def lm_batch(seqs: Sequence[Sequence[int]], pad_id: int, device=None) -> dict[str, torch.Tensor]:
    """Right-pad `seqs` to the longest; labels are the ids with -100 on the pads."""
    n, width = len(seqs), max(len(s) for s in seqs)
    input_ids = torch.full((n, width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((n, width), dtype=torch.long)
    for i, s in enumerate(seqs):
        input_ids[i, : len(s)] = torch.as_tensor(s, dtype=torch.long)
        attention_mask[i, : len(s)] = 1
    labels = input_ids.masked_fill(attention_mask == 0, -100)
    out = {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}
    if device is not None:
        out = {k: v.to(device) for k, v in out.items()}
    return out


def lm_loss(model, batch: dict[str, torch.Tensor], reduction: str = "mean") -> torch.Tensor:
    """Next-token cross-entropy of `batch` (pads ignored). reduction 'sum' gives the summed loss."""
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False).logits
    logits = logits[:, :-1, :].float()
    labels = batch["labels"][:, 1:]
    return torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100, reduction=reduction
    )


def n_predicted_tokens(batch: dict[str, torch.Tensor]) -> int:
    return int((batch["labels"][:, 1:] != -100).sum())


def lr_lambda(warmup_steps: int, total_steps: int, schedule: str = "cosine", min_ratio: float = 0.1):
    """Multiplier for LambdaLR: linear warmup to 1, then cosine/linear decay to `min_ratio` (or constant)."""
    warmup_steps = max(0, int(warmup_steps))
    total_steps = max(1, int(total_steps))

    def f(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        if schedule == "constant":
            return 1.0
        progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
        if schedule == "cosine":
            return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
        if schedule == "linear":
            return min_ratio + (1 - min_ratio) * (1 - progress)
        raise ValueError(f"unknown schedule {schedule!r}")

    return f


def index_stream(n: int, rng: np.random.Generator) -> Iterator[int]:
    """Endless stream of indices 0..n-1: one fresh permutation per epoch."""
    while True:
        yield from rng.permutation(n).tolist()


def take(stream: Iterator[int], k: int) -> list[int]:
    return [next(stream) for _ in range(k)]


@torch.no_grad()
def evaluate_lm_loss(model, seqs: Sequence[Sequence[int]], pad_id: int, batch_size: int = 64, device=None) -> float:
    """Token-weighted mean next-token loss over the encoded sequences `seqs`."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    for start in range(0, len(order), batch_size):
        batch = lm_batch([seqs[i] for i in order[start : start + batch_size]], pad_id, device)
        total += float(lm_loss(model, batch, reduction="sum"))
        count += n_predicted_tokens(batch)
    model.train(was_training)
    return total / max(1, count)


def default_device(device=None) -> torch.device:
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def adamw(params, device: torch.device, **kwargs) -> torch.optim.AdamW:
    """AdamW for every training loop here, fused on CPU and CUDA. The fused kernel computes the update with torch's
    own vector code (square root included), pinned to AVX2 by ``cpu_kernels: avx2``; the default loop takes its
    square roots from MKL's vector maths, whose last bits differ between processors (paper/METHODS.md, "The same
    numbers on every machine")."""
    return torch.optim.AdamW(params, fused=torch.device(device).type in ("cpu", "cuda"), **kwargs)


@contextlib.contextmanager
def hf_progress(enabled: bool):
    """Within the block, transformers' own progress bars (loading/saving weights) follow `enabled`."""
    from transformers.utils import logging as hf_logging

    before = hf_logging.is_progress_bar_enabled()
    if enabled == before:
        yield
        return
    (hf_logging.enable_progress_bar if enabled else hf_logging.disable_progress_bar)()
    try:
        yield
    finally:
        (hf_logging.enable_progress_bar if before else hf_logging.disable_progress_bar)()


def progress_bar(total: int, desc: str, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, mininterval=2.0, dynamic_ncols=True)




def optimizer_step(loss: torch.Tensor, params, optimizer, scheduler, grad_clip: float) -> float:
    """One step of every loop here: gradients of `loss`, clipped to norm `grad_clip` (0: no clipping), an optimizer
    and a schedule step; returns the loss as a float."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip:
        torch.nn.utils.clip_grad_norm_(params, grad_clip)
    optimizer.step()
    scheduler.step()
    return float(loss.detach())
