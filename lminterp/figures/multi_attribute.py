"""The multi-attribute figures, drawn from the figures' CSVs (:mod:`lminterp.numbers.multi_attribute`): the
five-attribute grids (figs. 5, 15) and the ternary heat maps over a lambda simplex of three attributes (figs. 6, 7,
17-30), with matplotlib alone.

A lattice point (l1, l2, l3) sits at l1 * top + l2 * bottom-left + l3 * bottom-right of an equilateral triangle
and is drawn as its own cell: the hexagon of the triangular lattice around it (its Voronoi cell), cut to the
triangle. Every model is one cell, coloured by its value, its value written at the centre of what is left of the
cell (so no number sits on an edge or a corner); nothing is interpolated between models. All panels of a figure
share one colour scale and one colour bar; corners are labelled with the attribute and its alpha, and each edge
carries the lambda ticks of one attribute.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.collections import PolyCollection
from matplotlib.colors import Normalize
from matplotlib.patches import Polygon

from lminterp.figures.style import TRIANGLE, plt, save_figure, style, to_xy
from lminterp.labels import attribute_label

_ANNOTATE_UP_TO = 6      # write each cell's value when the lattice has at most this many divisions


def _cells(xy: np.ndarray, divisions: int) -> list[np.ndarray]:
    """The hexagon around each lattice point (circumradius = lattice spacing / sqrt 3, a vertex on top)."""
    radius = 1.0 / divisions / np.sqrt(3.0)
    angles = np.deg2rad(90.0 + 60.0 * np.arange(6))
    hexagon = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return [p + hexagon for p in xy]


def _divisions(lambdas: np.ndarray) -> int:
    """The lattice's number of divisions, from its smallest nonzero coordinate step."""
    nonzero = lambdas[lambdas > 1e-9]
    n = int(round(1.0 / nonzero.min())) if nonzero.size else 1
    if not np.allclose(lambdas * n, np.round(lambdas * n), atol=1e-6):
        raise ValueError("the lambdas are not points of a simplex lattice")
    return n


def _cut_to_triangle(polygon: np.ndarray) -> np.ndarray:
    """The part of a convex polygon inside :data:`TRIANGLE` (Sutherland-Hodgman; the corners run counterclockwise)."""
    out = np.asarray(polygon, dtype=float)
    for a, b in zip(TRIANGLE, np.roll(TRIANGLE, -1, axis=0)):
        edge = b - a

        def side(p):
            return edge[0] * (p[1] - a[1]) - edge[1] * (p[0] - a[0])   # >= 0: inside

        points = []
        for p, q in zip(out, np.roll(out, -1, axis=0)):
            sp, sq = side(p), side(q)
            if sp >= 0:
                points.append(p)
            if (sp >= 0) != (sq >= 0):
                points.append(p + (q - p) * sp / (sp - sq))
        out = np.array(points)
    return out


def _centroid(polygon: np.ndarray) -> np.ndarray:
    """The area centroid of a simple polygon."""
    x, y = polygon[:, 0], polygon[:, 1]
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    area = cross.sum() / 2.0
    return np.array([((x + x1) * cross).sum(), ((y + y1) * cross).sum()]) / (6.0 * area)


# The lambda ticks: per corner (top, bottom left, bottom right), the edge that carries its attribute's lambda, from
# the corner where it is 0 to the corner where it is 1, and the outward direction of that edge.
_TICK_EDGES = ((1, 0, np.array([-np.sqrt(3.0) / 2.0, 0.5])),     # top's lambda on the left edge
               (2, 1, np.array([0.0, -1.0])),                    # bottom left's on the bottom edge
               (0, 2, np.array([np.sqrt(3.0) / 2.0, 0.5])))      # bottom right's on the right edge


def _lambda_ticks(ax: plt.Axes, divisions: int, names: Sequence[str]) -> None:
    """Ticks at the inner lattice values (at most five) along each edge, labelled with the value of the lambda that
    grows toward the edge's far corner, and the edge named after that lambda."""
    k = max(1, -(-divisions // 5))
    for (start, end, normal), name in zip(_TICK_EDGES, names):
        for step in range(k, divisions, k):
            v = step / divisions
            p = (1.0 - v) * TRIANGLE[start] + v * TRIANGLE[end]
            ax.plot(*np.stack([p, p + 0.02 * normal]).T, color="black", linewidth=0.6, clip_on=False)
            ax.text(*(p + 0.06 * normal), f"{v:.2g}", ha="center", va="center", fontsize=6, color="#444444")
        direction = TRIANGLE[end] - TRIANGLE[start]
        angle = np.degrees(np.arctan2(direction[1], direction[0]))
        angle = angle - 180.0 if abs(angle) > 90.0 else angle          # never upside down
        ax.text(*((TRIANGLE[start] + TRIANGLE[end]) / 2 + 0.13 * normal), f"$\\lambda$ {name} \u2192"
                if direction[0] >= 0 else f"\u2190 $\\lambda$ {name}", rotation=angle, rotation_mode="anchor",
                ha="center", va="center", fontsize=6.5, color="#444444")


def ternary_panel(ax: plt.Axes, lambdas: np.ndarray, values: np.ndarray, *, corner_labels: Sequence[str], cmap,
                  norm: Normalize, fmt: str = ".2f", lambda_names: Sequence[str] = ("1", "2", "3")) -> None:
    """Draw one ternary heat map on ``ax``: ``lambdas`` (N, 3) lattice points, ``values`` (N,); ``lambda_names``
    name the three lambdas on the edges' ticks."""
    lambdas = np.asarray(lambdas, dtype=float)
    n = _divisions(lambdas)
    polygons = [_cut_to_triangle(c) for c in _cells(to_xy(lambdas), n)]
    ax.add_collection(PolyCollection(polygons, array=np.asarray(values, dtype=float), cmap=cmap, norm=norm,
                                     edgecolors="white", linewidths=0.4))
    ax.add_patch(Polygon(TRIANGLE, closed=True, facecolor="none", edgecolor="black", linewidth=0.8))
    if n <= _ANNOTATE_UP_TO:
        for polygon, v in zip(polygons, values):
            if np.isfinite(v):
                r, g, b, _ = cmap(norm(v))
                dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
                ink, halo = ("white", "black") if dark else ("black", "white")
                # a corner's cell is a sixth of a hexagon: its number may reach past the triangle, so every number
                # carries a thin halo that keeps it legible on white as on its cell
                ax.text(*_centroid(polygon), format(v, fmt), ha="center", va="center", fontsize=6, color=ink,
                        path_effects=[patheffects.withStroke(linewidth=1.2, foreground=halo, alpha=0.6)])
    _lambda_ticks(ax, n, lambda_names)
    top, left, right = corner_labels
    ax.text(*TRIANGLE[0] + [0.0, 0.05], top, ha="center", va="bottom", fontsize=8)
    ax.text(*TRIANGLE[1] + [0.0, -0.07], left, ha="center", va="top", fontsize=8)
    ax.text(*TRIANGLE[2] + [0.0, -0.07], right, ha="center", va="top", fontsize=8)
    ax.set_xlim(-0.2, 1.2)
    ax.set_ylim(-0.3, np.sqrt(3.0) / 2.0 + 0.2)
    ax.set_aspect("equal")
    ax.axis("off")


def _corner_labels(attributes: Sequence[str], alpha: float) -> list[str]:
    return [f"{attribute_label(a)}\n($\\lambda$ = 1, $\\alpha$ = {alpha:g})" for a in attributes]


def _panels(n: int, title: str) -> tuple[plt.Figure, list[plt.Axes]]:
    fig, axes = plt.subplots(1, n, figsize=(4.0 * n + 1.0, 4.3), squeeze=False, layout="constrained")
    fig.suptitle(title)
    return fig, list(axes[0])


def _norm(values: np.ndarray) -> Normalize:
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    return Normalize(vmin=lo, vmax=hi if hi > lo else lo + 1e-9)


def simplex_score_figure(table: pd.DataFrame, out_pdf: str | os.PathLike, cfg: Mapping, attributes: Sequence[str],
                         alpha: float) -> None:
    """fig6, 7, 17-26: one ternary heat map per attribute's score over the simplex of ``attributes``."""
    cols = [f"lambda_{a}" for a in attributes]
    cmap = plt.get_cmap("viridis")
    norm = _norm(table["mean"].to_numpy(dtype=float))
    with style():
        fig, axes = _panels(len(attributes), f"Scores over the $\\lambda$ simplex, all $\\alpha$ = {alpha:g}")
        for ax, attribute in zip(axes, attributes):
            t = table[table["attribute"] == attribute]
            ternary_panel(ax, t[cols].to_numpy(), t["mean"].to_numpy(), corner_labels=_corner_labels(attributes, alpha),
                          cmap=cmap, norm=norm, lambda_names=[attribute_label(a) for a in attributes])
            ax.set_title(f"{attribute_label(attribute)} score", pad=14)
        fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=axes, shrink=0.8, label="score (P(class 1))")
        save_figure(fig, out_pdf)


def simplex_perplexity_figure(table: pd.DataFrame, out_pdf: str | os.PathLike, cfg: Mapping,
                              attributes: Sequence[str], alphas: Sequence[float]) -> None:
    """fig27-30: perplexity over the simplex of ``attributes``, one ternary heat map per alpha."""
    cols = [f"lambda_{a}" for a in attributes]
    cmap = plt.get_cmap("magma_r")
    norm = _norm(table["value"].to_numpy(dtype=float))
    with style():
        fig, axes = _panels(len(alphas), "Perplexity over the $\\lambda$ simplex of "
                            + ", ".join(attribute_label(a) for a in attributes))
        for ax, alpha in zip(axes, alphas):
            t = table[np.isclose(table["alpha"], alpha)]
            ternary_panel(ax, t[cols].to_numpy(), t["value"].to_numpy(), corner_labels=_corner_labels(attributes, alpha),
                          cmap=cmap, norm=norm, fmt=".3g", lambda_names=[attribute_label(a) for a in attributes])
            ax.set_title(f"all $\\alpha$ = {alpha:g}", pad=14)
        fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=axes, shrink=0.8, label="perplexity")
        save_figure(fig, out_pdf)


def grid_figure(table: pd.DataFrame, out_pdf: str | os.PathLike, cfg: Mapping, other_alpha: float) -> None:
    """fig5 (other alpha_j = 0), fig15 (1): per attribute i a heat map of score_i over alpha_i (columns) x
    lambda_i (rows, largest on top), one colour scale for all panels, each cell annotated."""
    import seaborn as sns

    attributes = list(cfg["attributes"])
    norm = matplotlib.colors.Normalize(vmin=float(table["mean"].min()), vmax=float(table["mean"].max()))
    with style():
        n_alpha = table["alpha"].nunique()
        n_lam = table["lambda"].nunique()
        w, h = 0.48 * n_alpha + 0.8, 0.36 * n_lam + 1.2
        fig, axes = plt.subplots(1, len(attributes), figsize=(w * len(attributes) + 1.2, h), squeeze=False,
                                 layout="constrained")
        axes = list(axes[0])
        for k, (ax, attribute) in enumerate(zip(axes, attributes)):
            t = table[table["attribute"] == attribute]
            mat = t.pivot(index="lambda", columns="alpha", values="mean").sort_index(ascending=False)
            sns.heatmap(mat, ax=ax, vmin=norm.vmin, vmax=norm.vmax, cmap="viridis", cbar=False, annot=True, fmt=".2f",
                        annot_kws={"fontsize": 6}, linewidths=0.4, linecolor="white",
                        xticklabels=[f"{x:g}" for x in mat.columns], yticklabels=[f"{x:g}" for x in mat.index])
            ax.set_title(f"{attribute_label(attribute)} score", fontsize=10)
            ax.set_xlabel(r"$\alpha_i$")
            ax.set_ylabel(r"$\lambda_i$" if k == 0 else "")
            ax.tick_params(length=0, labelsize=7)
            ax.tick_params(axis="y", rotation=0)
        cbar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap="viridis"), ax=axes, shrink=0.85, pad=0.02)
        cbar.set_label("score$_i$ (P(class 1))")
        fig.suptitle(rf"Interpolating all attributes: score$_i$ over $\alpha_i$ x $\lambda_i$, other "
                     rf"$\alpha_j$ = {other_alpha:g}, $\lambda_j = (1 - \lambda_i)/{len(attributes) - 1}$")
        save_figure(fig, out_pdf)

