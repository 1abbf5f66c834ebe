"""Pretraining the tiny world's base language model (a small Llama) from scratch.

A plain torch loop (AdamW, linear warmup then cosine decay, gradient clipping at 1.0). Every text
is encoded as ``<s> text </s>``, truncated to `max_length`, and batches are padded on the right to
their longest member with label -100 on the pads. Seeded: `torch.manual_seed(seed)` before the
weights are initialised and a numpy Generator for the data order, so two runs on the same machine
(and the same number of torch threads) give identical weights.

The loop's helpers (batches, loss, schedule, data order, AdamW) are in `lminterp.training.loop`, shared with the
LoRA and classifier loops; loading a saved base for inference is `lminterp.training.models`.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from lminterp.training.checkpoints import Checkpointer, checkpoint_dir, training_key
from lminterp.io import atomic_dir, write_result_json
from lminterp.training.loop import (adamw, default_device, encode_lm_texts, evaluate_lm_loss, hf_progress, index_stream,
                                    lm_batch, lm_loss, lr_lambda, optimizer_step, pad_id_of, progress_bar, take)

# --------------------------------------------------------------------------------------- helpers


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
    `checkpoint_every` and an `out_dir`, resumable after a kill (lminterp/training/checkpoints.py).

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
    bar = progress_bar(steps, "pretrain", progress)
    bar.update(start)
    for step in range(start, steps):
        batch = lm_batch([seqs[i] for i in take(stream, batch_size)], pad_id, dev)
        loss = lm_loss(model, batch)
        losses.append(optimizer_step(loss, model.parameters(), optimizer, scheduler, grad_clip))
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


