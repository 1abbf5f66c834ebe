"""figures/dial.pdf: for each request, target vs achieved score per attribute (with the achieved interval and the
prediction's half-width), and where the chosen model sits on its simplex (lambda as barycentric coordinates)."""
from __future__ import annotations

import os
from typing import Mapping

import numpy as np
import pandas as pd

from lminterp.figures.style import PALETTE, TRIANGLE, plt, save_figure, style
from lminterp.labels import attribute_label



def _simplex_panel(ax, rows: pd.DataFrame, title: str) -> None:
    """The request's model on the simplex of its attributes: a vertex (one), a segment (two), a triangle (three)."""
    k = len(rows)
    corners = {1: np.array([[0.5, 0.4]]), 2: TRIANGLE[1:] + [0, 0.4], 3: TRIANGLE}[k]
    if k >= 2:
        outline = np.vstack([corners, corners[:1]]) if k == 3 else corners
        ax.plot(outline[:, 0], outline[:, 1], color="0.5", lw=1)
    for (_, r), c in zip(rows.iterrows(), corners):
        ax.annotate(f"{attribute_label(r['attribute'])}\nalpha {r['alpha']:g}", c, fontsize=6, ha="center",
                    va="top" if c[1] < 0.5 else "bottom", xytext=(0, -4 if c[1] < 0.5 else 4),
                    textcoords="offset points")
    point = (rows["lambda"].to_numpy()[:, None] * corners).sum(axis=0)
    ax.plot(*point, marker="*", ms=10, color="#D55E00")
    ax.set_title(title, fontsize=7, pad=14 if k == 3 else 4)
    ax.set_xlim(-0.25, 1.25)
    ax.set_ylim(-0.25, 1.05)
    ax.set_aspect("equal")
    ax.axis("off")


def dial_figure(table: pd.DataFrame, out_pdf: str | os.PathLike, cfg: Mapping) -> None:
    """`table`: figures/dial.csv (style_requests.dial_table)."""
    if table.empty:
        raise ValueError("dial figure: no requests (config dial.requests lists requests/<name>.yaml files)")
    requests = list(dict.fromkeys(table["request"]))
    attrs = [a for a in cfg["attributes"] if a in set(table["attribute"])]
    tol = cfg["dial"]["tolerance"]
    with style():
        fig = plt.figure(figsize=(4.2 + 1.6 * min(len(requests), 4), 4.0))
        grid = fig.add_gridspec(max(1, (len(requests) + 3) // 4), 1 + min(len(requests), 4),
                                width_ratios=[2.6] + [1.0] * min(len(requests), 4))
        ax = fig.add_subplot(grid[:, 0])
        ax.fill_between([0, 1], [-tol, 1 - tol], [tol, 1 + tol], color="0.9", label=f"within {tol:g}")
        ax.plot([0, 1], [0, 1], color="0.4", lw=0.8)
        markers = "os^Dvp<>h"
        for i, attr in enumerate(attrs):
            rows = table[table["attribute"] == attr]
            for _, r in rows.iterrows():
                m = markers[requests.index(r["request"]) % len(markers)]
                ax.errorbar(r["target"], r["achieved"],
                            yerr=[[r["achieved"] - r["achieved_lo"]], [r["achieved_hi"] - r["achieved"]]],
                            fmt=m, color=PALETTE[i % len(PALETTE)], ms=5, capsize=2, lw=1)
                ax.plot(r["target"], r["predicted"], marker=m, mfc="none", color=PALETTE[i % len(PALETTE)], ms=7,
                        lw=0)
        handles = [plt.Line2D([], [], color=PALETTE[i % len(PALETTE)], marker="o", lw=0, label=attribute_label(a))
                   for i, a in enumerate(attrs)]
        handles += [plt.Line2D([], [], color="0.3", marker=markers[k % len(markers)], lw=0, label=r)
                    for k, r in enumerate(requests)]
        handles.append(plt.Line2D([], [], color="0.3", marker="o", mfc="none", lw=0, label="predicted"))
        ax.legend(handles=handles, fontsize=6, loc="upper left")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("target score")
        ax.set_ylabel("achieved score (95 % interval)")
        ax.set_title("Dial a style: target vs achieved")
        for k, request in enumerate(requests):
            sub = fig.add_subplot(grid[k // 4, 1 + k % 4])
            _simplex_panel(sub, table[table["request"] == request].reset_index(drop=True), request)
        save_figure(fig, out_pdf)
