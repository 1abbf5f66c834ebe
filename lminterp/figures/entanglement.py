"""Entanglement heat maps (figs. 8 and 16): one n x n map of AUCs per method, drawn from the figure's CSV
(:mod:`lminterp.numbers.entanglement`)."""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd

from lminterp.figures.style import plt, save_figure, style
from lminterp.labels import attribute_label, method_label


def _long_to_matrix(long_df: pd.DataFrame, method: str, attributes: Sequence[str], value: str = "auc") -> np.ndarray:
    sub = long_df[long_df["method"] == method]
    if sub.empty:
        raise ValueError(f"plot_entanglement_heatmaps: no rows for method {method!r}")
    dup = sub.duplicated(["attribute_i", "attribute_j"])
    if dup.any():
        raise ValueError(f"method {method!r}: duplicate (attribute_i, attribute_j) rows "
                         f"{sub.loc[dup, ['attribute_i', 'attribute_j']].values.tolist()}")
    mat = (sub.pivot(index="attribute_i", columns="attribute_j", values=value)
              .reindex(index=list(attributes), columns=list(attributes)))
    out = mat.to_numpy(dtype=float, copy=True)
    np.fill_diagonal(out, np.nan)
    return out



def _cell_labels(values: np.ndarray, intervals: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """Annotation of each cell: the value (2 decimals) and, with intervals, "[lo, hi]" under it (an AUC's interval is
    not symmetric about its value, so no "± half-width")."""
    out = np.full(values.shape, "", dtype=object)
    for idx, v in np.ndenumerate(values):
        if np.isfinite(v):
            out[idx] = f"{v:.2f}"
            if intervals is not None and np.isfinite(intervals[0][idx]) and np.isfinite(intervals[1][idx]):
                out[idx] += f"\n[{intervals[0][idx]:.2f}, {intervals[1][idx]:.2f}]"
    return out


def plot_entanglement_heatmaps(long_df: pd.DataFrame, attributes: Sequence[str], methods: Sequence[str],
                               out_pdf: str | os.PathLike, title: str | None = None,
                               cmap: str = "Reds") -> None:
    """One n x n entanglement heat map per method, side by side (Figs. 8 and 16, Sec. 3.2.2).

    ``long_df`` has columns ``method, attribute_i, attribute_j, auc`` (see
    :func:`lminterp.numbers.entanglement.matrices_to_long`), and optionally ``auc_lo, auc_hi`` (a 95 % interval, printed
    as "[lo, hi]" under each value). Rows are attribute i (alpha_i held fixed: 1 in
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
    intervals = [None] * len(methods)
    if {"auc_lo", "auc_hi"} <= set(long_df.columns):   # 95 % intervals: printed as "[lo, hi]" in each cell
        intervals = [(_long_to_matrix(long_df, m, attrs, "auc_lo"), _long_to_matrix(long_df, m, attrs, "auc_hi"))
                     for m in methods]
    finite = np.concatenate([m[np.isfinite(m)] for m in mats])
    vmax = float(finite.max()) if finite.size else 0.0
    vmax = vmax if vmax > 0 else 1.0
    labels = [attribute_label(a) for a in attrs]
    n = len(attrs)

    import seaborn as sns

    with style():
        panel = max(3.0, 0.8 * n)  # inches per method: 4 for five attributes -> 13 x 4.8 for Fig. 8
        fig, axes = plt.subplots(1, len(methods), figsize=(panel * len(methods) + 1.0, panel + 0.8),
                                 squeeze=False, layout="constrained")
        axes = list(axes[0])
        for k, (ax, method, mat, iv) in enumerate(zip(axes, methods, mats, intervals)):
            # masked cells (diagonal, missing values) show the light grey background, never a colour read as AUC 0
            ax.set_facecolor("#EBEBEB")
            sns.heatmap(mat, ax=ax, mask=~np.isfinite(mat), vmin=0.0, vmax=vmax, cmap=cmap, cbar=False,
                        annot=_cell_labels(mat, iv), fmt="", annot_kws={"fontsize": 9 if iv is None else 7},
                        linewidths=0.5, linecolor="white", square=False)
            for r, c in zip(*np.where(~np.isfinite(mat))):
                if r != c:
                    ax.text(c + 0.5, r + 0.5, "n/a", ha="center", va="center", fontsize=8, color="#555555")
            ax.set_title(method_label(method))
            ax.set_xticks(np.arange(n) + 0.5, labels, rotation=40, ha="right", rotation_mode="anchor")
            ax.set_yticks(np.arange(n) + 0.5, labels if k == 0 else [""] * n, rotation=0)
            ax.set_xlabel(r"attribute $j$ (varied $\alpha_j$)")
            ax.set_ylabel(r"attribute $i$ (fixed $\alpha_i$)" if k == 0 else "")
            ax.tick_params(length=0)
        mappable = plt.cm.ScalarMappable(norm=matplotlib.colors.Normalize(vmin=0.0, vmax=vmax), cmap=cmap)
        cbar = fig.colorbar(mappable, ax=axes, shrink=0.85, pad=0.02)
        cbar.set_label("Entanglement AUC")
        if title:
            fig.suptitle(title)
        save_figure(fig, out_pdf)



def entanglement_figure(table: pd.DataFrame, out_pdf: str | os.PathLike, cfg: Mapping, fixed_alpha: float) -> None:
    """fig8 (fixed_alpha = 1), fig16 (0): one entanglement heat map per method."""
    plot_entanglement_heatmaps(
        table, cfg["attributes"], ["interp", "dexperts", "arith"], out_pdf,
        title=f"Entanglement: AUC of |score$_i$($\\alpha_j$) - score$_i$(0)|, scaled $\\alpha_i$ = {fixed_alpha:g}, "
              f"$\\lambda_i = \\lambda_j$")

