"""Attribute classifiers (binary, RoBERTa): train, save, load, score.

Tiny world: a small `RobertaForSequenceClassification` built from a config on the world's own
tokenizer. Paper world: the same `train_classifier` fine-tunes a pretrained ``roberta-base``
(hub id or local dir) with ``num_labels=2``.

Texts are encoded with the tokenizer's own special tokens (``<s> text`` for the tiny tokenizer,
``<s> text </s>`` for roberta-base), truncated to `max_length` and padded on the RIGHT (RoBERTa
classifies from the first position, so left padding would break it; the tokenizer's stored
padding side is ignored). RoBERTa numbers positions from ``pad_token_id + 1``, so
``max_position_embeddings`` must be at least ``max_length + pad_token_id + 1``.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from lminterp.io import atomic_dir, write_result_json
from lminterp.training.loop import adamw, default_device, hf_progress, lr_lambda, optimizer_step, progress_bar


def _needed_positions(max_length: int, pad_id: int) -> int:
    return int(max_length) + int(pad_id) + 1


def build_classifier(arch: dict, tokenizer, max_length: int = 128, num_labels: int = 2):
    """A randomly initialised `RobertaForSequenceClassification` on `tokenizer`'s vocabulary.

    `arch` holds RobertaConfig fields (hidden_size, num_hidden_layers, num_attention_heads,
    intermediate_size, dropout probabilities, ...). ``max_position_embeddings`` defaults to what
    `max_length` needs given RoBERTa's padding offset (an explicit smaller value is an error).
    Initialisation uses torch's global RNG (seed it first).
    """
    from transformers import RobertaConfig, RobertaForSequenceClassification

    arch = dict(arch)
    for key in ("vocab_size", "pad_token_id", "bos_token_id", "eos_token_id", "num_labels"):
        if key in arch:
            raise ValueError(f"arch must not set {key}")
    pad_id = tokenizer.pad_token_id
    if pad_id is None:
        raise ValueError("tokenizer needs a pad token")
    needed = _needed_positions(max_length, pad_id)
    if arch.get("max_position_embeddings", needed) < needed:
        raise ValueError(
            f"max_position_embeddings={arch['max_position_embeddings']} < {needed} needed for "
            f"max_length={max_length} with pad_token_id={pad_id} (RoBERTa position offset)"
        )
    arch.setdefault("max_position_embeddings", needed)
    arch.setdefault("type_vocab_size", 1)
    config = RobertaConfig(
        **arch,
        vocab_size=len(tokenizer),
        pad_token_id=pad_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        num_labels=num_labels,
    )
    return RobertaForSequenceClassification(config)


def base_embeddings(base: str | os.PathLike | None) -> torch.Tensor | None:
    """The input embedding table (vocabulary x width, float32) of the causal LM at `base` (None: None)."""
    if base is None:
        return None
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
    return model.get_input_embeddings().weight.detach().clone()


def start_embeddings(model, table: torch.Tensor) -> None:
    """Copy `table` into the classifier's token embeddings (its first rows; the widths must agree)."""
    weight = model.get_input_embeddings().weight
    if table.shape[1] != weight.shape[1]:
        raise ValueError(f"the base model's embeddings are {table.shape[1]} wide but the classifier's are "
                         f"{weight.shape[1]}: set classifier.architecture.hidden_size to {table.shape[1]} (with "
                         "num_attention_heads dividing it), or leave out sources.classifier_encoder.embeddings")
    rows = min(table.shape[0], weight.shape[0])
    with torch.no_grad():
        weight[:rows] = table[:rows].to(weight.dtype)


def _max_length_for(model, requested: int | None) -> int:
    limit = model.config.max_position_embeddings - model.config.pad_token_id - 1
    if requested is None:
        return int(limit)
    if requested > limit:
        raise ValueError(f"max_length={requested} exceeds what the model's positions allow ({limit})")
    return int(requested)


def _encode(tokenizer, texts: Sequence[str], max_length: int, device) -> dict[str, torch.Tensor]:
    enc = tokenizer(
        list(texts), truncation=True, max_length=max_length, padding=True, padding_side="right",
        return_tensors="pt",
    )
    return {"input_ids": enc["input_ids"].to(device), "attention_mask": enc["attention_mask"].to(device)}


def _model_device(model) -> torch.device:
    return next(model.parameters()).device


@torch.inference_mode()
def predict_logits(model, tokenizer, texts: Sequence[str], batch_size: int = 256,
                   max_length: int | None = None) -> np.ndarray:
    """Logits (n, num_labels) as float32, in the order of `texts` (batched by length internally)."""
    texts = [str(t) for t in texts]
    out = np.zeros((len(texts), model.config.num_labels), dtype=np.float32)
    if not texts:
        return out
    max_length = _max_length_for(model, max_length)
    was_training = model.training
    model.eval()
    device = _model_device(model)
    lengths = [len(t) for t in texts]
    order = np.argsort(lengths, kind="stable")
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        batch = _encode(tokenizer, [texts[i] for i in idx], max_length, device)
        out[idx] = model(**batch).logits.float().cpu().numpy()
    model.train(was_training)
    return out


def score_texts(model, tokenizer, texts: Sequence[str], batch_size: int = 256,
                max_length: int | None = None) -> np.ndarray:
    """P(class 1) = softmax(logits)[:, 1] for every text, as a float64 array in [0, 1]."""
    logits = torch.from_numpy(predict_logits(model, tokenizer, texts, batch_size, max_length)).double()
    if logits.shape[0] == 0:
        return np.zeros(0, dtype=np.float64)
    return torch.softmax(logits, dim=-1)[:, 1].numpy()


def accuracy(model, tokenizer, records: Sequence[dict], batch_size: int = 256,
             max_length: int | None = None) -> float:
    return loss_and_accuracy(model, tokenizer, records, batch_size, max_length)[1]


def loss_and_accuracy(model, tokenizer, records: Sequence[dict], batch_size: int = 256,
                      max_length: int | None = None) -> tuple[float, float]:
    """Mean cross-entropy and accuracy on records ``{"text", "label"}``."""
    if not records:
        return float("nan"), float("nan")
    logits = predict_logits(model, tokenizer, [r["text"] for r in records], batch_size, max_length)
    labels = np.asarray([int(r["label"]) for r in records])
    loss = torch.nn.functional.cross_entropy(torch.from_numpy(logits).double(), torch.from_numpy(labels))
    return float(loss), float((logits.argmax(-1) == labels).mean())


def train_classifier(
    train_records: Sequence[dict],
    validation_records: Sequence[dict],
    test_records: Sequence[dict] | None,
    tokenizer,
    arch_or_pretrained_id,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    max_length: int,
    seed: int,
    out_dir: str | os.PathLike | None,
    weight_decay: float = 0.01,
    warmup_ratio: float = 0.06,
    grad_clip: float = 1.0,
    eval_batch_size: int = 256,
    device=None,
    progress: bool = True,
    return_model: bool = False,
    init_embeddings: torch.Tensor | None = None,
) -> dict:
    """Train a binary classifier on records ``{"text", "label"}``; keep the best-validation epoch.

    `arch_or_pretrained_id`: a dict (tiny RoBERTa from config, see `build_classifier`) or a hub
    id / local dir of a pretrained RoBERTa (loaded with ``num_labels=2``). `tokenizer` may be None
    for a pretrained id (its own tokenizer is loaded). After every epoch the validation accuracy is
    measured; the weights of the epoch with the lowest validation log-loss are restored at the end, scored
    on `test_records`, and saved (model + tokenizer + metrics.json) into `out_dir` atomically.

    `init_embeddings` (a scratch classifier only): a (vocabulary, hidden_size) table its token embeddings start from,
    e.g. the base model's (`base_embeddings`); rows beyond it (tokens added to the tokenizer) keep their random start.

    Metrics: ``val_accuracy`` (best), ``best_epoch``, ``test_accuracy``, ``history`` (per epoch
    train loss / val accuracy), ``seconds``, ``seconds_per_epoch``, ``n_params``, ...
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    train_records = list(train_records)
    validation_records = list(validation_records)
    test_records = list(test_records or [])
    if not train_records or not validation_records:
        raise ValueError("train_classifier needs training and validation records")
    dev = default_device(device)

    torch.manual_seed(seed)
    if isinstance(arch_or_pretrained_id, dict):
        if tokenizer is None:
            raise ValueError("a tokenizer is required with an arch dict")
        model = build_classifier(arch_or_pretrained_id, tokenizer, max_length=max_length)
        source = "config"
        if init_embeddings is not None:
            start_embeddings(model, init_embeddings)
            source = "config, token embeddings of the base model"
    else:
        name = str(arch_or_pretrained_id)
        with hf_progress(progress):
            if tokenizer is None:
                tokenizer = AutoTokenizer.from_pretrained(name)
            model = AutoModelForSequenceClassification.from_pretrained(name, num_labels=2, dtype=torch.float32)
        source = name
        if init_embeddings is not None:
            raise ValueError("init_embeddings is for a classifier trained from scratch (sources.classifier_encoder: "
                             "{scratch: true, embeddings: base}), not for a pretrained encoder")
    model.to(dev)
    max_length = _max_length_for(model, max_length)

    seqs = tokenizer([r["text"] for r in train_records], truncation=True, max_length=max_length)["input_ids"]
    labels = np.asarray([int(r["label"]) for r in train_records], dtype=np.int64)
    pad_id = tokenizer.pad_token_id
    n = len(seqs)
    steps_per_epoch = (n + batch_size - 1) // batch_size
    total_steps = steps_per_epoch * epochs

    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    optimizer = adamw(
        [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}], dev,
        lr=learning_rate,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lr_lambda(int(round(warmup_ratio * total_steps)), total_steps, "linear", 0.0)
    )
    rng = np.random.default_rng(seed)

    history = []
    best_loss, best_acc, best_epoch, best_state = float("inf"), -1.0, -1, None
    t0 = time.perf_counter()
    bar = progress_bar(total_steps, "classifier", progress)
    for epoch in range(epochs):
        te = time.perf_counter()
        model.train()
        perm = rng.permutation(n)
        losses = []
        for start in range(0, n, batch_size):
            idx = perm[start : start + batch_size]
            width = max(len(seqs[i]) for i in idx)
            input_ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
            attention_mask = torch.zeros((len(idx), width), dtype=torch.long)
            for j, i in enumerate(idx):
                input_ids[j, : len(seqs[i])] = torch.as_tensor(seqs[i])
                attention_mask[j, : len(seqs[i])] = 1
            y = torch.as_tensor(labels[idx]).to(dev)
            logits = model(input_ids=input_ids.to(dev), attention_mask=attention_mask.to(dev)).logits
            loss = torch.nn.functional.cross_entropy(logits.float(), y)
            losses.append(optimizer_step(loss, model.parameters(), optimizer, scheduler, grad_clip))
            bar.update(1)
        train_seconds = time.perf_counter() - te
        val_loss, val_acc = loss_and_accuracy(model, tokenizer, validation_records, eval_batch_size, max_length)
        history.append({"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "val_accuracy": val_acc,
                        "val_loss": val_loss,
                        "train_seconds": train_seconds, "seconds": time.perf_counter() - te})
        bar.set_postfix(loss=f"{np.mean(losses):.3f}", val_acc=f"{val_acc:.3f}", refresh=False)
        # Select on validation log-loss, not accuracy: accuracy saturates at 1.0 early, when the scores
        # (P(class 1), what every figure reports) are still timid; log-loss keeps them calibrated and sharp.
        if val_loss < best_loss:
            best_loss, best_acc, best_epoch = val_loss, val_acc, epoch + 1
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
    bar.close()
    seconds = time.perf_counter() - t0
    model.load_state_dict(best_state)
    model.eval()

    metrics = {
        "source": source,
        "n_params": int(sum(p.numel() for p in model.parameters())),
        "n_train": n,
        "n_validation": len(validation_records),
        "n_test": len(test_records),
        "epochs": epochs,
        "best_epoch": best_epoch,
        "val_accuracy": best_acc,
        "val_loss": best_loss,
        "test_accuracy": accuracy(model, tokenizer, test_records, eval_batch_size, max_length),
        "max_length": max_length,
        "history": history,
        "seconds": seconds,
        "seconds_per_epoch": seconds / epochs,
        "train_seconds_per_epoch": float(np.mean([h["train_seconds"] for h in history])),
        "torch_threads": torch.get_num_threads(),
    }
    if out_dir is not None:
        with atomic_dir(out_dir) as tmp, hf_progress(progress):
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            write_result_json(Path(tmp) / "metrics.json", metrics)
    return (metrics, model) if return_model else metrics


def load_classifier(path: str | os.PathLike, device=None, progress: bool = False):
    """Load a classifier saved by `train_classifier`: returns ``(model, tokenizer)`` in eval mode."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    with hf_progress(progress):
        model = AutoModelForSequenceClassification.from_pretrained(str(path), dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(str(path))
    model.to(default_device(device))
    model.eval()
    return model, tokenizer
