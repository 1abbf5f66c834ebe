"""Entanglement (paper Sec. 3.2.2, Figs. 8 and 16): with alpha_i fixed and alpha_j varied, the area under
|score_i(alpha_j) - score_i(alpha_j = 0)|, per ordered pair of attributes and method; the AUC itself, the n x n
matrix, and the numbers of fig8 / fig16. No torch."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from lminterp import specs as S
from lminterp.evaluation.intervals import prompt_bootstrap
from lminterp.evaluation.results import ResultFiles, read_scores

ArrayLike = Sequence[float] | np.ndarray | pd.Series

def entanglement_auc(alphas_j: ArrayLike, scores_i: ArrayLike) -> float:
    """Area under |score_i(alpha_j) - score_i(alpha_j = 0)| over the alpha_j grid (Figs. 8, 16).

    Sec. 3.2.2: with (scaled) alpha_i fixed (1 in Fig. 8, 0 in Fig. 16) and lambda_i = lambda_j = 0.5,
    vary alpha_j and integrate the absolute change of attribute i's mean score with the trapezoid
    rule. The grid must be strictly increasing and contain 0; on {0, .25, .5, .75, 1} with scores in
    [0, 1] the AUC lies in [0, 1].
    """
    a = np.asarray(alphas_j, dtype=float).ravel()
    y = np.asarray(scores_i, dtype=float).ravel()
    if a.shape != y.shape:
        raise ValueError(f"alphas_j ({a.size}) and scores_i ({y.size}) differ in length")
    if a.size < 2:
        raise ValueError("entanglement AUC needs at least two alpha_j values")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(y))):
        raise ValueError("alphas_j and scores_i must be finite")
    if np.any(np.diff(a) <= 0):
        raise ValueError(f"alphas_j must be sorted strictly increasing, got {a.tolist()}")
    zero = np.flatnonzero(np.isclose(a, 0.0, rtol=0.0, atol=1e-12))
    if zero.size != 1:
        raise ValueError(f"alphas_j must contain 0 (the reference point), got {a.tolist()}")
    delta = np.abs(y - y[zero[0]])
    return float(np.trapezoid(delta, a))


def entanglement_matrix(curves: Mapping[tuple[str, str], tuple[ArrayLike, ArrayLike]],
                        attributes: Sequence[str], allow_missing: bool = False) -> pd.DataFrame:
    """n x n entanglement AUC matrix of one method (one panel of Figs. 8 / 16).

    ``curves[(i, j)] = (alphas_j, mean score_i values)`` for attribute i held fixed and attribute j
    varied. Returns a DataFrame with rows = attribute i, columns = attribute j (in ``attributes``
    order) and NaN on the diagonal. A missing off-diagonal pair raises KeyError unless
    ``allow_missing`` (then NaN).
    """
    attrs = list(attributes)
    out = pd.DataFrame(np.nan, index=pd.Index(attrs, name="attribute_i"),
                       columns=pd.Index(attrs, name="attribute_j"), dtype=float)
    for i in attrs:
        for j in attrs:
            if i == j:
                continue
            if (i, j) not in curves:
                if allow_missing:
                    continue
                raise KeyError(f"entanglement_matrix: no curve for pair (i={i!r}, j={j!r})")
            alphas, scores = curves[(i, j)]
            out.loc[i, j] = entanglement_auc(alphas, scores)
    return out


def matrices_to_long(matrices: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """``{method: matrix}`` -> long table ``method, attribute_i, attribute_j, auc`` (off-diagonal).

    This is the input format of :func:`lminterp.figures.entanglement.plot_entanglement_heatmaps`.
    """
    rows = []
    for method, mat in matrices.items():
        for i in mat.index:
            for j in mat.columns:
                if i != j:
                    rows.append({"method": method, "attribute_i": i, "attribute_j": j,
                                 "auc": float(mat.loc[i, j])})
    return pd.DataFrame(rows, columns=["method", "attribute_i", "attribute_j", "auc"])


def trapezoid_weights(alphas_j: ArrayLike) -> np.ndarray:
    """w with ``np.trapezoid(f, alphas_j) == sum_k w_k f_k``."""
    a = np.asarray(alphas_j, dtype=float)
    w = np.zeros_like(a)
    w[:-1] += np.diff(a) / 2.0
    w[1:] += np.diff(a) / 2.0
    return w


def auc_terms(alphas_j: ArrayLike, means: Sequence[tuple[float, np.ndarray]]
              ) -> tuple[list[tuple[float, np.ndarray]], np.ndarray]:
    """The AUC as a weighted sum of absolute signed gaps (:meth:`~lminterp.evaluation.intervals.Bootstrap.abs_sum`):
    per alpha_j the gap ``score_i(alpha_j) - score_i(0)`` with its replicates, and the trapezoid weights. ``means``:
    (mean, replicates) of score_i at each alpha_j of the grid."""
    a = np.asarray(alphas_j, dtype=float)
    zero = int(np.flatnonzero(np.isclose(a, 0.0, rtol=0.0, atol=1e-12))[0])
    m0, r0 = means[zero]
    return [(m - m0, np.asarray(r) - np.asarray(r0)) for m, r in means], trapezoid_weights(a)


def entanglement_table(files: ResultFiles, cfg: dict, fixed_alpha: float) -> pd.DataFrame:
    """fig8 (fixed_alpha = 1) / fig16 (0): per method and ordered pair (i, j) the AUC with its bootstrap interval
    over prompts (auc_lo, auc_hi; every model resampled with the same prompts), the mean score_i at each
    alpha_j of `entanglement.alphas`, and the number of empty continuations left out of those means."""
    attributes = list(cfg["attributes"])
    ent = cfg["entanglement"]
    alphas = ent["alphas"]
    groups = {(method, pair): group for method in ("interp",) + S.BASELINES
              for pair, group in S.entanglement_specs(method, attributes, alphas, ent["lambda"], fixed_alpha).items()}
    tables = {s: read_scores(files, s) for group in groups.values() for s in group}
    boot = prompt_bootstrap(list(tables.values()), cfg["statistics"])
    rows = []
    for (method, (i, j)), group in groups.items():
        means = [boot.mean(tables[s][i], tables[s]["prompt_id"]) for s in group]
        scores = [m for m, _ in means]
        auc = entanglement_auc(alphas, scores)
        _, (lo, hi) = boot.abs_sum(*auc_terms(alphas, means))
        n_empty = sum(int(tables[s]["empty"].sum()) for s in group if "empty" in tables[s])
        rows.append({"method": method, "attribute_i": i, "attribute_j": j, "auc": auc, "auc_lo": lo, "auc_hi": hi,
                     **{f"score_i_at_alpha_j_{a:g}": v for a, v in zip(alphas, scores)}, "n_empty": n_empty})
    return pd.DataFrame(rows)


def entanglement_check(files: ResultFiles, cfg: dict, fixed_alpha: float) -> dict:
    """Claim 5's numbers: each method's mean AUC over all ordered pairs, and weight interpolation's mean minus each
    baseline's, with bootstrap intervals paired over prompts (every model resampled with the same prompts)."""
    attributes = list(cfg["attributes"])
    ent = cfg["entanglement"]
    alphas = ent["alphas"]
    by_method = {m: S.entanglement_specs(m, attributes, alphas, ent["lambda"], fixed_alpha)
                 for m in ("interp",) + S.BASELINES}
    tables = {s: read_scores(files, s) for groups in by_method.values() for g in groups.values() for s in g}
    boot = prompt_bootstrap(list(tables.values()), cfg["statistics"])
    terms, points = {}, {}
    for method, groups in by_method.items():
        points[method], terms[method] = [], ([], [])
        for (i, _), group in groups.items():
            means = [boot.mean(tables[s][i], tables[s]["prompt_id"]) for s in group]
            points[method].append(entanglement_auc(alphas, [m for m, _ in means]))
            gaps, weights = auc_terms(alphas, means)
            terms[method][0].extend(gaps)
            terms[method][1].extend(np.asarray(weights) / len(groups))   # the mean over pairs
    out = {"fixed_alpha": fixed_alpha, "level": boot.level, "mean_auc": {}, "interp_minus": {}}
    for method in terms:
        _, (lo, hi) = boot.abs_sum(*terms[method])
        out["mean_auc"][method] = {"value": round(float(np.mean(points[method])), 6),
                                   "interval": [round(lo, 6), round(hi, 6)]}
    for method in S.BASELINES:
        gaps = terms["interp"][0] + terms[method][0]
        weights = list(terms["interp"][1]) + [-w for w in terms[method][1]]
        _, (lo, hi) = boot.abs_sum(gaps, weights)
        out["interp_minus"][method] = {"value": round(float(np.mean(points["interp"]) - np.mean(points[method])), 6),
                                       "interval": [round(lo, 6), round(hi, 6)]}
    return out
