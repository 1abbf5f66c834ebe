"""Reading peft LoRA adapter directories into numpy, without torch or peft (shared by the torch adapter bank,
`lminterp.adapters`, and the weight-space figures, `lminterp.weight_space`).

An adapter directory (as written by peft's ``save_pretrained``) holds ``adapter_config.json`` (``r``,
``lora_alpha``, ``target_modules``, ``use_rslora``, ``rank_pattern``, ``alpha_pattern``, ...) and
``adapter_model.safetensors`` with keys such as ``base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight``
(shape ``r x d_in``) and ``...q_proj.lora_B.weight`` (shape ``d_out x r``). The weight delta of one adapter on one
module is ``dW = s * B @ A`` with peft's scaling ``s = lora_alpha / r`` (``lora_alpha / sqrt(r)`` with rsLoRA).
"""
from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any, Mapping

PEFT_PREFIX = "base_model.model."
# module.lora_A.weight   or   module.lora_A.<adapter_name>.weight
KEY_RE = re.compile(r"^(?P<module>.+)\.lora_(?P<which>[AB])(?:\.(?P<adapter>[^.]+))?\.weight$")


def pattern_get(pattern: Mapping[str, float], module_name: str, default):
    """peft's ``get_pattern_key`` semantics: a pattern key matches a module name ending in ``.key``."""
    for key, value in (pattern or {}).items():
        if re.match(rf"(.*\.)?({key})$", module_name):
            return value
    return default


def read_adapter_config(path: str | os.PathLike) -> dict:
    """The adapter's ``adapter_config.json``, checked to be a plain LoRA adapter this package can apply."""
    path = Path(path)
    cfg_path = path / "adapter_config.json"
    if not cfg_path.is_file():
        raise FileNotFoundError(f"no adapter_config.json in {path}")
    config = json.loads(cfg_path.read_text(encoding="utf-8"))
    peft_type = str(config.get("peft_type", "LORA")).upper()
    if peft_type != "LORA":
        raise ValueError(f"{path}: only LoRA adapters are supported, got peft_type={peft_type}")
    for flag in ("use_dora", "fan_in_fan_out"):
        if config.get(flag):
            raise NotImplementedError(f"{path}: LoRA with {flag}=True is not supported")
    if config.get("lora_bias"):
        raise NotImplementedError(f"{path}: LoRA with lora_bias=True is not supported")
    return config


def split_factors(path, config: dict, tensors: Mapping[str, Any]) -> dict[str, tuple[Any, Any, float]]:
    """``{module_name: (A, B, scaling)}`` from an adapter's tensors (any array type with ``.shape``), sorted by
    module name; ``module_name`` relative to the base model (e.g. ``model.layers.0.self_attn.q_proj``)."""
    parts: dict[str, dict[str, Any]] = {}
    for key, t in tensors.items():
        name = key[len(PEFT_PREFIX):] if key.startswith(PEFT_PREFIX) else key
        m = KEY_RE.match(name)
        if m is None:
            raise ValueError(f"{path}: unsupported tensor {key!r} (only lora_A/lora_B of linear layers are supported)")
        parts.setdefault(m.group("module"), {})[m.group("which")] = t
    use_rslora = bool(config.get("use_rslora", False))
    default_alpha = config.get("lora_alpha", config.get("r"))
    modules: dict[str, tuple[Any, Any, float]] = {}
    for module, ab in sorted(parts.items()):
        if set(ab) != {"A", "B"}:
            raise ValueError(f"{path}: module {module} lacks lora_A or lora_B")
        A, B = ab["A"], ab["B"]
        if len(A.shape) != 2 or len(B.shape) != 2 or A.shape[0] != B.shape[1]:
            raise ValueError(f"{path}: module {module}: bad LoRA shapes A{tuple(A.shape)} B{tuple(B.shape)}")
        r = A.shape[0]
        alpha = pattern_get(config.get("alpha_pattern") or {}, module, default_alpha)
        modules[module] = (A, B, float(alpha) / (math.sqrt(r) if use_rslora else r))
    return modules


def read_adapter_numpy(path: str | os.PathLike) -> tuple[dict, dict[str, tuple[Any, Any, float]]]:
    """``(config, {module_name: (A, B, scaling)})`` with A, B as float64 numpy arrays (safetensors only)."""
    import numpy as np
    from safetensors.numpy import load_file

    path = Path(path)
    config = read_adapter_config(path)
    st_path = path / "adapter_model.safetensors"
    if not st_path.is_file():
        raise FileNotFoundError(f"no adapter_model.safetensors in {path}")
    tensors = {k: np.asarray(v, dtype=np.float64) for k, v in load_file(str(st_path)).items()}
    return config, split_factors(path, config, tensors)
