"""Loading a base causal LM for inference: a directory saved here or a converted hub model, in float32 or in 4-bit
NF4 as the paper's anchors were trained (no training code, so generation and perplexity jobs do not rerun when a
training loop changes)."""
from __future__ import annotations

import os

import torch

from lminterp.training.loop import default_device, hf_progress


def load_base_model(path: str | os.PathLike, device=None, dtype=torch.float32, progress: bool = False,
                    attn_implementation: str | None = "auto", quantization: dict | None = None):
    """Load a saved base model (and its tokenizer): returns ``(model, tokenizer)`` in eval mode. With
    ``quantization={"quantization": "4bit", "compute_dtype": ...}`` (the config's lora settings) the base is loaded in
    NF4 as the anchors were trained on it; adapters then add their exact deltas on top (lminterp/mixing/layers.py).

    ``attn_implementation="auto"`` picks ``eager`` on CPU (for one-token decoding steps over a short KV cache
    it is about 10% faster than SDPA's CPU kernel, measured on the tiny world) and transformers' default
    (SDPA) elsewhere; both compute the same attention."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dev = default_device(device)
    if attn_implementation == "auto":
        attn_implementation = "eager" if dev.type == "cpu" else None
    kwargs = {} if attn_implementation is None else {"attn_implementation": attn_implementation}
    if quantization and quantization.get("quantization") == "4bit":
        with hf_progress(progress):
            model = load_4bit(str(path), device=dev, compute_dtype=quantization.get("compute_dtype", "bfloat16"))
    else:
        with hf_progress(progress):
            model = AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype, **kwargs)
        model.to(dev)
    model.eval()
    return model, AutoTokenizer.from_pretrained(str(path))


def load_4bit(name: str, device=None, compute_dtype: str = "bfloat16"):
    """A causal LM with its linear layers in bitsandbytes NF4 with double quantisation (the paper's QLoRA), computing
    in `compute_dtype`: on the CUDA GPU when there is one, else on the CPU (bitsandbytes' CPU backend: slow, for
    tests and small models; the paper world needs a GPU)."""
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    dtype = getattr(torch, compute_dtype)
    bnb = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                             bnb_4bit_compute_dtype=dtype)
    dev = default_device(device)
    where = (dev.index if dev.index is not None else torch.cuda.current_device()) if dev.type == "cuda" else "cpu"
    return AutoModelForCausalLM.from_pretrained(name, quantization_config=bnb, dtype=dtype, device_map={"": where})


