"""Figures of the paper (matplotlib, Agg backend; no torch, no file names of results).

Shared style (method labels/colours, fonts, deterministic PDF saving) plus the entanglement heat maps
of Figs. 8 and 16 (Kangaslahti & Alvarez-Melis 2024, Sec. 3.2.2). Curve plots elsewhere reuse
:func:`style`, :func:`method_style` and :func:`save_pdf`.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from lminterp.io import atomic_path  # noqa: E402


# --------------------------------------------------------------------------------------------
# Shared style
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MethodStyle:
    """How one method is drawn in every figure."""

    label: str
    color: str
    marker: str
    linestyle: str


# Okabe-Ito colour-blind-safe colours; GT in black (it is the reference in Fig. 2 / Table 1).
METHOD_STYLES: dict[str, MethodStyle] = {
    "interp": MethodStyle("Weight interpolation", "#0072B2", "o", "-"),
    "dexperts": MethodStyle("DExperts", "#D55E00", "s", "--"),
    "arith": MethodStyle("Model arithmetic", "#009E73", "^", "-."),
    "gt": MethodStyle("Fine-tuned (GT)", "#000000", "D", ":"),
    "prompted": MethodStyle("Prompted chat model", "#CC79A7", "v", "--"),
}

_METHOD_ALIASES: dict[str, str] = {
    "interpolation": "interp",
    "weight_interpolation": "interp",
    "linear_interpolation": "interp",
    "dexpert": "dexperts",
    "arithmetic": "arith",
    "modelarithmetic": "arith",
    "ma": "arith",
    "model_arithmetic": "arith",
    "ground_truth": "gt",
    "fine_tuned": "gt",
    "finetuned": "gt",
    "prompt": "prompted",
    "chat": "prompted",
}

# Base rcParams of every figure: readable sizes, TrueType fonts in PDFs (editable, deterministic).
STYLE_RC: dict[str, object] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 12,
    "pdf.fonttype": 42,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def canonical_method(key: str) -> str:
    """Normalise a method key ("DExperts", "model-arithmetic", "interpolation", ...) to a style key."""
    k = str(key).strip().lower().replace("-", "_").replace(" ", "_")
    return _METHOD_ALIASES.get(k, k)


def method_style(key: str) -> MethodStyle:
    """Style of a method; unknown methods get a grey style labelled with their key."""
    return METHOD_STYLES.get(canonical_method(key), MethodStyle(str(key), "#7F7F7F", "x", "-"))


def method_label(key: str) -> str:
    """Display label of a method, e.g. ``"interp" -> "Weight interpolation"``."""
    return method_style(key).label


def attribute_label(attr: str) -> str:
    """Display label of an attribute column, e.g. ``"sentiment" -> "Sentiment"``."""
    return str(attr).replace("_", " ").capitalize()


@contextlib.contextmanager
def style() -> Iterator[None]:
    """Context in which every figure of the package is drawn (does not leak global rcParams)."""
    with plt.rc_context(STYLE_RC):
        yield


def save_pdf(fig: plt.Figure, out_pdf: str | os.PathLike) -> None:
    """Write ``fig`` atomically as a byte-reproducible PDF (no CreationDate) and close it."""
    try:
        with atomic_path(out_pdf) as tmp:
            fig.savefig(tmp, format="pdf", metadata={"CreationDate": None})
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------------------------
# Entanglement heat maps (Figs. 8 and 16)
# --------------------------------------------------------------------------------------------
def _long_to_matrix(long_df: pd.DataFrame, method: str, attributes: Sequence[str]) -> np.ndarray:
    sub = long_df[long_df["method"] == method]
    if sub.empty:
        raise ValueError(f"plot_entanglement_heatmaps: no rows for method {method!r}")
    dup = sub.duplicated(["attribute_i", "attribute_j"])
    if dup.any():
        raise ValueError(f"method {method!r}: duplicate (attribute_i, attribute_j) rows "
                         f"{sub.loc[dup, ['attribute_i', 'attribute_j']].values.tolist()}")
    mat = (sub.pivot(index="attribute_i", columns="attribute_j", values="auc")
              .reindex(index=list(attributes), columns=list(attributes)))
    out = mat.to_numpy(dtype=float, copy=True)
    np.fill_diagonal(out, np.nan)
    return out


def _annotate(ax: plt.Axes, values: np.ndarray, cmap, norm) -> None:
    n = values.shape[0]
    for r in range(n):
        for c in range(n):
            if r == c:
                continue
            v = values[r, c]
            if not np.isfinite(v):
                ax.text(c, r, "n/a", ha="center", va="center", fontsize=8, color="#555555")
                continue
            red, green, blue, _ = cmap(norm(v))
            dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
            ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=9,
                    color="white" if dark else "black")


def plot_entanglement_heatmaps(long_df: pd.DataFrame, attributes: Sequence[str], methods: Sequence[str],
                               out_pdf: str | os.PathLike, title: str | None = None,
                               cmap: str = "Reds") -> None:
    """One n x n entanglement heat map per method, side by side (Figs. 8 and 16, Sec. 3.2.2).

    ``long_df`` has columns ``method, attribute_i, attribute_j, auc`` (see
    :func:`lminterp.metrics.matrices_to_long`). Rows are attribute i (alpha_i held fixed: 1 in
    Fig. 8, 0 in Fig. 16; the caller says which through ``title``), columns attribute j (alpha_j
    varied over {0, .25, .5, .75, 1}). Cells are annotated with 2 decimals; the colour scale is shared
    across methods, from 0 to the largest AUC; the diagonal is masked (blank light grey, not 0);
    off-diagonal cells without a value are grey and read "n/a". ``methods`` gives the panel order and the values of the
    ``method`` column; panel titles come from :func:`method_label`.
    """
    need = {"method", "attribute_i", "attribute_j", "auc"}
    if not need <= set(long_df.columns):
        raise KeyError(f"long_df needs columns {sorted(need)}, has {list(long_df.columns)}")
    attrs, methods = list(attributes), list(methods)
    if not attrs or not methods:
        raise ValueError("need at least one attribute and one method")
    mats = [_long_to_matrix(long_df, m, attrs) for m in methods]
    finite = np.concatenate([m[np.isfinite(m)] for m in mats])
    vmax = float(finite.max()) if finite.size else 0.0
    vmax = vmax if vmax > 0 else 1.0
    labels = [attribute_label(a) for a in attrs]
    n = len(attrs)

    with style():
        # masked cells (diagonal, missing values) in light grey so that they never read as AUC = 0
        cm = plt.get_cmap(cmap).with_extremes(bad="#EBEBEB")
        norm = matplotlib.colors.Normalize(vmin=0.0, vmax=vmax)
        panel = max(3.0, 0.8 * n)  # inches per method: 4 for five attributes -> 13 x 4.8 for Fig. 8
        fig, axes = plt.subplots(1, len(methods), figsize=(panel * len(methods) + 1.0, panel + 0.8),
                                 squeeze=False, layout="constrained")
        axes = axes[0]
        im = None
        for k, (ax, method, mat) in enumerate(zip(axes, methods, mats)):
            im = ax.imshow(np.ma.masked_invalid(mat), cmap=cm, norm=norm, aspect="auto")
            _annotate(ax, mat, cm, norm)
            ax.set_title(method_label(method))
            ax.set_xticks(range(n), labels, rotation=40, ha="right", rotation_mode="anchor")
            ax.set_yticks(range(n), labels if k == 0 else [""] * n)
            ax.set_xlabel(r"attribute $j$ (varied $\alpha_j$)")
            if k == 0:
                ax.set_ylabel(r"attribute $i$ (fixed $\alpha_i$)")
            ax.tick_params(length=0)
            for side in ("top", "right", "bottom", "left"):
                ax.spines[side].set_visible(False)
        cbar = fig.colorbar(im, ax=list(axes), shrink=0.85, pad=0.02)
        cbar.set_label("Entanglement AUC")
        if title:
            fig.suptitle(title)
        save_pdf(fig, out_pdf)
