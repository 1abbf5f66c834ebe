"""Metrics of the paper's evaluation (Kangaslahti & Alvarez-Melis 2024).

Everything here works on already-loaded data (pandas DataFrames, arrays, lists of strings); no file
names, no torch. Contents:

* n-gram diversity dist-1/2/3 (Sec. 2.4, Table 1, Figs. 11-14), DExperts' definition;
* per-attribute score summaries, mean and the +-1 std band across prompts used by every curve plot;
* alpha scaling of the baselines (DExperts, model arithmetic) so that scaled alpha 0 / 1 reproduce
  the fine-tuned anchors' scores (Sec. 2.4 "Baselines", Fig. 2, Table 1, Figs. 8 and 16);
* entanglement AUC and the n x n entanglement matrix (Sec. 3.2.2, Figs. 8 and 16);
* mean absolute error to the ground-truth (GT) fine-tuned models (Table 1).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

ArrayLike = Sequence[float] | np.ndarray | pd.Series

# Alphas are floats read from configs/CSV; they are matched after rounding to this many decimals.
ALPHA_DECIMALS = 9


# --------------------------------------------------------------------------------------------
# Diversity (dist-n)
# --------------------------------------------------------------------------------------------
def _ngrams(tokens: list[str], n: int) -> Iterable[tuple[str, ...]]:
    return (tuple(tokens[k : k + n]) for k in range(len(tokens) - n + 1))


def dist_n_prompt(samples: Sequence[str], n: int) -> float:
    """dist-n of the samples of ONE prompt: #distinct n-grams / #words, pooled over the samples.

    Tokenisation is ``str.split()`` (whitespace). n-grams never cross sample boundaries. The
    denominator is the total word count for every n (DExperts' definition, Liu et al. 2021).
    Returns NaN when the samples contain no words at all.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    distinct: set[tuple[str, ...]] = set()
    total_words = 0
    for text in samples:
        tokens = str(text).split()
        total_words += len(tokens)
        distinct.update(_ngrams(tokens, n))
    return len(distinct) / total_words if total_words else float("nan")


def dist_n(samples_by_prompt: Mapping[Any, Sequence[str]] | Sequence[Sequence[str]], n: int) -> float:
    """Mean over prompts of dist-n (Sec. 2.4; Table 1 Dist-1/2/3; Figs. 11-14).

    Follows DExperts' ``distinctness``: for each prompt, pool all of its generated samples, count the
    distinct n-grams (whitespace tokenisation, ``str.split()``; n-grams within one sample only) and
    divide by the total number of words of those samples; then average over prompts.

    ``samples_by_prompt`` is a dict ``prompt_id -> list of sample texts`` or a list of such lists.
    Prompts whose samples contain no words are skipped (like DExperts' ``nanmean``); if no prompt has
    any word the result is NaN (a degenerate model, e.g. far extrapolation, not an error).
    """
    groups = list(samples_by_prompt.values()) if isinstance(samples_by_prompt, Mapping) else list(samples_by_prompt)
    if not groups:
        raise ValueError("dist_n: no prompts given")
    for g in groups:
        if isinstance(g, str):
            raise TypeError("dist_n: each prompt must map to a list of sample strings, not a string")
    values = np.array([dist_n_prompt(g, n) for g in groups], dtype=float)
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def group_samples(df: pd.DataFrame, text_col: str = "text", prompt_col: str = "prompt_id") -> dict[Any, list[str]]:
    """Group a generations table (one row per sample) into ``{prompt_id: [texts]}`` for :func:`dist_n`.

    Rows are kept in table order within a prompt; missing texts count as empty strings.
    """
    for col in (text_col, prompt_col):
        if col not in df.columns:
            raise KeyError(f"group_samples: column {col!r} missing (have {list(df.columns)})")
    texts = df[text_col].fillna("").astype(str)
    return {pid: list(g) for pid, g in texts.groupby(df[prompt_col], sort=True)}


def diversity(samples_by_prompt: Mapping[Any, Sequence[str]] | Sequence[Sequence[str]],
              ns: Sequence[int] = (1, 2, 3)) -> dict[str, float]:
    """``{"dist_1": ..., "dist_2": ..., "dist_3": ...}`` (Table 1 diversity columns)."""
    return {f"dist_{n}": dist_n(samples_by_prompt, n) for n in ns}


# --------------------------------------------------------------------------------------------
# Score summaries
# --------------------------------------------------------------------------------------------
def score_summary(df: pd.DataFrame, attributes: Sequence[str], prompt_col: str = "prompt_id",
                  ddof: int = 0) -> pd.DataFrame:
    """Per-attribute score summary of one model's scores table (all curve figures, Table 1).

    ``df`` has one row per generated sample with columns ``prompt_id, sample, <attr>...``, each
    attribute column holding the classifier's P(class 1). Returns a DataFrame indexed by attribute
    (in the given order) with columns

    * ``mean``: mean over all samples (the paper's "score");
    * ``std``: standard deviation across prompts of the per-prompt mean score (the +-1 std band of
      the plots). ``ddof=0`` by default so that it is defined (0) for a single prompt;
    * ``n``: number of non-missing samples; ``n_prompts``: number of prompts with a score.
    """
    missing = [a for a in [prompt_col, *attributes] if a not in df.columns]
    if missing:
        raise KeyError(f"score_summary: columns {missing} missing (have {list(df.columns)})")
    rows = []
    for attr in attributes:
        col = pd.to_numeric(df[attr], errors="raise").astype(float)
        per_prompt = col.groupby(df[prompt_col]).mean().dropna()
        rows.append({
            "attribute": attr,
            "mean": float(col.mean()) if col.notna().any() else float("nan"),
            "std": float(per_prompt.std(ddof=ddof)) if len(per_prompt) > ddof else float("nan"),
            "n": int(col.notna().sum()),
            "n_prompts": int(len(per_prompt)),
        })
    return pd.DataFrame(rows, columns=["attribute", "mean", "std", "n", "n_prompts"]).set_index("attribute")


# --------------------------------------------------------------------------------------------
# Alpha scaling of the baselines
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScalingResult:
    """Raw baseline strengths that reproduce the anchors' scores (Sec. 2.4 "Baselines", Fig. 2).

    Scaled alpha ``s`` maps to raw strength ``raw_at_0 + s * (raw_at_1 - raw_at_0)``.
    ``clipped_0`` / ``clipped_1`` say the anchor's score lay outside the range of the (monotone)
    baseline curve, so the raw strength was clipped to the end of the swept grid.
    """

    raw_at_0: float
    raw_at_1: float
    clipped_0: bool
    clipped_1: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def monotone_fit(raw_strengths: ArrayLike, scores: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Sort by raw strength and fit a non-decreasing curve (isotonic regression, PAVA).

    Returns ``(raw_sorted, fitted)``. Raw strengths must be finite and distinct, scores finite.
    """
    from sklearn.isotonic import IsotonicRegression

    raw = np.asarray(raw_strengths, dtype=float).ravel()
    y = np.asarray(scores, dtype=float).ravel()
    if raw.shape != y.shape:
        raise ValueError(f"raw_strengths ({raw.size}) and scores ({y.size}) differ in length")
    if raw.size < 2:
        raise ValueError("need at least two raw strengths to scale alpha")
    if not (np.all(np.isfinite(raw)) and np.all(np.isfinite(y))):
        raise ValueError("raw_strengths and scores must be finite")
    order = np.argsort(raw, kind="stable")
    raw, y = raw[order], y[order]
    if np.any(np.diff(raw) == 0):
        raise ValueError("raw_strengths must be distinct (average repeated runs first)")
    fitted = IsotonicRegression(increasing=True).fit_transform(raw, y)
    return raw, np.asarray(fitted, dtype=float)


def _invert_monotone(raw: np.ndarray, fitted: np.ndarray, target: float) -> tuple[float, bool]:
    """Raw strength where the piecewise-linear non-decreasing curve equals ``target``.

    Inside the range the solution set is an interval [a, b] (a point unless the target hits a
    plateau); its midpoint is returned. Outside the range the grid end is returned, flagged.
    """
    if target < fitted[0]:
        return float(raw[0]), True
    if target > fitted[-1]:
        return float(raw[-1]), True
    k = int(np.argmax(fitted >= target))  # first point at or above the target
    if k == 0:
        a = raw[0]
    else:
        a = raw[k - 1] + (target - fitted[k - 1]) / (fitted[k] - fitted[k - 1]) * (raw[k] - raw[k - 1])
    m = int(np.nonzero(fitted <= target)[0][-1])  # last point at or below the target
    if m == raw.size - 1:
        b = raw[-1]
    else:
        b = raw[m] + (target - fitted[m]) / (fitted[m + 1] - fitted[m]) * (raw[m + 1] - raw[m])
    return float((a + b) / 2.0), False


def alpha_scaling(raw_strengths: ArrayLike, scores: ArrayLike, target_0: float, target_1: float,
                  flat_tol: float = 1e-9) -> ScalingResult:
    """Find the baseline's raw strengths whose score equals the anchors' scores (Sec. 2.4, Fig. 2).

    The baselines (DExperts, model arithmetic) are swept over a raw strength grid (paper: [-2, 2]).
    ``scores`` are the mean attribute scores at those strengths; ``target_0`` / ``target_1`` the
    scores of the alpha = 0 / alpha = 1 anchors. The curve is first made monotone non-decreasing
    by isotonic regression, then inverted by linear interpolation (a target on a plateau maps to the
    plateau's midpoint). A target outside the fitted range is clipped to the grid end and flagged.

    Raises ValueError if the fitted curve is flat (range <= ``flat_tol``), or if both targets map to
    the same raw strength (the scaling would be degenerate).
    """
    raw, fitted = monotone_fit(raw_strengths, scores)
    if not (np.isfinite(target_0) and np.isfinite(target_1)):
        raise ValueError(f"targets must be finite, got {target_0}, {target_1}")
    if fitted[-1] - fitted[0] <= flat_tol:
        raise ValueError(
            f"baseline score curve is flat over raw strengths [{raw[0]}, {raw[-1]}] "
            f"(monotone fit spans {fitted[-1] - fitted[0]:.3g}); alpha cannot be scaled")
    r0, c0 = _invert_monotone(raw, fitted, float(target_0))
    r1, c1 = _invert_monotone(raw, fitted, float(target_1))
    if r0 == r1:
        raise ValueError(
            f"alpha scaling degenerate: both anchors' scores ({target_0:.4g}, {target_1:.4g}) map to "
            f"raw strength {r0} (clipped: {c0}, {c1}); widen the raw strength grid")
    return ScalingResult(raw_at_0=r0, raw_at_1=r1, clipped_0=c0, clipped_1=c1)


def scaled_to_raw(s: float | ArrayLike, result: ScalingResult) -> float | np.ndarray:
    """Raw baseline strength for scaled alpha ``s``: ``raw_at_0 + s * (raw_at_1 - raw_at_0)``."""
    out = result.raw_at_0 + np.asarray(s, dtype=float) * (result.raw_at_1 - result.raw_at_0)
    return float(out) if out.ndim == 0 else out


def raw_to_scaled(raw: float | ArrayLike, result: ScalingResult) -> float | np.ndarray:
    """Inverse of :func:`scaled_to_raw` (x axis of the baselines in Fig. 2)."""
    out = (np.asarray(raw, dtype=float) - result.raw_at_0) / (result.raw_at_1 - result.raw_at_0)
    return float(out) if out.ndim == 0 else out


# --------------------------------------------------------------------------------------------
# Entanglement (Sec. 3.2.2, Figs. 8 and 16)
# --------------------------------------------------------------------------------------------
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

    This is the input format of :func:`lminterp.plots.plot_entanglement_heatmaps`.
    """
    rows = []
    for method, mat in matrices.items():
        for i in mat.index:
            for j in mat.columns:
                if i != j:
                    rows.append({"method": method, "attribute_i": i, "attribute_j": j,
                                 "auc": float(mat.loc[i, j])})
    return pd.DataFrame(rows, columns=["method", "attribute_i", "attribute_j", "auc"])


# --------------------------------------------------------------------------------------------
# Table 1 MAE
# --------------------------------------------------------------------------------------------
def _as_alpha_series(x: Mapping[float, float] | pd.Series, name: str) -> pd.Series:
    s = pd.Series(x, dtype=float) if not isinstance(x, pd.Series) else x.astype(float)
    idx = np.round(np.asarray(s.index, dtype=float), ALPHA_DECIMALS)
    s = pd.Series(s.to_numpy(), index=idx)
    if s.index.has_duplicates:
        raise ValueError(f"{name}: duplicate alpha values {sorted(set(idx[s.index.duplicated()]))}")
    return s


def mae(gt_scores: Mapping[float, float] | pd.Series, method_scores: Mapping[float, float] | pd.Series) -> float:
    """Mean absolute error between GT and a method's scores at corresponding alpha (Table 1).

    Both arguments map alpha -> mean score (dict or Series indexed by alpha; alphas are matched after
    rounding to 9 decimals). Every GT alpha must have a method score (otherwise ValueError); extra
    method alphas are ignored. For the baselines pass the scores at *scaled* alpha.
    """
    gt = _as_alpha_series(gt_scores, "gt_scores")
    me = _as_alpha_series(method_scores, "method_scores")
    if gt.empty:
        raise ValueError("mae: gt_scores is empty")
    missing = gt.index.difference(me.index)
    if len(missing):
        raise ValueError(f"mae: method has no score at GT alphas {sorted(missing.tolist())}")
    diff = (gt - me.reindex(gt.index)).abs()
    if diff.isna().any():
        raise ValueError("mae: missing (NaN) scores")
    return float(diff.mean())
