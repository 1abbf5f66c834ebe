"""Weight space of the anchors (figs. 31-33): cosine and distance matrices, the 2-D MDS map, drawn from the
figure's CSV (:mod:`lminterp.numbers.weight_space`)."""
from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

from lminterp.figures.style import PALETTE, plt, save_figure, style
from lminterp.labels import attribute_label


def _anchor_matrix(table: pd.DataFrame, value: str) -> pd.DataFrame:
    labels = list(dict.fromkeys(table["anchor_i"]))
    return table.pivot(index="anchor_i", columns="anchor_j", values=value).reindex(index=labels, columns=labels)



def _anchor_heatmap(matrix: pd.DataFrame, out_pdf, *, title: str, cbar_label: str, cmap: str, center=None,
                    vmin=None, vmax=None, fmt: str = ".2f") -> None:
    import seaborn as sns

    with style():
        n = len(matrix)
        fig, ax = plt.subplots(figsize=(0.62 * n + 2.4, 0.55 * n + 1.4), layout="constrained")
        sns.heatmap(matrix, ax=ax, annot=True, fmt=fmt, annot_kws={"fontsize": 7}, cmap=cmap, center=center,
                    vmin=vmin, vmax=vmax, square=True, linewidths=0.5, linecolor="white",
                    cbar_kws={"label": cbar_label, "shrink": 0.8})
        ax.set_xlabel("anchor (attribute, pole)")
        ax.set_ylabel("anchor (attribute, pole)")
        ax.tick_params(length=0)
        ax.set_title(title)
        save_figure(fig, out_pdf)



def weight_cosine_figure(table: pd.DataFrame, out_pdf: str | os.PathLike, cfg: Mapping) -> None:
    """fig32: cosine similarity of the anchors' LoRA updates (mean over layers and modules)."""
    _anchor_heatmap(_anchor_matrix(table, "cosine"), out_pdf, cmap="RdBu_r", center=0.0, vmin=-1.0, vmax=1.0,
                    title="Cosine similarity of the anchors' LoRA updates (mean over layers and modules)",
                    cbar_label="cosine similarity")



def weight_distance_figure(table: pd.DataFrame, out_pdf: str | os.PathLike, cfg: Mapping) -> None:
    """fig33: mean squared L2 (Frobenius) distance between the anchors' LoRA updates."""
    matrix = _anchor_matrix(table, "sq_l2")
    _anchor_heatmap(matrix, out_pdf, cmap="viridis", vmin=0.0, fmt=".2g",
                    title="Squared L2 distance of the anchors' LoRA updates (mean over layers and modules)",
                    cbar_label=r"mean $\|\Delta W_i - \Delta W_j\|_F^2$")



def weight_mds_figure(table: pd.DataFrame, out_pdf: str | os.PathLike, cfg: Mapping) -> None:
    """fig31: 2-D MDS of the anchors (large markers, + and - poles) and their single-attribute interpolations."""
    with style():
        fig, ax = plt.subplots(figsize=(6.8, 4.8), layout="constrained")
        for k, attribute in enumerate(cfg["attributes"]):
            sub = table[table["attribute"] == attribute].sort_values("alpha")
            color = PALETTE[k % len(PALETTE)]
            ax.plot(sub["x"], sub["y"], color=color, linewidth=1.0, marker="o", markersize=3,
                    label=attribute_label(attribute))
            for alpha, marker in ((0.0, "v"), (1.0, "^")):
                end = sub[np.isclose(sub["alpha"], alpha)]
                ax.plot(end["x"], end["y"], linestyle="none", marker=marker, markersize=9, color=color,
                        markeredgecolor="black", markeredgewidth=0.6)
        ax.plot([], [], linestyle="none", marker="^", color="#999999", markeredgecolor="black", label="anchor +")
        ax.plot([], [], linestyle="none", marker="v", color="#999999", markeredgecolor="black", label="anchor -")
        ax.set_xlabel("MDS 1")
        ax.set_ylabel("MDS 2")
        ax.set_aspect("equal", adjustable="datalim")
        ax.grid(True, color="#E5E5E5", linewidth=0.6)
        step = cfg["weight_space"]["mds_alpha_step"]
        ax.set_title(f"Weight space, 2-D MDS: anchors and interpolations (alpha step {step:g})")
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        save_figure(fig, out_pdf)

