"""LoRA adapter bank: reads peft-format adapter directories without peft and gives exact merged weights.

An adapter directory (as written by peft's ``save_pretrained``) holds ``adapter_config.json`` (``r``,
``lora_alpha``, ``target_modules``, ``use_rslora``, ``rank_pattern``, ``alpha_pattern``, ...) and
``adapter_model.safetensors`` with keys such as
``base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`` (shape ``r x d_in``) and
``...q_proj.lora_B.weight`` (shape ``d_out x r``).  The weight delta of one adapter on one module is
``dW = s * B @ A`` with peft's scaling ``s = lora_alpha / r`` (``lora_alpha / sqrt(r)`` with rsLoRA).

An :class:`AdapterBank` holds K adapters and, for every targeted module, the concatenation of their factors:
``A_cat`` (sum_k r_k x d_in), ``B_cat`` (d_out x sum_k r_k), the adapter index of each rank column and the
scaling of each column.  A coefficient vector ``w`` over the bank gives the model
``theta = theta_pre + sum_k w_k s_k B_k A_k`` -- exactly peft's ``add_weighted_adapter(..., combination_type="cat")``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

import torch

from lminterp.training.adapter_files import check_adapter, read_adapter_config, split_factors

__all__ = [
    "ModuleFactors",
    "AdapterBank",
    "load_peft_adapter",
    "delta_weights",
]

def load_peft_adapter(path: str | os.PathLike) -> tuple[dict, dict[str, tuple[torch.Tensor, torch.Tensor, float]]]:
    """Read one peft LoRA adapter directory (:mod:`lminterp.training.adapter_files`).

    Returns ``(config, {module_name: (A, B, scaling)})`` where ``module_name`` is relative to the base model
    (e.g. ``model.layers.0.self_attn.q_proj`` for a ``LlamaForCausalLM``), ``A`` is ``r x d_in``, ``B`` is
    ``d_out x r`` (tensors as stored) and ``scaling`` is peft's ``lora_alpha / r`` (or ``/ sqrt(r)`` with rsLoRA).
    """
    from safetensors.torch import load_file

    path = Path(path)
    config = read_adapter_config(path)
    st_path = path / "adapter_model.safetensors"
    if st_path.is_file():
        tensors = load_file(str(st_path))
    elif (path / "adapter_model.bin").is_file():
        tensors = torch.load(path / "adapter_model.bin", map_location="cpu", weights_only=True)
    else:
        raise FileNotFoundError(f"no adapter_model.safetensors in {path}")
    return config, split_factors(path, config, tensors)


@dataclass
class ModuleFactors:
    """Concatenated LoRA factors of all bank adapters that target one module."""

    A: torch.Tensor            # (R, d_in), R = sum of ranks of the adapters present on this module
    B: torch.Tensor            # (d_out, R)
    col_adapter: torch.Tensor  # (R,) long: bank index of the adapter owning each rank column
    col_scale: torch.Tensor    # (R,) float32: that adapter's scaling s_k on this module
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)  # bank index -> [start, stop) columns

    @property
    def in_features(self) -> int:
        return self.A.shape[1]

    @property
    def out_features(self) -> int:
        return self.B.shape[0]

    def layout_key(self) -> tuple:
        """Modules with the same key share the same column -> adapter mapping and scalings."""
        return tuple((k, b - a) for k, (a, b) in self.spans.items()) + (tuple(self.col_scale.tolist()),)


class AdapterBank:
    """K named LoRA adapters, stored per module as concatenated factors (see module docstring)."""

    def __init__(
        self,
        adapters: Mapping[str, Mapping[str, tuple[torch.Tensor, torch.Tensor, float]]],
        *,
        dtype: torch.dtype = torch.float32,
        configs: Mapping[str, dict] | None = None,
    ):
        if not adapters:
            raise ValueError("an AdapterBank needs at least one adapter")
        self.names: list[str] = list(adapters)
        self.index: dict[str, int] = {n: i for i, n in enumerate(self.names)}
        self.configs: dict[str, dict] = dict(configs or {})
        module_names = sorted({m for mods in adapters.values() for m in mods})
        self.modules: dict[str, ModuleFactors] = {}
        for module in module_names:
            As, Bs, cols, scales, spans = [], [], [], [], {}
            start = 0
            shape = None
            for k, name in enumerate(self.names):
                if module not in adapters[name]:
                    continue
                A, B, s = adapters[name][module]
                if shape is None:
                    shape = (B.shape[0], A.shape[1])
                elif shape != (B.shape[0], A.shape[1]):
                    raise ValueError(f"adapter {name!r} has shape {(B.shape[0], A.shape[1])} on {module}, "
                                     f"others {shape}")
                r = A.shape[0]
                As.append(A.to(dtype))
                Bs.append(B.to(dtype))
                cols.append(torch.full((r,), k, dtype=torch.long))
                scales.append(torch.full((r,), float(s), dtype=torch.float32))
                spans[k] = (start, start + r)
                start += r
            self.modules[module] = ModuleFactors(
                A=torch.cat(As, 0).contiguous(),
                B=torch.cat(Bs, 1).contiguous(),
                col_adapter=torch.cat(cols),
                col_scale=torch.cat(scales),
                spans=spans,
            )

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dirs(cls, dirs: Mapping[str, str | os.PathLike], *, dtype: torch.dtype = torch.float32,
                  base: torch.nn.Module | None = None) -> "AdapterBank":
        """Load ``{name: peft adapter directory}`` (the order of the mapping is the bank order). With ``base``,
        every adapter is first checked against that model (:func:`lminterp.training.adapter_files.check_adapter`)."""
        adapters, configs = {}, {}
        linear = None if base is None else {n: (m.in_features, m.out_features) for n, m in base.named_modules()
                                            if isinstance(m, torch.nn.Linear)}
        for name, path in dirs.items():
            configs[name], adapters[name] = load_peft_adapter(path)
            if base is not None:
                check_adapter(path, configs[name], adapters[name], base_config=base.config.to_dict(),
                              base_linear=linear)
        return cls(adapters, dtype=dtype, configs=configs)

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, name: str) -> bool:
        return name in self.index

    def __repr__(self) -> str:
        return f"AdapterBank(names={self.names}, modules={len(self.modules)})"

    @property
    def module_names(self) -> list[str]:
        return list(self.modules)

    def factors(self, name: str, module: str) -> tuple[torch.Tensor, torch.Tensor, float] | None:
        """``(A, B, scaling)`` of one adapter on one module (views into the bank), or None if not targeted."""
        mf = self.modules[module]
        k = self.index[name]
        if k not in mf.spans:
            return None
        a, b = mf.spans[k]
        return mf.A[a:b], mf.B[:, a:b], float(mf.col_scale[a])

    def coeff_vector(self, weights: Mapping[str, float] | Iterable[tuple[str, float]],
                     dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Dense (K,) coefficient vector from ``{name: w}`` (repeated names add up); unknown names raise."""
        items = weights.items() if isinstance(weights, Mapping) else weights
        w = torch.zeros(len(self.names), dtype=torch.float64)
        for name, value in items:
            if name not in self.index:
                raise KeyError(f"adapter {name!r} is not in the bank {self.names}")
            w[self.index[name]] += float(value)
        return w.to(dtype)


def delta_weights(
    bank: AdapterBank,
    coeffs: Mapping[str, float],
    dtype: torch.dtype = torch.float64,
    modules: Iterable[str] | None = None,
) -> dict[str, torch.Tensor]:
    """Exact merged weight deltas ``{module: sum_k w_k s_k B_k @ A_k}`` (shape d_out x d_in) in ``dtype``.

    Every bank module is returned (zeros where no adapter with nonzero weight targets it).
    """
    w = bank.coeff_vector(coeffs, dtype=torch.float64)
    out: dict[str, torch.Tensor] = {}
    for module in (bank.module_names if modules is None else modules):
        mf = bank.modules[module]
        col_w = (w[mf.col_adapter] * mf.col_scale.to(torch.float64)).to(dtype)
        A = mf.A.to(dtype)
        B = mf.B.to(dtype)
        out[module] = (B * col_w[None, :]) @ A
    return out


