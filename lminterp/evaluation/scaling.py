"""Alpha scaling of the baselines (paper Sec. 2.4 "Baselines", Fig. 2, Table 1, Figs. 8 and 16): the raw
DExperts / model-arithmetic strengths whose scores match the anchors', so that scaled alpha 0 and 1 mean the same
score as the alpha = 0 and alpha = 1 anchors. No file names, no torch."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

ArrayLike = Sequence[float] | np.ndarray | pd.Series

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


def alpha_scaling_or_span(raw_strengths: ArrayLike, scores: ArrayLike, target_0: float,
                          target_1: float) -> tuple[ScalingResult, str | None]:
    """:func:`alpha_scaling`, or, where a baseline cannot reach the anchors' scores at all (its monotone curve is
    flat over the sweep, or both anchors' scores map to one raw strength), the whole swept range: scaled alpha 0
    and 1 are then the weakest and strongest raw strengths, and the reason is returned beside the result (None
    when the scaling succeeded). The baseline is then compared at the strongest control the sweep gives it, and
    scaling table (`results/scaling/<method>.csv`, column `fallback`) and the job's log say so; a workflow does
    not stop because one baseline cannot control one attribute.

    A score of NaN is a model that wrote no word (every continuation empty, lminterp/evaluation/score_files.py): a raw
    strength with NaN is left out of the fit (:func:`silent_strengths` names them); an anchor with NaN leaves nothing
    to match, and so does a sweep with fewer than two strengths that wrote text: the whole range, with the reason."""
    raw = np.asarray(raw_strengths, dtype=float).ravel()
    y = np.asarray(scores, dtype=float).ravel()
    if raw.shape != y.shape:
        raise ValueError(f"raw_strengths ({raw.size}) and scores ({y.size}) differ in length")
    if not np.all(np.isfinite(raw)):
        raise ValueError("raw_strengths must be finite")
    span = ScalingResult(raw_at_0=float(raw.min()), raw_at_1=float(raw.max()), clipped_0=True, clipped_1=True)
    silent = [name for name, target in (("alpha = 0", target_0), ("alpha = 1", target_1)) if np.isnan(target)]
    if silent:
        return span, f"the {' and the '.join(silent)} anchor wrote no word (every continuation empty): nothing to match"
    spoke = ~np.isnan(y)
    if spoke.sum() < 2:
        return span, "fewer than two raw strengths wrote any word (every other continuation empty)"
    try:
        return alpha_scaling(raw[spoke], y[spoke], target_0, target_1), None
    except ValueError as e:
        monotone_fit(raw[spoke], y[spoke])   # re-raises for invalid input (not a degenerate curve)
        if not (np.isfinite(target_0) and np.isfinite(target_1)):
            raise
        return span, str(e)


def silent_strengths(raw_strengths: ArrayLike, scores: ArrayLike) -> list[float]:
    """The raw strengths whose model wrote no word (score NaN): left out of the alpha scaling."""
    raw, y = np.asarray(raw_strengths, dtype=float).ravel(), np.asarray(scores, dtype=float).ravel()
    return [float(r) for r in raw[np.isnan(y)]]
