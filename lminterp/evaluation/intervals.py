"""Uncertainty of every number a figure or table reports: a seeded bootstrap over prompts (pandas/numpy, no torch).

A replicate draws the prompts with replacement and keeps each drawn prompt's samples whole. All models of one job
are resampled with the *same* draws (a paired bootstrap): with common random numbers (`lminterp.mixing.generation`) the
models of a grid share their prompts and noise, so a difference of two models (an entanglement AUC, an MAE to GT)
has a much tighter interval than either model's mean. A replicate's statistic is computed exactly like the point
estimate, from the replicate's per-model means.

Intervals are bias-corrected and accelerated (BCa, Efron 1987), the method of ``scipy.stats.bootstrap(method="BCa")``,
for smooth statistics (means, dist-n, perplexity, rises): BCa needs the statistic on the sample and on every
leave-one-unit-out sample (the jackknife) besides the bootstrap replicates, so every replicate array this module
hands out has ``B + K + 1`` entries: the ``B`` bootstrap replicates, the ``K`` jackknife values (unit ``k`` left
out) and, last, the statistic of the whole sample. Callers combine such arrays entry by entry (differences, means
over models) exactly as they combine point estimates, so the jackknife and the point estimate of any derived
statistic come for free and :meth:`Bootstrap.interval` needs nothing else. (scipy's function resamples by itself
from one statistic callable; expressing each figure's statistic that way would write every point estimate a second
time.)

A sum of *absolute* gaps (an MAE to the GT models, an entanglement AUC, and paired differences of them) is not
smooth where a gap is 0, and there no interval read off its own replicates covers the truth at its rate (the
percentile interval 0.57, BCa 0.83 for close curves; 0.0 for coinciding ones): :meth:`Bootstrap.abs_sum` takes the
*signed* gaps' replicate arrays instead and gives the sign-bound interval (:func:`sign_bound_interval`), valid
whatever the true gaps are. ``statistics.interval: percentile`` gives the plain percentile intervals for both kinds.

Means leave out missing values (an empty continuation has no scores): a model's mean is the sum of its valid
values over the drawn prompts divided by their number. Perplexity has its own unit, the windows of the
sliding-window method (:func:`window_bootstrap`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

INTERVAL_METHODS = ("bca", "percentile")
SIGN_BOUND_KAPPA = 2.5   # a gap counts as away from zero beyond this many bootstrap sds (chosen on simulations)


@dataclass(frozen=True)
class Bootstrap:
    """Resampling weights over units (prompts, or perplexity windows): ``weights[b, k]`` = how many times unit
    ``units[k]`` is drawn in replicate ``b``."""

    units: np.ndarray        # (K,) unit ids, sorted
    weights: np.ndarray      # (B, K) draw counts; each row sums to K
    level: float             # confidence level of the intervals, e.g. 0.95
    method: str = "bca"      # "bca" or "percentile"

    @classmethod
    def draw(cls, units: Sequence, replicates: int, seed: int, level: float = 0.95,
             method: str = "bca") -> "Bootstrap":
        units = np.array(sorted(set(units)))
        if units.size == 0:
            raise ValueError("bootstrap: no units to resample")
        if replicates < 1 or not 0.0 < level < 1.0:
            raise ValueError(f"bootstrap: need replicates >= 1 and 0 < level < 1 (got {replicates}, {level})")
        if method not in INTERVAL_METHODS:
            raise ValueError(f"bootstrap: statistics.interval must be one of {INTERVAL_METHODS} (got {method!r})")
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, units.size, size=(replicates, units.size))
        weights = np.zeros((replicates, units.size))
        np.add.at(weights, (np.arange(replicates)[:, None], idx), 1.0)
        return cls(units, weights, level, method)

    def _with_jackknife(self, num: np.ndarray, den: np.ndarray) -> np.ndarray:
        """Replicates of sum(num) / sum(den): bootstrap rows, leave-one-unit-out rows, the whole sample."""
        with np.errstate(invalid="ignore", divide="ignore"):
            boot = (self.weights @ num) / (self.weights @ den)
            jack = (num.sum() - num) / (den.sum() - den)
            whole = num.sum() / den.sum() if den.sum() else np.nan
        return np.concatenate([boot, jack, [whole]])

    def parts(self, replicates) -> tuple[np.ndarray, np.ndarray, float]:
        """(bootstrap replicates (B,), jackknife values (K,), the whole sample's statistic) of a replicate array."""
        r = np.asarray(replicates, dtype=float)
        B, K = self.weights.shape
        if r.shape != (B + K + 1,):
            raise ValueError(f"bootstrap: a replicate array has {B} + {K} + 1 entries (got shape {r.shape})")
        return r[:B], r[B:B + K], float(r[-1])

    def _per_unit(self, values, unit_ids) -> tuple[np.ndarray, np.ndarray]:
        """Sums and counts of the finite values per unit, in ``self.units`` order."""
        v = np.asarray(values, dtype=float)
        ids = np.asarray(unit_ids)
        pos = np.searchsorted(self.units, ids)
        if np.any(pos >= self.units.size) or np.any(self.units[np.minimum(pos, self.units.size - 1)] != ids):
            raise ValueError("bootstrap: a value belongs to a unit the bootstrap was not drawn over")
        ok = np.isfinite(v)
        sums = np.bincount(pos[ok], weights=v[ok], minlength=self.units.size)
        counts = np.bincount(pos[ok], minlength=self.units.size).astype(float)
        return sums, counts

    def mean(self, values, unit_ids) -> tuple[float, np.ndarray]:
        """The mean of the finite ``values`` (point estimate) and its replicates (B + K + 1, module docstring), each
        value belonging to the unit ``unit_ids[i]``. NaN where nothing is left to average."""
        sums, counts = self._per_unit(values, unit_ids)
        reps = self._with_jackknife(sums, counts)
        return float(reps[-1]), reps

    def ratio(self, numerators, denominators, unit_ids) -> tuple[float, np.ndarray]:
        """sum(numerators) / sum(denominators) over the drawn units (e.g. NLL per token), and its replicates."""
        num, _ = self._per_unit(numerators, unit_ids)
        den, _ = self._per_unit(denominators, unit_ids)
        reps = self._with_jackknife(num, den)
        return float(reps[-1]), reps

    def interval(self, replicates: np.ndarray) -> tuple[float, float]:
        """The BCa (or, with ``method="percentile"``, the percentile) interval of a statistic from its replicate array
        (module docstring). NaN bootstrap or jackknife entries are left out; NaN if no replicate is left."""
        boot, jack, point = self.parts(replicates)
        boot = boot[np.isfinite(boot)]
        if boot.size == 0:
            return float("nan"), float("nan")
        tail = (1.0 - self.level) / 2.0
        probs = np.array([tail, 1.0 - tail])
        if self.method == "bca" and np.isfinite(point):
            probs = bca_levels(boot, jack[np.isfinite(jack)], point, probs)
        lo, hi = np.percentile(boot, 100.0 * probs)
        return float(lo), float(hi)

    def abs_sum(self, gaps: Sequence[tuple[float, np.ndarray]], weights: Sequence[float] | None = None,
                kappa: float = SIGN_BOUND_KAPPA) -> tuple[float, tuple[float, float]]:
        """``theta = sum_j w_j |delta_j|`` over signed gaps ``delta_j`` (an MAE over an alpha grid, an average of
        MAEs, or a paired difference of two methods' MAEs with negative weights on the second's terms), from each
        gap's (value, replicate array): the value ``sum_j w_j |d_j|`` and its interval (default weights 1/J).

        The interval is the sign-bound bootstrap (:func:`sign_bound_interval`; ``method="percentile"``: the
        percentile interval of the replicates of ``sum_j w_j |d*_j|``, the old one). NaN if a gap is not finite."""
        d = np.array([g for g, _ in gaps], dtype=float)
        reps = np.array([np.asarray(r, dtype=float) for _, r in gaps])
        w = np.full(d.size, 1.0 / d.size) if weights is None else np.asarray(weights, dtype=float)
        if w.shape != d.shape:
            raise ValueError(f"bootstrap: {d.size} gaps but {w.size} weights")
        value = float(np.sum(w * np.abs(d)))
        if self.method == "percentile":
            return value, self.interval(w @ np.abs(reps))
        B, K = self.weights.shape
        if reps.shape != (d.size, B + K + 1):
            raise ValueError(f"bootstrap: a replicate array has {B} + {K} + 1 entries (got shape {reps.shape[1:]})")
        return value, sign_bound_interval(reps[:, :B].T, d, w, self.level, kappa, K)


def sign_bound_interval(boot: np.ndarray, d: np.ndarray, w: np.ndarray, level: float,
                        kappa: float = SIGN_BOUND_KAPPA, n_units: int | None = None) -> tuple[float, float]:
    """The interval of ``theta = sum_j w_j |delta_j|`` from bootstrap signed gaps ``boot`` (B, J) and the sample's
    ``d`` (J,): the "sign-bound bootstrap". With ``e_j = d_j - delta_j``, for every term

        sign(delta_j) e_j  <=  |d_j| - |delta_j|  <=  sign(d_j) e_j  <=  |e_j|,

    so ``theta_hat - theta`` lies between sums of per-term errors whose law the bootstrap gives (``e*_j = d*_j -
    d_j``, scaled by sqrt(P / (P - 1)) for P resampled units), whichever delta_j are zero. A term whose gap is
    clearly away from zero (|d_j| > kappa bootstrap sds) has a known sign and enters both sides linearised as
    ``sign(d_j) e*_j`` (well separated curves get the basic interval); a term near zero enters the side that bounds
    ``theta_hat - theta`` from above as ``|e*_j|``, the whole upward bias of |d_j| where delta_j = 0; a term with no
    spread (an endpoint that *is* the GT model) is exact. Each limit is read off its own least favourable case, so
    the interval is valid whatever the true gaps are: measured coverage 0.93-0.96 for well separated curves and
    0.96-1.00 near zero, where the percentile interval covers 0.64 and BCa 0.83 (tests/test_intervals.py,
    paper/METHODS.md). The lower limit is clipped at 0 when every weight is positive."""
    boot = np.asarray(boot, dtype=float)
    boot = boot[np.all(np.isfinite(boot), axis=1)]
    if boot.shape[0] == 0 or not np.all(np.isfinite(d)):
        return float("nan"), float("nan")
    e = boot - d[None, :]
    if n_units is not None and n_units > 1:
        e = e * np.sqrt(n_units / (n_units - 1.0))
    sd = np.sqrt(np.mean(e**2, axis=0))
    away = (np.abs(d) > kappa * sd) | (sd == 0)
    lin = np.sign(d)[None, :] * e
    up = np.where(away[None, :], lin, np.abs(e))
    pos = w > 0
    t_hi = np.sum(w * np.where(pos, up, lin), axis=1)
    t_lo = np.sum(w * np.where(pos, lin, up), axis=1)
    theta = float(np.sum(w * np.abs(d)))
    tail = (1.0 - level) / 2.0
    lo = theta - float(np.quantile(t_hi, 1.0 - tail))
    hi = theta - float(np.quantile(t_lo, tail))
    if np.all(w >= 0):
        lo = max(lo, 0.0)
    return lo, hi


def bca_levels(boot: np.ndarray, jack: np.ndarray, point: float, probs: np.ndarray) -> np.ndarray:
    """The percentile levels at which BCa reads the bootstrap distribution (Efron & Tibshirani 1993, 14.3): the
    bias correction z0 from the share of replicates below the point estimate (ties count half, so that a statistic
    whose replicates all equal it gets z0 = 0), the acceleration from the jackknife's skewness."""
    from scipy.stats import norm

    share = (np.count_nonzero(boot < point) + 0.5 * np.count_nonzero(boot == point)) / boot.size
    share = min(max(share, 0.5 / boot.size), 1.0 - 0.5 / boot.size)       # finite z0 when every replicate is off
    z0 = norm.ppf(share)
    d = jack.mean() - jack if jack.size else np.zeros(1)
    denom = 6.0 * np.sum(d**2) ** 1.5
    accel = float(np.sum(d**3) / denom) if denom > 0 else 0.0
    z = norm.ppf(probs)
    return norm.cdf(z0 + (z0 + z) / (1.0 - accel * (z0 + z)))


def prompt_bootstrap(tables: Sequence[pd.DataFrame], stats_cfg: dict) -> Bootstrap:
    """The bootstrap over the prompts of a job's score or generation tables (`statistics` config section). Every
    table must hold the same prompts: paired resampling needs them."""
    prompts = None
    for t in tables:
        ids = frozenset(pd.unique(t["prompt_id"]))
        if prompts is None:
            prompts = ids
        elif ids != prompts:
            raise ValueError("bootstrap: the models of one figure were generated for different prompts")
    if prompts is None:
        raise ValueError("bootstrap: no tables")
    return Bootstrap.draw(sorted(prompts), stats_cfg["replicates"], stats_cfg["seed"], stats_cfg["level"],
                          stats_cfg.get("interval", "bca"))


def window_bootstrap(n_windows: int, stats_cfg: dict) -> Bootstrap:
    """The bootstrap over the windows of the sliding-window perplexity (the same draws for every model)."""
    return Bootstrap.draw(range(n_windows), stats_cfg["replicates"], stats_cfg["seed"], stats_cfg["level"],
                          stats_cfg.get("interval", "bca"))


def with_interval(point: float, replicates: np.ndarray, boot: Bootstrap, name: str = "") -> dict[str, float]:
    """``{name: point, name_lo: ..., name_hi: ...}`` (``name`` empty: ``value, lo, hi``)."""
    lo, hi = boot.interval(replicates)
    key = name or "value"
    return {key: point, f"{name}_lo" if name else "lo": lo, f"{name}_hi" if name else "hi": hi}
