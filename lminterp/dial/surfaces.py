"""Dial a style: fit each attribute's score as a smooth function of its own (alpha_i, lambda_i), then invert it.

Model. With u = lam*alpha and v = lam*(1 - alpha), the weights of the class-1 and class-0 anchors, each attribute
gets a four-parameter logistic  score = floor + (ceil - floor) * sigmoid(b0 + b1*u + b2*v), floor <= every score <=
ceil, fitted by weighted least squares (scipy.optimize.least_squares, weights from the 95% interval half-widths).
At lam = 0 it is the base level whatever alpha is; at fixed lam, d(eta)/d(alpha) = lam*(b1 - b2), so the score is
monotone in alpha (increasing when b1 > b2) with a slope that grows with lam, and no quadratic term can bend it
back. Outside the data the logistic flattens onto floor/ceil (classifiers rarely reach 0 or 1) instead of running
off like a polynomial, so extrapolation is gentle. Other attributes' influence (entanglement) is not modelled: it
shows up as residual and widens the prediction half-width, sqrt(rms^2 + mean data half-width^2).

Solve. Built models need 2-decimal alphas and lambdas, so `solve` searches that grid exhaustively, which is exact,
deterministic and cheap: given the lambdas, the objective sum_i (f_i(alpha_i, lam_i) - t_i)^2 separates, so the
best alpha on the 0.01 grid is tabulated per attribute and per lambda in {0.01, ..., 1}, and then every lambda
composition of 100 hundredths is scored. Tiny penalties (each worth at most ~0.01 of score) break the ties of
non-unique inverses canonically: prefer alphas inside [0, 1] (interpolation) and lambdas near equal.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import least_squares
from scipy.special import expit, logit

COLUMNS = ("model", "attribute", "alpha", "lam", "score", "lo", "hi")
GRID = 100                     # alphas and lambdas live on multiples of 1 / GRID
SIGMA_FLOOR = 0.01             # smallest per-point standard error: one very tight interval cannot dominate the fit
PRIOR_SCALE = 0.1              # weak prior floor -> 0, ceil -> 1 (a 0.1 shift costs like one point missed by 1 sigma)
EXTRAPOLATION_PENALTY = 1e-4   # per squared unit of alpha outside [0, 1], in squared-score units
BALANCE_PENALTY = 1e-4         # per squared deviation of lambda_i from 1/n
MAX_ATTRIBUTES = 4


def _curve(params, u, v):
    b0, b1, b2, floor, ceil = params
    return floor + (ceil - floor) * expit(b0 + b1 * u + b2 * v)


@dataclass(frozen=True)
class Surface:
    """One attribute's fitted score surface. params = (b0, b1, b2, floor, ceil); rms = unweighted rms residual;
    half_width = sqrt(rms^2 + mean data half-width^2), a constant 95%-style uncertainty of a prediction."""
    attribute: str
    params: tuple[float, float, float, float, float]
    rms: float
    half_width: float
    n_points: int

    def predict(self, alpha, lam):
        """Predicted score at (alpha, lam); numpy-broadcast, a float for scalar input. alpha is ignored at lam 0."""
        alpha, lam = np.asarray(alpha, dtype=float), np.asarray(lam, dtype=float)
        u = np.where(lam == 0, 0.0, lam * alpha)
        v = np.where(lam == 0, 0.0, lam * (1.0 - alpha))
        out = _curve(self.params, u, v)
        return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class Solution:
    """The chosen model (alphas and lambdas on the 0.01 grid, lambdas summing to 1) and its predicted scores."""
    alphas: dict[str, float]
    lambdas: dict[str, float]
    predicted: dict[str, float]
    half_width: dict[str, float]
    error: dict[str, float]          # predicted - target
    reachable: bool                  # every |error| <= tolerance
    message: str


def fit_surfaces(points: pd.DataFrame, attributes: Iterable[str]) -> dict[str, Surface]:
    """Fit one Surface per attribute from `points` (one row per model and scored attribute, columns COLUMNS)."""
    missing = [c for c in COLUMNS if c not in points.columns]
    if missing:
        raise ValueError(f"points lack columns {missing}")
    surfaces = {}
    for attribute in attributes:
        rows = points[points["attribute"] == attribute]
        if rows.empty:
            raise ValueError(f"no scored points for attribute {attribute!r}")
        # a fixed row order, so the fit does not depend on how the table was assembled
        rows = rows.sort_values(["lam", "alpha", "score", "model"], kind="mergesort", na_position="first")
        surfaces[attribute] = _fit_one(attribute, rows)
    return surfaces


def _fit_one(attribute: str, rows: pd.DataFrame) -> Surface:
    lam = rows["lam"].to_numpy(float)
    alpha = rows["alpha"].to_numpy(float)
    score = rows["score"].to_numpy(float)
    if not (np.all(np.isfinite(score)) and np.all((lam >= 0) & (lam <= 1))):
        raise ValueError(f"{attribute}: scores must be finite and lam in [0, 1]")
    if np.any(~np.isfinite(alpha) & (lam > 0)):
        raise ValueError(f"{attribute}: alpha is missing where lam > 0")
    if len(rows) < 6 or np.unique(np.round(alpha[lam > 0], 9)).size < 2:
        raise ValueError(f"{attribute}: need at least 6 points and 2 distinct alphas with lam > 0")
    alpha = np.where(lam == 0, 0.0, alpha)
    u, v = lam * alpha, lam * (1.0 - alpha)
    half = (rows["hi"].to_numpy(float) - rows["lo"].to_numpy(float)) / 2
    ok = np.isfinite(half) & (half >= 0)
    half = np.where(ok, half, np.median(half[ok]) if ok.any() else 0.05)
    sigma = np.maximum(half / 1.96, SIGMA_FLOOR)

    def residuals(p):
        prior = [p[3] / PRIOR_SCALE, (1.0 - p[4]) / PRIOR_SCALE]
        return np.concatenate([(_curve(p, u, v) - score) / sigma, prior])

    s_min, s_max = float(np.clip(score.min(), 0, 1)), float(np.clip(score.max(), 0, 1))
    lower = [-50.0, -50.0, -50.0, 0.0, min(s_max, 1 - 1e-6)]
    upper = [50.0, 50.0, 50.0, max(s_min, 1e-6), 1.0]
    base = float(np.clip(np.mean(score[lam == 0]) if np.any(lam == 0) else np.mean(score), 0.02, 0.98))
    best = None
    for slope in (2.0, -2.0):       # rising and falling starts; the better fit wins
        x0 = [float(logit(base)), slope, -slope, upper[3] / 2, (lower[4] + 1) / 2]
        fit = least_squares(residuals, x0, bounds=(lower, upper), x_scale="jac")
        if best is None or fit.cost < best.cost:
            best = fit
    params = tuple(float(x) for x in best.x)
    rms = float(np.sqrt(np.mean((_curve(params, u, v) - score) ** 2)))
    return Surface(attribute, params, rms, float(np.hypot(rms, np.mean(half))), len(rows))


def solve(targets: Mapping[str, float], surfaces: Mapping[str, Surface], alpha_bounds=(-1.0, 2.0),
          fixed_lambdas: Mapping[str, float] | None = None, tolerance: float = 0.05) -> Solution:
    """Alphas (in alpha_bounds) and lambdas (on the simplex over the requested attributes, each >= 0.01; lambda = 1
    for one attribute) minimising sum_i (predict_i(alpha_i, lambda_i) - target_i)^2, all on the 0.01 grid.
    `fixed_lambdas` pins some or all lambdas (multiples of 0.01). Unreachable targets are named in `message`."""
    names = list(targets)
    if not 1 <= len(names) <= MAX_ATTRIBUTES:
        raise ValueError(f"ask for 1 to {MAX_ATTRIBUTES} attributes (got {len(names)})")
    for a in names:
        if a not in surfaces:
            raise ValueError(f"no fitted surface for {a!r}")
        if not 0.0 <= float(targets[a]) <= 1.0:
            raise ValueError(f"target for {a} must lie in [0, 1] (got {targets[a]})")
    lo, hi = float(alpha_bounds[0]), float(alpha_bounds[1])
    alpha_grid = np.arange(math.ceil(lo * GRID - 1e-9), math.floor(hi * GRID + 1e-9) + 1) / GRID
    if alpha_grid.size == 0:
        raise ValueError(f"alpha_bounds {alpha_bounds} contain no multiple of {1 / GRID}")
    lattice = _lambda_lattice(names, _fixed_hundredths(names, fixed_lambdas or {}))

    outside = np.maximum(alpha_grid - 1.0, 0.0) + np.maximum(-alpha_grid, 0.0)
    levels = np.arange(1, GRID + 1) / GRID
    best_alpha, total = {}, BALANCE_PENALTY * ((lattice / GRID - 1 / len(names)) ** 2).sum(axis=1)
    for i, a in enumerate(names):     # per lambda level, the best alpha on the grid (the objective separates)
        cost = (surfaces[a].predict(alpha_grid[None, :], levels[:, None]) - float(targets[a])) ** 2
        cost = cost + EXTRAPOLATION_PENALTY * outside ** 2
        j = np.argmin(cost, axis=1)
        best_alpha[a] = alpha_grid[j]
        total = total + cost[np.arange(GRID), j][lattice[:, i] - 1]
    chosen = lattice[int(np.argmin(total))]

    lambdas = {a: int(k) / GRID for a, k in zip(names, chosen)}
    alphas = {a: float(best_alpha[a][k - 1]) for a, k in zip(names, chosen)}
    predicted = {a: float(surfaces[a].predict(alphas[a], lambdas[a])) for a in names}
    error = {a: predicted[a] - float(targets[a]) for a in names}
    notes = []
    for a in names:
        if abs(error[a]) > tolerance:
            reach = surfaces[a].predict(alpha_grid, lambdas[a])
            notes.append(f"{a} {float(targets[a]):g} is out of reach: the closest model in alpha [{lo:g}, {hi:g}] "
                         f"gives {predicted[a]:.2f} (at lambda {lambdas[a]:.2f} the range is "
                         f"{reach.min():.2f}-{reach.max():.2f})")
    message = "; ".join(notes) if notes else f"all targets within {tolerance:g}"
    return Solution(alphas, lambdas, predicted, {a: surfaces[a].half_width for a in names}, error,
                    not notes, message)


def _fixed_hundredths(names, fixed: Mapping[str, float]) -> dict[str, int]:
    out = {}
    for a, value in fixed.items():
        if a not in names:
            raise ValueError(f"fixed lambda for {a!r}, which has no target")
        k = round(float(value) * GRID)
        if abs(float(value) * GRID - k) > 1e-6 or not 1 <= k <= GRID:
            raise ValueError(f"fixed lambda for {a} must be a multiple of 0.01 in (0, 1] (got {value})")
        out[a] = k
    return out


def _lambda_lattice(names, fixed: dict[str, int]) -> np.ndarray:
    """All lambda compositions, in hundredths (each >= 1, summing to GRID), that respect the fixed ones; (L, n)."""
    free = [a for a in names if a not in fixed]
    rest = GRID - sum(fixed.values())
    if rest < len(free) or (not free and rest != 0):
        raise ValueError(f"fixed lambdas {fixed} (hundredths) leave no valid simplex point for {free}")
    axes = [ax.ravel() for ax in np.meshgrid(*[np.arange(1, rest)] * max(len(free) - 1, 0), indexing="ij")]
    last = np.atleast_1d(rest - sum(axes)) if free else np.zeros(1, int)
    keep = last >= 1 if free else np.ones(1, bool)
    columns = dict(zip(free, [ax[keep] for ax in axes] + [last[keep]]))
    return np.stack([columns[a] if a in columns else np.full(int(keep.sum()), fixed[a]) for a in names], axis=1)
