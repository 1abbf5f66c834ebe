"""Uncertainty of every number a figure or table reports: a seeded bootstrap over prompts (pandas/numpy, no torch).

A replicate draws the prompts with replacement and keeps each drawn prompt's samples whole. All models of one job
are resampled with the *same* draws (a paired bootstrap): with common random numbers (`lminterp.mixing.generation`) the
models of a grid share their prompts and noise, so a difference of two models (an entanglement AUC, an MAE to GT)
has a much tighter interval than either model's mean. A replicate's statistic is computed exactly like the point
estimate, from the replicate's per-model means.

Intervals are bias-corrected and accelerated (BCa, Efron 1987), the method of ``scipy.stats.bootstrap(method="BCa")``:
an MAE, an AUC or a difference of them is a skewed statistic whose replicates do not centre on its value, and the plain
percentile interval then misses the true value far more often than 5 % (tests/test_intervals.py measures both). BCa
needs the statistic on the sample and on every leave-one-unit-out sample (the jackknife) besides the bootstrap
replicates, so every replicate array this module hands out has ``B + K + 1`` entries: the ``B`` bootstrap replicates,
the ``K`` jackknife values (unit ``k`` left out) and, last, the statistic of the whole sample. Callers combine such
arrays entry by entry (differences, means over models, AUCs) exactly as they combine point estimates, so the
jackknife and the point estimate of any derived statistic come for free and :meth:`Bootstrap.interval` needs nothing
else. (scipy's function resamples by itself from one statistic callable; expressing each figure's statistic that way
would write every point estimate a second time. ``statistics.interval: percentile`` gives the old intervals.)

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
