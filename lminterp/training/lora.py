"""Training LoRA anchor adapters on a frozen base model (peft), one or several per process.

`train_lora_adapter` trains one adapter; `train_lora_adapters` trains several from ONE loaded base
model (the pipeline trains both anchors of an attribute in one job). Between adapters the LoRA
layers are removed again with peft's ``unload()`` (no merge), and the base weights are checked to be
exactly what they were before the first adapter (`BaseModelChanged` otherwise). Every adapter is
trained from the same RNG state (``torch.manual_seed(seed)`` before the LoRA weights are created,
numpy Generator(seed) for the data order), so an adapter trained second in a process is identical
to the same adapter trained alone.

Adapters are saved with peft's ``save_pretrained`` (adapter_config.json +
adapter_model.safetensors, plus training_metrics.json), so that
``PeftModel.from_pretrained(base, out_dir)`` loads them.

``quantization="4bit"`` (paper world) loads the base with bitsandbytes NF4 with double quantisation
(`compute_dtype`, bf16 by default) and applies ``peft.prepare_model_for_kbit_training``; the forward pass then runs
under autocast to that dtype. On a machine without CUDA, bitsandbytes' CPU backend runs the same path (tests).
"""
from __future__ import annotations

import math
import os
import time
import warnings
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from lminterp.training.adapter_files import normalise_adapter_config, write_base_record
from lminterp.training.checkpoints import Checkpointer, checkpoint_dir, training_key
from lminterp.io import atomic_dir, write_result_json
from lminterp.training.loop import (
    adamw,
    default_device,
    hf_progress,
    encode_lm_texts,
    evaluate_lm_loss,
    index_stream,
    lm_batch,
    lm_loss,
    lr_lambda,
    pad_id_of,
    take,
    optimizer_step,
    progress_bar,
)
from lminterp.training.models import load_4bit

DEFAULT_TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
_EMBEDDING_NAMES = ("embed_tokens", "lm_head", "wte", "embed_in", "embed_out")


@dataclass(frozen=True)
class LoraSettings:
    """How one adapter is trained: peft's LoRA shape (r, lora_alpha, dropout, target_modules) and the loop's settings.
    Exactly one of `steps` and `epochs`. The workflow builds it from the config's ``lora`` section
    (:meth:`from_config`); a job of :func:`train_lora_adapters` may override any field."""

    r: int
    lora_alpha: float
    dropout: float
    learning_rate: float
    batch_size: int
    max_length: int
    seed: int
    target_modules: tuple[str, ...] = DEFAULT_TARGET_MODULES
    steps: int | None = None
    epochs: float | None = None
    warmup_ratio: float = 0.05
    schedule: str = "linear"
    min_lr_ratio: float = 0.0
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    end_with_eos: bool = True   # each training text ends with the eos token (lora.end_with_eos)

    def __post_init__(self):
        object.__setattr__(self, "target_modules", tuple(self.target_modules))

    def with_(self, **changes) -> "LoraSettings":
        """A copy with `changes`; giving one of steps / epochs clears the other."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise TypeError(f"unknown LoRA settings {sorted(unknown)}")
        if "steps" in changes and "epochs" not in changes:
            changes["epochs"] = None
        if "epochs" in changes and "steps" not in changes:
            changes["steps"] = None
        return replace(self, **changes)

    @classmethod
    def from_config(cls, lora: dict, seed: int) -> tuple["LoraSettings", dict]:
        """The settings of the config's ``lora`` section (``alpha`` is peft's lora_alpha), and the loading options
        (quantization, compute_dtype) apart."""
        lora = dict(lora)
        loading = {k: lora.pop(k) for k in ("quantization", "compute_dtype") if k in lora}
        return cls(lora_alpha=lora.pop("alpha"), seed=seed, **lora), loading


class BaseModelChanged(RuntimeError):
    """The base weights differ after an adapter was trained and removed."""


# ----------------------------------------------------------------------------------- base model


def load_base_for_lora(base_dir_or_id: str | os.PathLike, quantization: str | None = None, device=None,
                       compute_dtype: str = "bfloat16"):
    """Load the base causal LM for LoRA training (frozen; 4-bit NF4 with double quantisation when quantization ==
    '4bit', the paper's QLoRA, computing in `compute_dtype`)."""
    from transformers import AutoModelForCausalLM

    name = str(base_dir_or_id)
    if quantization is None:
        model = AutoModelForCausalLM.from_pretrained(name, dtype=torch.float32)
        model.to(default_device(device))
    elif quantization == "4bit":
        model = load_4bit(name, device=device, compute_dtype=compute_dtype)
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=_model_device(model).type == "cuda")
    else:
        raise ValueError(f"unknown quantization {quantization!r} (None or '4bit')")
    model.config.use_cache = False
    return model


def _model_device(model) -> torch.device:
    return next(model.parameters()).device


class _BaseSnapshot:
    """Exact copy of a small base model's tensors (or, above `max_bytes`, per-tensor checksums)."""

    def __init__(self, model, max_bytes: int = 1 << 30):
        sd = model.state_dict()
        nbytes = sum(t.numel() * t.element_size() for t in sd.values())
        self.exact = nbytes <= max_bytes
        self.items = {k: self._summary(v) for k, v in sd.items()}

    def _summary(self, t: torch.Tensor):
        t = t.detach()
        if self.exact:
            return t.to("cpu", copy=True)
        d = t.double() if t.is_floating_point() else t.to(torch.float64)
        return (tuple(t.shape), float(d.sum()), float(d.abs().sum()))

    def check(self, model) -> None:
        sd = model.state_dict()
        if set(sd) != set(self.items):
            extra, missing = sorted(set(sd) - set(self.items)), sorted(set(self.items) - set(sd))
            raise BaseModelChanged(f"base state_dict keys changed: extra={extra[:5]} missing={missing[:5]}")
        for k, ref in self.items.items():
            now = self._summary(sd[k])
            same = torch.equal(now, ref) if self.exact else now == ref
            if not same:
                raise BaseModelChanged(f"base weight {k} changed while training/removing an adapter")


# ------------------------------------------------------------------------------------- training


class MaskDropout(torch.nn.Module):
    """Inverted dropout, ``x * (u >= p) / (1 - p)`` with ``u ~ U[0, 1)`` from ``torch.rand_like``: the same
    distribution as ``nn.Dropout(p)`` in training mode (identity in eval mode), about 3x faster on CPU, where
    ``torch.dropout`` draws its Bernoulli mask element by element (measured: 0.9 vs 0.3 ms for a 16 x 60 x 96
    activation with gradients). Peft applies one LoRA dropout per adapted module (21 per step in the tiny
    world), so this is a fifth of a tiny-world LoRA step."""

    def __init__(self, p: float):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = float(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = torch.rand_like(x, dtype=torch.float32) >= self.p   # float32 uniforms: exact p for bf16 inputs too
        return x * keep * (1.0 / (1.0 - self.p))

    def extra_repr(self) -> str:
        return f"p={self.p}"


def use_mask_dropout(peft_model) -> int:
    """Replace peft's LoRA ``nn.Dropout`` modules by :class:`MaskDropout` (same p); returns how many."""
    n = 0
    for module in peft_model.modules():
        drops = getattr(module, "lora_dropout", None)
        if isinstance(drops, torch.nn.ModuleDict):
            for key, d in list(drops.items()):
                if isinstance(d, torch.nn.Dropout):
                    drops[key] = MaskDropout(d.p)
                    n += 1
    return n


def _resolve_steps(n_texts: int, batch_size: int, steps: int | None, epochs: float | None) -> int:
    if (steps is None) == (epochs is None):
        raise ValueError("give exactly one of steps or epochs")
    if steps is not None:
        if steps < 1:
            raise ValueError("steps must be >= 1")
        return int(steps)
    if epochs <= 0:
        raise ValueError("epochs must be > 0")
    return max(1, math.ceil(epochs * n_texts / batch_size))


def _train_one(model, tokenizer, texts: Sequence[str], settings: LoraSettings, *, out_dir,
               eval_texts: Sequence[str] | None, autocast_dtype, progress: bool, desc: str, checkpoint_every: int = 0):
    """Wrap `model` with a fresh LoRA adapter, train it, save it, and return (metrics, unloaded base). With
    `checkpoint_every` and an `out_dir`, the loop's state is saved every that many steps (and at the end) beside
    the output and resumed from when the same training is run again (lminterp/training/checkpoints.py)."""
    from peft import LoraConfig, get_peft_model

    s = settings
    texts = list(texts)
    if not texts:
        raise ValueError("no training texts for the adapter")
    n_steps = _resolve_steps(len(texts), s.batch_size, s.steps, s.epochs)
    dev = _model_device(model)
    pad_id = pad_id_of(tokenizer)
    seqs = encode_lm_texts(tokenizer, texts, s.max_length, eos=s.end_with_eos)
    eval_seqs = (encode_lm_texts(tokenizer, list(eval_texts), s.max_length, eos=s.end_with_eos)
                 if eval_texts else None)

    target_modules = list(s.target_modules)
    loop = {k: v for k, v in asdict(s).items() if k not in ("steps", "epochs")}
    ckpt = Checkpointer(checkpoint_dir(out_dir) if out_dir is not None else None, checkpoint_every,
                        training_key(texts=texts, n_steps=n_steps, **loop, base=base_digest(model),
                                     autocast=str(autocast_dtype)))
    config = LoraConfig(
        task_type="CAUSAL_LM",
        r=int(s.r),
        lora_alpha=s.lora_alpha,
        lora_dropout=float(s.dropout),
        target_modules=target_modules,
        bias="none",
    )
    torch.manual_seed(s.seed)  # LoRA A init (kaiming uniform) and LoRA dropout masks
    peft_model = get_peft_model(model, config)
    if dev.type == "cpu":
        use_mask_dropout(peft_model)
    n_trainable = sum(p.numel() for p in peft_model.parameters() if p.requires_grad)

    def autocast():
        if autocast_dtype is None:
            return torch.autocast(device_type=dev.type, enabled=False)
        return torch.autocast(device_type=dev.type, dtype=autocast_dtype)

    metrics: dict = {"n_texts": len(texts), "n_trainable_params": int(n_trainable), "r": int(s.r),
                     "lora_alpha": s.lora_alpha, "dropout": float(s.dropout), "target_modules": target_modules,
                     "seed": int(s.seed), "learning_rate": s.learning_rate, "batch_size": s.batch_size,
                     "max_length": int(s.max_length),
                     "quantization": "4bit" if getattr(peft_model.get_base_model(), "is_loaded_in_4bit", False)
                     else "none"}
    if eval_seqs:
        with autocast():
            metrics["eval_loss_initial"] = evaluate_lm_loss(peft_model, eval_seqs, pad_id, device=dev)

    params = [p for p in peft_model.parameters() if p.requires_grad]
    optimizer = adamw(params, params[0].device, lr=s.learning_rate, weight_decay=s.weight_decay)
    warmup = int(round(s.warmup_ratio * n_steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(warmup, n_steps, s.schedule, s.min_lr_ratio))
    stream = index_stream(len(seqs), np.random.default_rng(s.seed))

    peft_model.train()
    losses, n_tokens, start = ckpt.resume(peft_model, optimizer, scheduler,
                                          lambda n: [take(stream, s.batch_size) for _ in range(n)])
    t0 = time.perf_counter()
    bar = progress_bar(n_steps, desc, progress)
    bar.update(start)
    for step in range(start, n_steps):
        batch = lm_batch([seqs[i] for i in take(stream, s.batch_size)], pad_id, dev)
        with autocast():
            loss = lm_loss(peft_model, batch)
        losses.append(optimizer_step(loss, params, optimizer, scheduler, s.grad_clip))
        n_tokens += int(batch["attention_mask"].sum())
        bar.update(1)
        if step % 10 == 0 or step == n_steps - 1:
            bar.set_postfix(loss=f"{losses[-1]:.3f}", refresh=False)
        if ckpt.due(step + 1, n_steps):
            ckpt.save_loop(step + 1, peft_model, optimizer, scheduler, losses, n_tokens)
    bar.close()
    seconds = time.perf_counter() - t0
    peft_model.eval()

    tail = max(1, n_steps // 10)
    metrics.update(
        train_loss=losses[-1],
        train_loss_first=losses[0],
        train_loss_last10pct=float(np.mean(losses[-tail:])),
        steps=n_steps,
        epochs=n_steps * s.batch_size / len(texts),
        seconds=seconds,
        seconds_per_step=seconds / n_steps,
        tokens_per_second=n_tokens / seconds if seconds > 0 else float("nan"),
        torch_threads=torch.get_num_threads(),
    )
    if eval_seqs:
        with autocast():
            metrics["eval_loss"] = evaluate_lm_loss(peft_model, eval_seqs, pad_id, device=dev)

    if out_dir is not None:
        save_embeddings = any(any(e in m for e in _EMBEDDING_NAMES) for m in target_modules)
        with atomic_dir(out_dir) as tmp:
            peft_model.save_pretrained(tmp, save_embedding_layers=save_embeddings)
            normalise_adapter_config(tmp)
            write_base_record(tmp, peft_model.get_base_model().config.to_dict())
            write_result_json(Path(tmp) / "training_metrics.json", metrics)

    base = peft_model.unload()  # remove the LoRA layers without merging
    for attr in ("peft_config", "_hf_peft_config_loaded"):
        if attr in base.__dict__:
            delattr(base, attr)
    del peft_model, optimizer, params
    return metrics, base


def base_digest(model: torch.nn.Module) -> str:
    """A cheap fingerprint of a base model's weights (names, shapes, sums), so that a checkpoint trained on another
    base (one retrained since) is never resumed from."""
    import hashlib

    h = hashlib.sha256()
    with torch.no_grad():
        for name, p in model.named_parameters():
            h.update(f"{name}{tuple(p.shape)}{float(p.detach().float().sum()):.9e}".encode())
    return h.hexdigest()


def train_lora_adapters(
    base_dir_or_model,
    tokenizer,
    jobs: Sequence[dict],
    settings: LoraSettings,
    *,
    quantization: str | None = None,
    compute_dtype: str = "bfloat16",
    device=None,
    progress: bool = True,
    verify_base: bool = True,
    checkpoint_every: int = 0,
) -> list[dict]:
    """Train several LoRA adapters, one after another, on one loaded base model (with `checkpoint_every`, each
    resumable after a kill; the checkpoints are deleted once every adapter is saved).

    `jobs` is a list of dicts, each with ``texts`` and ``out_dir`` and optionally ``eval_texts``,
    ``name`` (progress-bar label) and overrides of any field of `settings` (``seed``, ``steps``,
    ``epochs``, ``learning_rate``, ``r``, ...).
    `base_dir_or_model` is a saved model dir / hub id (loaded once, see `load_base_for_lora`) or an
    already loaded `PreTrainedModel` (used in place; its weights are restored, not changed).
    `tokenizer` may be None when `base_dir_or_model` is a path with a tokenizer.
    Returns one metrics dict per job (with ``base_unchanged`` = True once verified).
    """
    if isinstance(base_dir_or_model, (str, os.PathLike)):
        with hf_progress(progress):
            model = load_base_for_lora(base_dir_or_model, quantization=quantization, device=device,
                                       compute_dtype=compute_dtype)
        if tokenizer is None:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(str(base_dir_or_model))
    else:
        model = base_dir_or_model
        if quantization is not None and not getattr(model, "is_loaded_in_4bit", False):
            raise ValueError("a model passed in must already be quantized when quantization is set")
        if device is not None:
            model.to(default_device(device))
    if tokenizer is None:
        raise ValueError("tokenizer is required when a model object is passed")
    from peft import PeftModel

    if isinstance(model, PeftModel):
        raise TypeError("pass the base model, not a PeftModel")
    for p in model.parameters():
        p.requires_grad_(False)

    # the 4-bit layers compute in compute_dtype; autocast brings the rest along (CPU autocast knows only 16-bit types)
    autocast_dtype = getattr(torch, compute_dtype) if quantization == "4bit" and compute_dtype != "float32" else None
    snapshot = _BaseSnapshot(model) if verify_base else None
    results = []
    for k, job in enumerate(jobs):
        job = dict(job)
        texts = job.pop("texts")
        out_dir = job.pop("out_dir")
        eval_texts = job.pop("eval_texts", None)
        name = job.pop("name", Path(out_dir).name if out_dir is not None else f"adapter{k}")
        job_settings = settings.with_(**job)
        with warnings.catch_warnings():
            # peft asks transformers' deprecated `is_gradient_checkpointing` on every call: noise only
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
            metrics, model = _train_one(
                model, tokenizer, texts, job_settings, out_dir=out_dir, eval_texts=eval_texts,
                autocast_dtype=autocast_dtype, progress=progress, desc=f"lora {name}", checkpoint_every=checkpoint_every,
            )
        if snapshot is not None:
            snapshot.check(model)
            metrics["base_unchanged"] = True
            if out_dir is not None:
                write_result_json(Path(out_dir) / "training_metrics.json", metrics)
        metrics["quantization"] = quantization
        results.append(metrics)
    for job in jobs:                        # every adapter is written: the checkpoints have served
        if job.get("out_dir") is not None:
            Checkpointer(checkpoint_dir(job["out_dir"]), 1, "").clear()
    return results


def train_lora_adapter(base_dir_or_model, tokenizer, texts: Sequence[str], settings: LoraSettings, *, out_dir,
                       eval_texts: Sequence[str] | None = None, **options) -> dict:
    """Train one LoRA adapter on `texts` (causal LM loss on ``<s> text </s>``) and save it to `out_dir`.
    `options` as in `train_lora_adapters`."""
    job = {"texts": texts, "out_dir": out_dir, "eval_texts": eval_texts}
    return train_lora_adapters(base_dir_or_model, tokenizer, [job], settings, **options)[0]


def train_lora_from_config(base_dir, jobs: Sequence[dict], lora: dict, seed: int, checkpoint_every: int = 0) -> list[dict]:
    """`train_lora_adapters` with the hyperparameters of the config's ``lora`` section (:meth:`LoraSettings.from_config`),
    as the workflow's training jobs call it.
    Without quantization, bitsandbytes is hidden from the job before peft is imported (see
    `lminterp.runtime.hide_bitsandbytes`)."""
    from lminterp.runtime import hide_bitsandbytes

    settings, loading = LoraSettings.from_config(lora, seed)
    if not loading.get("quantization"):
        hide_bitsandbytes()
    return train_lora_adapters(base_dir, None, jobs, settings, checkpoint_every=checkpoint_every, **loading)
