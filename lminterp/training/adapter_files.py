"""Reading peft LoRA adapter directories into numpy, without torch or peft (shared by the torch adapter bank,
`lminterp.mixing.adapters`, and the weight-space figures, `lminterp.numbers.weight_space`).

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


def normalise_adapter_config(path: str | os.PathLike) -> None:
    """Rewrite an adapter directory's adapter_config.json in a fixed order: peft keeps `target_modules` as a set,
    whose order follows the process's string hashing, so two identical trainings wrote different bytes."""
    cfg_path = Path(path) / "adapter_config.json"
    config = json.loads(cfg_path.read_text(encoding="utf-8"))
    if isinstance(config.get("target_modules"), list):
        config["target_modules"] = sorted(config["target_modules"])
    cfg_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# ------------------------------------------------------------------------------- adapters vs their base model
BASE_FILE = "lminterp_base.json"       # written beside every adapter this package trains
_NOT_ARCHITECTURE = {"_name_or_path", "transformers_version", "torch_dtype", "dtype", "quantization_config",
                     "use_cache", "_attn_implementation_autoset", "attn_implementation", "_commit_hash"}


def base_fingerprint(model_config: Mapping) -> str:
    """A hash of a base model's architecture (its config without paths, versions, dtypes and quantization: an
    adapter trained on the 4-bit base applies to the same model in any precision)."""
    import hashlib

    arch = {k: v for k, v in dict(model_config).items() if k not in _NOT_ARCHITECTURE}
    return hashlib.sha256(json.dumps(arch, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _describe(model_config: Mapping) -> str:
    c = dict(model_config)
    return (f"{c.get('model_type')}, hidden {c.get('hidden_size')}, {c.get('num_hidden_layers')} layers, "
            f"vocab {c.get('vocab_size')}")


def write_base_record(adapter_dir: str | os.PathLike, model_config: Mapping) -> None:
    """Record which base model an adapter was trained on (checked by :func:`check_adapter` when it is loaded)."""
    record = {"fingerprint": base_fingerprint(model_config), "base": _describe(model_config)}
    (Path(adapter_dir) / BASE_FILE).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")


def _targeted(name: str, target_modules) -> bool:
    """peft's rule: a list names module-name suffixes, a string is a regular expression on the full name."""
    if isinstance(target_modules, str):
        return re.fullmatch(target_modules, name) is not None
    return any(name == t or name.endswith(f".{t}") for t in target_modules or ())


def check_adapter(path: str | os.PathLike, config: Mapping, modules: Mapping[str, tuple[Any, Any, float]], *,
                  base_config: Mapping, base_linear: Mapping[str, tuple[int, int]]) -> None:
    """Refuse an adapter that does not fit the base model it is about to be applied to, naming the file and what
    differs: another base (fingerprint), a rank other than its config's, a module its target_modules names but
    whose factors are missing (peft would leave that layer unadapted without a word: the strict=False trap), a
    module the base lacks, or factors of the wrong shape. `base_linear`: the base's linear layers, name ->
    (in_features, out_features)."""
    path = Path(path)
    record_path = path / BASE_FILE
    if not record_path.is_file():
        raise ValueError(f"{path}: no {BASE_FILE}, so nothing says which base model this adapter was trained on; "
                         "retrain it with this workflow (delete the directory and rebuild)")
    record = json.loads(record_path.read_text())
    if record.get("fingerprint") != base_fingerprint(base_config):
        raise ValueError(f"{path}: trained on another base model ({record.get('base')}) than the one it is applied "
                         f"to ({_describe(base_config)}); retrain it (delete the directory and rebuild) or set "
                         "base_model back to the model it was trained on")
    r_default = config.get("r")
    for module, (A, B, _) in modules.items():
        r = pattern_get(config.get("rank_pattern") or {}, module, r_default)
        if A.shape[0] != r:
            raise ValueError(f"{path}: module {module} has rank {A.shape[0]}, adapter_config.json says r = {r}")
    targets = config.get("target_modules")
    expected = {n for n in base_linear if _targeted(n, targets)}
    missing = sorted(expected - set(modules))
    if missing:
        raise ValueError(f"{path}: adapter_model.safetensors lacks the LoRA factors of {len(missing)} of the "
                         f"{len(expected)} layers its target_modules {targets} name (first: {missing[0]}); the file "
                         "is damaged or from another run: delete the directory and rebuild")
    unknown = sorted(set(modules) - set(base_linear))
    if unknown:
        raise ValueError(f"{path}: factors for {len(unknown)} layers the base model does not have as linear layers "
                         f"(first: {unknown[0]})")
    untargeted = sorted(set(modules) - expected)
    if untargeted:
        raise ValueError(f"{path}: factors for layers its target_modules {targets} do not name (first: "
                         f"{untargeted[0]}): adapter_config.json and the weights disagree")
    for module, (A, B, _) in modules.items():
        d_in, d_out = base_linear[module]
        if (A.shape[1], B.shape[0]) != (d_in, d_out):
            raise ValueError(f"{path}: module {module} maps {A.shape[1]}->{B.shape[0]} but the base layer is "
                             f"{d_in}->{d_out}")

