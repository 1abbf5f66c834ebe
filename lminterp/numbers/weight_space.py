"""Weight space of the anchors (paper Sec. 3.3, figs. 31-33), from the adapter files alone (numpy, no torch, no
forward pass).

An anchor's update on one module is dW = s B A (d_out x d_in). It is never formed: inner products of two updates
come from their factors, <s1 B1 A1, s2 B2 A2>_F = s1 s2 trace(A1^T B1^T B2 A2) = s1 s2 sum((B1^T B2) * (A1 A2^T)),
which needs only r1 x r2 products (a Llama-2-7b update is 4096 x 4096 floats, 64 MB per module; its factors at
r = 32 are 1 MB). From the Gram matrix of the anchors per module everything follows:
- fig32: cosine similarity of two anchors' updates per (layer, module), averaged over them;
- fig33: squared Frobenius distance of two anchors' updates per (layer, module), averaged over them;
- fig31: a 2-D metric MDS (scikit-learn, seeded) of the anchors and of single-attribute interpolations
  alpha dW(+) + (1 - alpha) dW(-), whose distances are quadratic forms in the summed Gram matrix.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lminterp.training.adapter_files import read_adapter_numpy


def anchor_label(attribute: str, pole: int) -> str:
    return f"{attribute}{'+' if int(pole) else '-'}"


def gram_per_module(adapters: Mapping[str, Mapping[str, tuple]]) -> tuple[list[str], np.ndarray]:
    """``adapters = {name: {module: (A, B, s)}}`` -> (modules, G) with ``G[m, i, j] = <dW_i, dW_j>_F`` on module
    ``m`` (float64), from the factors only. An adapter without a module counts as a zero update there."""
    names = list(adapters)
    modules = sorted({m for mods in adapters.values() for m in mods})
    gram = np.zeros((len(modules), len(names), len(names)))
    for mi, module in enumerate(modules):
        factors = [adapters[n].get(module) for n in names]
        for i, fi in enumerate(factors):
            if fi is None:
                continue
            A1, B1, s1 = fi
            for j in range(i, len(names)):
                fj = factors[j]
                if fj is None:
                    continue
                A2, B2, s2 = fj
                value = s1 * s2 * float(np.sum((B1.T @ B2) * (A1 @ A2.T)))
                gram[mi, i, j] = gram[mi, j, i] = value
    return modules, gram


def dense_inner(f1: tuple, f2: tuple) -> float:
    """<s1 B1 A1, s2 B2 A2>_F with the updates formed (the reference the factored form is tested against)."""
    (A1, B1, s1), (A2, B2, s2) = f1, f2
    return float(np.sum((s1 * B1 @ A1) * (s2 * B2 @ A2)))


def cosine_matrix(gram: np.ndarray) -> np.ndarray:
    """Mean over modules of the cosine similarity of each pair (modules where either update is zero skipped)."""
    norms = np.sqrt(np.einsum("mii->mi", gram))
    denom = norms[:, :, None] * norms[:, None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where(denom > 0, gram / denom, np.nan)
    return np.nanmean(cos, axis=0)


def squared_distance_matrix(gram: np.ndarray) -> np.ndarray:
    """Mean over modules of ||dW_i - dW_j||_F^2 = G_ii + G_jj - 2 G_ij."""
    diag = np.einsum("mii->mi", gram)
    return np.mean(diag[:, :, None] + diag[:, None, :] - 2.0 * gram, axis=0)


def load_anchors(dirs: Mapping[tuple[str, int], str | Path]) -> dict[str, dict[str, tuple]]:
    """{(attribute, pole): adapter dir} -> {label: {module: (A, B, s)}} in the given order."""
    return {anchor_label(a, p): read_adapter_numpy(d)[1] for (a, p), d in dirs.items()}


def _pair_table(labels: Sequence[str], matrix: np.ndarray, value: str) -> pd.DataFrame:
    return pd.DataFrame([{"anchor_i": a, "anchor_j": b, value: float(matrix[i, j])}
                         for i, a in enumerate(labels) for j, b in enumerate(labels)])


def _anchor_dirs(files, cfg: dict) -> dict[tuple[str, int], Path]:
    return {(a, p): files.adapter(a, p) for a in cfg["attributes"] for p in (0, 1)}


def cosine_table(files, cfg: dict) -> pd.DataFrame:
    """fig32: anchor_i, anchor_j, cosine (mean over layers and modules)."""
    anchors = load_anchors(_anchor_dirs(files, cfg))
    _, gram = gram_per_module(anchors)
    return _pair_table(list(anchors), cosine_matrix(gram), "cosine")


def distance_table(files, cfg: dict) -> pd.DataFrame:
    """fig33: anchor_i, anchor_j, sq_l2 (mean over layers and modules of the squared Frobenius distance)."""
    anchors = load_anchors(_anchor_dirs(files, cfg))
    _, gram = gram_per_module(anchors)
    return _pair_table(list(anchors), squared_distance_matrix(gram), "sq_l2")


def mds_table(files, cfg: dict) -> pd.DataFrame:
    """fig31: 2-D MDS of the anchors and of each attribute's interpolations at `weight_space.mds_alpha_step`
    (columns attribute, alpha, x, y; alpha 0 and 1 are the anchors). Distances are those of the whole update
    (all modules concatenated)."""
    from sklearn.manifold import MDS

    anchors = load_anchors(_anchor_dirs(files, cfg))
    labels = list(anchors)
    _, gram = gram_per_module(anchors)
    total = gram.sum(axis=0)                      # <dW_i, dW_j> over the whole model
    step = cfg["weight_space"]["mds_alpha_step"]
    alphas = np.round(np.arange(0.0, 1.0 + step / 2, step), 6)
    points, coeffs = [], []
    for a in cfg["attributes"]:
        for alpha in alphas:
            c = np.zeros(len(labels))
            c[labels.index(anchor_label(a, 1))] = alpha
            c[labels.index(anchor_label(a, 0))] = 1.0 - alpha
            points.append((a, float(alpha)))
            coeffs.append(c)
    C = np.array(coeffs)
    inner = C @ total @ C.T
    sq = np.diag(inner)[:, None] + np.diag(inner)[None, :] - 2.0 * inner
    dist = np.sqrt(np.clip(sq, 0.0, None))
    xy = MDS(n_components=2, metric="precomputed", metric_mds=True, init="random", n_init=4,
             random_state=cfg["weight_space"]["mds_seed"], normalized_stress="auto").fit_transform(dist)
    return pd.DataFrame([{"attribute": a, "alpha": alpha, "x": float(x), "y": float(y)}
                         for (a, alpha), (x, y) in zip(points, xy)])


def cosine_check(files, cfg: dict, threshold: float = 0.1) -> dict:
    """Claim 6 (anchors of different attributes nearly orthogonal): the mean |cosine| (fig32's numbers) over pairs
    of anchors of different attributes, and for contrast over the two poles of one attribute. Passed when the
    between-attribute mean is at most `threshold`."""
    anchors = load_anchors(_anchor_dirs(files, cfg))
    _, gram = gram_per_module(anchors)
    cos = np.abs(cosine_matrix(gram))
    owner = [a for a in cfg["attributes"] for _ in (0, 1)]        # load_anchors keeps (attribute, pole) order
    between = [cos[i, j] for i in range(len(owner)) for j in range(len(owner)) if owner[i] != owner[j]]
    within = [cos[i, i + 1] for i in range(0, len(owner), 2)]
    mean_between = float(np.mean(between))
    return {"threshold": threshold, "mean_abs_cosine_between_attributes": round(mean_between, 6),
            "max_abs_cosine_between_attributes": round(float(np.max(between)), 6),
            "mean_abs_cosine_between_poles": round(float(np.mean(within)), 6),
            "passed": bool(mean_between <= threshold)}
