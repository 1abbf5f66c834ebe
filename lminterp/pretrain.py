"""Pretraining the tiny world's base language model (a small Llama) from scratch.

A plain torch loop (AdamW, linear warmup then cosine decay, gradient clipping at 1.0). Every text
is encoded as ``<s> text </s>``, truncated to `max_length`, and batches are padded on the right to
their longest member with label -100 on the pads. Seeded: `torch.manual_seed(seed)` before the
weights are initialised and a numpy Generator for the data order, so two runs on the same machine
(and the same number of torch threads) give identical weights.

The helpers (`encode_lm_texts`, `lm_batch`, `lm_loss`, `lr_lambda`, `index_stream`) are shared
with `lminterp.lora_training`.
"""
from __future__ import annotations

import contextlib
import math
import os
import time
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch

from .checkpoints import Checkpointer, checkpoint_dir, training_key
from .io import atomic_dir, write_result_json

# --------------------------------------------------------------------------------------- helpers


def encode_lm_texts(tokenizer, texts: Sequence[str], max_length: int) -> list[list[int]]:
    """Token ids of ``bos + text + eos`` for every text, truncated to `max_length` tokens."""
    if max_length < 2:
        raise ValueError("max_length must be >= 2")
    bos, eos = tokenizer.bos_token_id, tokenizer.eos_token_id
    if bos is None or eos is None:
        raise ValueError("tokenizer needs bos and eos tokens")
    enc = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    return [([bos] + ids + [eos])[:max_length] for ids in enc]


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


def _progress(total: int, desc: str, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, mininterval=2.0, dynamic_ncols=True)


# ----------------------------------------------------------------------------------------- model


def build_base_model(arch: dict, tokenizer):
    """A randomly initialised `LlamaForCausalLM` for `arch` with the tokenizer's vocabulary and ids.

    `arch` holds LlamaConfig fields (hidden_size, intermediate_size, num_hidden_layers,
    num_attention_heads, num_key_value_heads, max_position_embeddings, tie_word_embeddings, ...).
    Initialisation uses torch's global RNG: call `torch.manual_seed` first for reproducible weights.
    """
    from transformers import LlamaConfig, LlamaForCausalLM

    arch = dict(arch)
    for key in ("vocab_size", "bos_token_id", "eos_token_id", "pad_token_id"):
        if key in arch:
            raise ValueError(f"arch must not set {key}: it comes from the tokenizer")
    config = LlamaConfig(
        **arch,
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    if model.generation_config is not None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id
        model.generation_config.bos_token_id = tokenizer.bos_token_id
        model.generation_config.eos_token_id = tokenizer.eos_token_id
    return model


def _param_groups(model, weight_decay: float):
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim >= 2 else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    return groups


def pretrain_base_model(
    texts: Sequence[str],
    tokenizer,
    arch: dict,
    *,
    steps: int,
    batch_size: int,
    learning_rate: float,
    warmup_steps: int,
    max_length: int,
    seed: int,
    out_dir: str | os.PathLike | None,
    eval_texts: Sequence[str] | None = None,
    weight_decay: float = 0.1,
    betas: tuple[float, float] = (0.9, 0.95),
    schedule: str = "cosine",
    min_lr_ratio: float = 0.1,
    grad_clip: float = 1.0,
    device=None,
    progress: bool = True,
    return_model: bool = False,
    checkpoint_every: int = 0,
) -> dict:
    """Train a fresh Llama on `texts` for `steps` optimizer steps and save it (with the tokenizer). With
    `checkpoint_every` and an `out_dir`, resumable after a kill (lminterp/checkpoints.py).

    Returns metrics: ``train_loss`` (last step), ``train_loss_last10pct`` (mean of the last 10% of
    steps), ``eval_loss_initial`` / ``eval_loss`` (token-weighted held-out loss before/after
    training; only when `eval_texts` are given), ``steps``, ``seconds``, ``seconds_per_step``,
    ``tokens_per_second`` (non-pad tokens through the model per second of training),
    ``n_params``. With ``return_model=True`` the model is returned too, as ``(metrics, model)``.
    """
    if steps < 1 or batch_size < 1:
        raise ValueError("steps and batch_size must be >= 1")
    texts = list(texts)
    if not texts:
        raise ValueError("pretrain_base_model: no texts")
    dev = default_device(device)
    pad_id = pad_id_of(tokenizer)
    seqs = encode_lm_texts(tokenizer, texts, max_length)
    eval_seqs = encode_lm_texts(tokenizer, list(eval_texts), max_length) if eval_texts else None

    torch.manual_seed(seed)
    model = build_base_model(arch, tokenizer).to(dev)
    model.train()
    n_params = sum(p.numel() for p in model.parameters())

    metrics: dict = {"n_params": int(n_params), "n_texts": len(texts), "vocab_size": len(tokenizer)}
    if eval_seqs:
        metrics["eval_loss_initial"] = evaluate_lm_loss(model, eval_seqs, pad_id, device=dev)

    optimizer = adamw(_param_groups(model, weight_decay), dev, lr=learning_rate, betas=betas)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lr_lambda(warmup_steps, steps, schedule, min_lr_ratio)
    )
    stream = index_stream(len(seqs), np.random.default_rng(seed))
    ckpt = Checkpointer(checkpoint_dir(out_dir) if out_dir is not None else None, checkpoint_every,
                        training_key(texts=texts, arch=arch, vocab=len(tokenizer), steps=steps, batch_size=batch_size,
                                     learning_rate=learning_rate, warmup_steps=warmup_steps, max_length=max_length,
                                     seed=seed, weight_decay=weight_decay, betas=betas, schedule=schedule,
                                     min_lr_ratio=min_lr_ratio, grad_clip=grad_clip))
    losses, n_tokens, start = ckpt.resume(model, optimizer, scheduler,
                                          lambda n: [take(stream, batch_size) for _ in range(n)])
    t0 = time.perf_counter()
    bar = _progress(steps, "pretrain", progress)
    bar.update(start)
    for step in range(start, steps):
        batch = lm_batch([seqs[i] for i in take(stream, batch_size)], pad_id, dev)
        loss = lm_loss(model, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        scheduler.step()
        losses.append(float(loss.detach()))
        n_tokens += int(batch["attention_mask"].sum())
        bar.update(1)
        if step % 10 == 0 or step == steps - 1:
            bar.set_postfix(loss=f"{losses[-1]:.3f}", lr=f"{scheduler.get_last_lr()[0]:.2e}", refresh=False)
        if ckpt.due(step + 1, steps) and step + 1 < steps:
            ckpt.save_loop(step + 1, model, optimizer, scheduler, losses, n_tokens)
    bar.close()
    seconds = time.perf_counter() - t0

    tail = max(1, steps // 10)
    metrics.update(
        train_loss=losses[-1],
        train_loss_first=losses[0],
        train_loss_last10pct=float(np.mean(losses[-tail:])),
        steps=steps,
        batch_size=batch_size,
        seconds=seconds,
        seconds_per_step=seconds / steps,
        tokens_per_second=n_tokens / seconds if seconds > 0 else float("nan"),
        torch_threads=torch.get_num_threads(),
    )
    if eval_seqs:
        metrics["eval_loss"] = evaluate_lm_loss(model, eval_seqs, pad_id, device=dev)
    model.eval()

    if out_dir is not None:
        with hf_progress(progress):
            save_base_model(model, tokenizer, out_dir, metrics)
        ckpt.clear()
    return (metrics, model) if return_model else metrics


def save_base_model(model, tokenizer, out_dir: str | os.PathLike, metrics: dict | None = None) -> Path:
    """Save model (safetensors) + tokenizer (+ `training_metrics.json`) into `out_dir` atomically."""
    with atomic_dir(out_dir) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        if metrics is not None:
            write_result_json(Path(tmp) / "training_metrics.json", metrics)
    return Path(out_dir)


def load_base_model(path: str | os.PathLike, device=None, dtype=torch.float32, progress: bool = False,
                    attn_implementation: str | None = "auto", quantization: dict | None = None):
    """Load a saved base model (and its tokenizer): returns ``(model, tokenizer)`` in eval mode. With
    ``quantization={"quantization": "4bit", "compute_dtype": ...}`` (the config's lora settings) the base is loaded in
    NF4 as the anchors were trained on it; adapters then add their exact deltas on top (lminterp/mixing.py).

    ``attn_implementation="auto"`` picks ``eager`` on CPU (for one-token decoding steps over a short KV cache
    it is about 10% faster than SDPA's CPU kernel, measured on the tiny world) and transformers' default
    (SDPA) elsewhere; both compute the same attention."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dev = default_device(device)
    if attn_implementation == "auto":
        attn_implementation = "eager" if dev.type == "cpu" else None
    kwargs = {} if attn_implementation is None else {"attn_implementation": attn_implementation}
    if quantization and quantization.get("quantization") == "4bit":
        from lminterp.lora_training import load_4bit

        with hf_progress(progress):
            model = load_4bit(str(path), device=dev, compute_dtype=quantization.get("compute_dtype", "bfloat16"))
    else:
        with hf_progress(progress):
            model = AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype, **kwargs)
        model.to(dev)
    model.eval()
    return model, AutoTokenizer.from_pretrained(str(path))
