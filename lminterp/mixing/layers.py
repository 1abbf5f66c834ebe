"""Per-row LoRA mixing: one batched forward pass serves many interpolated models.

:func:`attach_bank` replaces every linear layer targeted by an :class:`~lminterp.mixing.adapters.AdapterBank` with a
:class:`MixedLoRALinear` that computes, for batch row ``b`` with coefficient vector ``w[b]`` over the bank,

    out[b] = base(x[b]) + sum_k w[b, k] * s_k * (x[b] @ A_k^T) @ B_k^T
           = base(x[b]) + ((x[b] @ A_cat^T) * (w[b, col_adapter] * col_scale)) @ B_cat^T

i.e. the math of peft's ``add_weighted_adapter(..., combination_type="cat")`` with a different mixing vector per
row.  The base module (``nn.Linear`` or a quantised ``Linear4bit``) is only called, never modified.  Only rank
columns of adapters with a nonzero weight in some row are computed, and rows whose weights are all zero cost only
the base layer.  With no coefficients set (the default) the model is exactly the base model.

When the rows use different, small subsets of the bank (perplexity over many models, DExperts' expert rows),
the rows are split into groups with the same set of adapters and each group computes only its own columns (one
gather, two matmuls and one scatter-add per group); the union of columns is used instead when the estimated saving
does not pay for the extra operations (:data:`GROUP_OVERHEAD_MACS`).  Both give the same sums.

The coefficients are set per forward pass with :func:`set_row_weights` / :func:`row_weights`; the number of rows
must equal the batch size of the forward.
"""
from __future__ import annotations

import contextlib
from typing import Iterator, Mapping

import torch
from torch import nn

from lminterp.mixing.adapters import AdapterBank, delta_weights

__all__ = ["GROUP_OVERHEAD_MACS", "merged_state_dict", "MixState", "MixedLoRALinear", "attach_bank", "detach_bank", "get_bank",
           "set_row_weights", "row_weights"]

_STATE_ATTR = "_lminterp_mix_state"

#: Cost of one extra row group in multiply-adds: the fixed cost of its 4 small ops, ~20-30 us on a CPU core
#: (measured). Rows are grouped by adapter support when that saves more than this per group; 0 = always group
#: when there are several supports, ``float("inf")`` = never. On an accelerator the same launch overhead is
#: worth far more multiply-adds: there the constant is multiplied by :data:`ACCELERATOR_FACTOR` (an estimate,
#: not measured; it only decides speed, never results).
GROUP_OVERHEAD_MACS: float = 1.0e6
ACCELERATOR_FACTOR: float = 1.0e3


class _Layout:
    """Column layout shared by modules with identical adapter spans and scalings."""

    def __init__(self, col_adapter: torch.Tensor, col_scale: torch.Tensor):
        self.col_adapter = col_adapter
        self.col_scale = col_scale


class MixState:
    """Row coefficients shared by all wrapped modules of one model (plus per-forward derived quantities)."""

    def __init__(self, bank: AdapterBank):
        self.bank = bank
        self.coeff: torch.Tensor | None = None  # (N, K)
        self.version = 0
        self._prepared: dict[int, tuple] = {}

    def set(self, coeff: torch.Tensor | None) -> None:
        if coeff is not None:
            if coeff.dim() != 2 or coeff.shape[1] != len(self.bank):
                raise ValueError(f"row weights must be (rows, {len(self.bank)}), got {tuple(coeff.shape)}")
            if not bool(coeff.any()):
                coeff = None
        self.coeff = coeff
        self.version += 1
        self._prepared = {}

    def _col_weights(self, layout: _Layout, device: torch.device) -> torch.Tensor:
        """(N, R): each row's weight on each rank column of the layout, times the column's adapter scaling."""
        key = ("col_w", id(layout))
        got = self._prepared.get(key)
        if got is None:
            coeff = self.coeff.to(device=device, dtype=torch.float32)
            got = self._prepared[key] = coeff[:, layout.col_adapter.to(device)] * layout.col_scale.to(device)[None, :]
        return got

    def prepare(self, layout: _Layout, device: torch.device):
        """For a layout: (rows index | None, cols index | None, per-row column scale (n, R')) or None if no-op."""
        key = id(layout)
        got = self._prepared.get(key)
        if got is not None:
            return got
        col_w = self._col_weights(layout, device)                            # (N, R)
        nz = col_w != 0
        cols_mask = nz.any(0)
        if not bool(cols_mask.any()):
            got = (None, None, None, False)
        else:
            rows_mask = nz.any(1)
            rows = None if bool(rows_mask.all()) else rows_mask.nonzero().squeeze(1)
            cols = None if bool(cols_mask.all()) else cols_mask.nonzero().squeeze(1)
            scale = col_w
            if rows is not None:
                scale = scale.index_select(0, rows)
            if cols is not None:
                scale = scale.index_select(1, cols)
            got = (rows, cols, scale.contiguous(), True)
        self._prepared[key] = got
        return got

    def groups(self, layout: _Layout, device: torch.device):
        """Rows split by the set of this layout's adapters they use: ``(total row-columns of the groups,
        [(rows index, cols index, per-row column scale (n_g, c_g))])``; groups of rows using no adapter are left
        out.  None when all active rows use the same set (the union is then exact)."""
        key = ("groups", id(layout))
        if key in self._prepared:
            return self._prepared[key]
        got = None
        coeff = self.coeff.to(device=device, dtype=torch.float32)
        col_adapter = layout.col_adapter.to(device)
        adapters = torch.unique(col_adapter)                          # bank indices present in this layout
        support = coeff.index_select(1, adapters) != 0                # (N, K')
        patterns, inverse = torch.unique(support, dim=0, return_inverse=True)
        active = patterns.any(1)
        if int(active.sum()) > 1:
            col_w = self._col_weights(layout, device)
            groups, total = [], 0
            for g in active.nonzero().flatten().tolist():
                rows = (inverse == g).nonzero().flatten()
                cols = torch.isin(col_adapter, adapters[patterns[g]]).nonzero().flatten()
                groups.append((rows, cols, col_w.index_select(0, rows).index_select(1, cols).contiguous()))
                total += rows.numel() * cols.numel()
            got = (total, groups)
        self._prepared[key] = got
        return got


class MixedLoRALinear(nn.Module):
    """``base(x) + per-row mixture of LoRA deltas`` (see module docstring)."""

    def __init__(self, base: nn.Module, A: torch.Tensor, B: torch.Tensor, layout: _Layout, state: MixState,
                 name: str = ""):
        super().__init__()
        self.base = base
        self.name = name
        self.layout = layout
        self.state = state
        self.register_buffer("lora_A", A, persistent=False)            # (R, d_in)
        self.register_buffer("lora_Bt", B.t().contiguous(), persistent=False)  # (R, d_out)
        self._cache_key = None
        self._cache = None
        self._group_key = None
        self._group_cache: list = []

    @property
    def in_features(self) -> int:
        return self.lora_A.shape[1]

    @property
    def out_features(self) -> int:
        return self.lora_Bt.shape[1]

    @property
    def weight(self):  # so that code inspecting `.weight` (dtype/device) keeps working
        return self.base.weight

    def extra_repr(self) -> str:
        return f"in={self.in_features}, out={self.out_features}, rank_cols={self.lora_A.shape[0]}"

    def _factors(self, cols, dtype, version):
        key = (version, dtype)
        if self._cache_key != key:
            A, Bt = self.lora_A, self.lora_Bt
            if cols is not None:
                A, Bt = A.index_select(0, cols), Bt.index_select(0, cols)
            self._cache = (A.t().to(dtype).contiguous(), Bt.to(dtype).contiguous())  # (d_in, R'), (R', d_out)
            self._cache_key = key
        return self._cache

    def _group_factors(self, groups, dtype, version):
        key = (version, dtype)
        if self._group_key != key:
            self._group_cache = [(self.lora_A.index_select(0, cols).t().to(dtype).contiguous(),
                                  self.lora_Bt.index_select(0, cols).to(dtype).contiguous())
                                 for _, cols, _ in groups]
            self._group_key = key
        return self._group_cache

    def _grouped(self, x, out, groups, version):
        inplace = not torch.is_grad_enabled() or torch.is_inference_mode_enabled()
        for (rows, _, scale), (At, Bt) in zip(groups, self._group_factors(groups, x.dtype, version)):
            h = x.index_select(0, rows) @ At                         # (n_g, ..., c_g)
            h = h * scale.to(h.dtype).view(scale.shape[0], *([1] * (h.dim() - 2)), scale.shape[1])
            d = (h @ Bt).to(out.dtype)
            out = out.index_add_(0, rows, d) if inplace else out.index_add(0, rows, d)
        return out

    def forward(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        out = self.base(x, *args, **kwargs)
        st = self.state
        if st.coeff is None:
            return out
        if st.coeff.shape[0] != x.shape[0]:
            raise RuntimeError(f"{self.name}: {st.coeff.shape[0]} row weight vectors for a batch of {x.shape[0]}")
        rows, cols, scale, active = st.prepare(self.layout, x.device)
        if not active:
            return out
        if GROUP_OVERHEAD_MACS != float("inf"):
            grouped = st.groups(self.layout, x.device)
            if grouped is not None:
                total, groups = grouped
                per_col = (x.numel() // max(x.shape[0], 1) // max(x.shape[-1], 1)) * (self.in_features
                                                                                       + self.out_features)
                union = scale.shape[0] * scale.shape[1] * per_col
                overhead = GROUP_OVERHEAD_MACS * (1.0 if x.device.type == "cpu" else ACCELERATOR_FACTOR)
                if total * per_col + len(groups) * overhead < union:
                    return self._grouped(x, out, groups, st.version)
        At, Bt = self._factors(cols, x.dtype, st.version)
        xs = x if rows is None else x.index_select(0, rows)
        h = xs @ At                                                   # (n, ..., R')
        h = h * scale.to(h.dtype).view(scale.shape[0], *([1] * (h.dim() - 2)), scale.shape[1])
        d = (h @ Bt).to(out.dtype)                                   # (n, ..., d_out)
        inplace = not torch.is_grad_enabled() or torch.is_inference_mode_enabled()
        if rows is None:
            return out.add_(d) if inplace else out + d
        if inplace:
            return out.index_add_(0, rows, d)
        return out.index_add(0, rows, d)


def _get_submodule_parent(model: nn.Module, name: str) -> tuple[nn.Module, str]:
    if "." in name:
        parent_name, child = name.rsplit(".", 1)
        return model.get_submodule(parent_name), child
    return model, name


def _module_device(mod: nn.Module) -> torch.device:
    for p in mod.parameters():
        return p.device
    for b in mod.buffers():
        return b.device
    return torch.device("cpu")


def _model_float_dtype(model: nn.Module) -> torch.dtype:
    for p in model.parameters():
        if p.is_floating_point():
            return p.dtype
    return torch.float32


def get_bank(model: nn.Module) -> AdapterBank | None:
    st = getattr(model, _STATE_ATTR, None)
    return None if st is None else st.bank


def attach_bank(model: nn.Module, bank: AdapterBank, *, dtype: torch.dtype | None = None) -> None:
    """Wrap every linear layer targeted by ``bank`` (idempotent; a different bank replaces the previous one).

    ``dtype`` of the stored factors defaults to the model's floating-point dtype.  After attaching, the model
    computes the base model until row weights are set with :func:`set_row_weights`.
    """
    st = getattr(model, _STATE_ATTR, None)
    if st is not None and st.bank is bank:
        return
    if st is not None:
        detach_bank(model)
    dtype = dtype or _model_float_dtype(model)
    state = MixState(bank)
    layouts: dict[tuple, _Layout] = {}
    # check everything before modifying the model
    targets = []
    for name, mf in bank.modules.items():
        try:
            mod = model.get_submodule(name)
        except AttributeError as e:
            raise KeyError(f"bank module {name!r} not found in the model") from e
        in_f = getattr(mod, "in_features", None)
        out_f = getattr(mod, "out_features", None)
        if in_f is None or out_f is None:
            raise TypeError(f"{name} is a {type(mod).__name__}, not a linear layer")
        if (in_f, out_f) != (mf.in_features, mf.out_features):
            raise ValueError(f"{name}: layer is {in_f}->{out_f} but adapters are {mf.in_features}->{mf.out_features}")
        targets.append((name, mod, mf))
    for name, mod, mf in targets:
        key = mf.layout_key()
        layout = layouts.get(key)
        if layout is None:
            layout = layouts[key] = _Layout(mf.col_adapter.clone(), mf.col_scale.clone())
        dev = _module_device(mod)
        wrapper = MixedLoRALinear(mod, mf.A.to(device=dev, dtype=dtype), mf.B.to(device=dev, dtype=dtype),
                                  layout, state, name=name)
        parent, child = _get_submodule_parent(model, name)
        setattr(parent, child, wrapper)
    object.__setattr__(model, _STATE_ATTR, state)


def detach_bank(model: nn.Module) -> None:
    """Undo :func:`attach_bank` (puts the original base modules back)."""
    st = getattr(model, _STATE_ATTR, None)
    if st is None:
        return
    for name, mod in list(model.named_modules()):
        if isinstance(mod, MixedLoRALinear) and mod.state is st:
            parent, child = _get_submodule_parent(model, name)
            setattr(parent, child, mod.base)
    object.__delattr__(model, _STATE_ATTR)


def set_row_weights(model: nn.Module, coeff: torch.Tensor | None) -> None:
    """Set the (rows, K) coefficient matrix used by the next forward passes (None or all zeros = base model)."""
    st = getattr(model, _STATE_ATTR, None)
    if st is None:
        if coeff is not None and bool(coeff.any()):
            raise RuntimeError("no adapter bank attached to this model (call attach_bank first)")
        return
    st.set(coeff)


@contextlib.contextmanager
def row_weights(model: nn.Module, coeff: torch.Tensor | None) -> Iterator[None]:
    """Context manager: set row weights, restore the previous ones afterwards."""
    st = getattr(model, _STATE_ATTR, None)
    prev = None if st is None else st.coeff
    set_row_weights(model, coeff)
    try:
        yield
    finally:
        if st is not None:
            st.set(prev)
def _unwrapped_state_dict(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """``model.state_dict()`` with the keys of modules wrapped by :func:`lminterp.mixing.layers.attach_bank` restored."""
    wrapped = [name for name, mod in model.named_modules() if isinstance(mod, MixedLoRALinear)]
    sd = model.state_dict()
    if not wrapped:
        return dict(sd)
    out = {}
    for key, t in sd.items():
        for name in wrapped:
            pre = f"{name}.base."
            if key.startswith(pre):
                key = f"{name}.{key[len(pre):]}"
                break
        out[key] = t
    return out


def merged_state_dict(
    base_model: torch.nn.Module,
    bank: AdapterBank,
    coeffs: Mapping[str, float],
) -> dict[str, torch.Tensor]:
    """State dict of ``base_model`` with ``theta_pre + sum_k w_k s_k B_k A_k`` merged into every targeted weight.

    The delta is computed in float64, added to the float64 base weight and cast back to the weight's dtype.
    Works on a model with or without an attached bank (keys are those of the plain model).
    """
    sd = _unwrapped_state_dict(base_model)
    deltas = delta_weights(bank, coeffs, dtype=torch.float64)
    for module, d in deltas.items():
        key = f"{module}.weight"
        if key not in sd:
            raise KeyError(f"the model has no parameter {key}")
        W = sd[key]
        if not W.is_floating_point():
            raise TypeError(f"{key} is not a floating-point weight (quantised?); cannot merge")
        if tuple(W.shape) != tuple(d.shape):
            raise ValueError(f"{key}: weight shape {tuple(W.shape)} != delta shape {tuple(d.shape)}")
        sd[key] = (W.detach().to(torch.float64) + d.to(W.device)).to(W.dtype)
    return sd


