"""Uncertainty of every number a figure or table reports: a seeded bootstrap over prompts (pandas/numpy, no torch).

A replicate draws the prompts with replacement and keeps each drawn prompt's samples whole. All models of one job
are resampled with the *same* draws (a paired bootstrap): with common random numbers (`lminterp.generation`) the
models of a grid share their prompts and noise, so a difference of two models (an entanglement AUC, an MAE to GT)
has a much tighter interval than either model's mean. A replicate's statistic is computed exactly like the point
estimate, from the replicate's per-model means; the interval is the percentile interval of the replicates.

Means leave out missing values (an empty continuation has no scores): a model's mean is the sum of its valid
values over the drawn prompts divided by their number. Perplexity has its own unit, the windows of the
sliding-window method (:func:`window_bootstrap`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Bootstrap:
    """Resampling weights over units (prompts, or perplexity windows): ``weights[b, k]`` = how many times unit
    ``units[k]`` is drawn in replicate ``b``."""

    units: np.ndarray        # (K,) unit ids, sorted
    weights: np.ndarray      # (B, K) draw counts; each row sums to K
    level: float             # confidence level of the intervals, e.g. 0.95

    @classmethod
    def draw(cls, units: Sequence, replicates: int, seed: int, level: float = 0.95) -> "Bootstrap":
        units = np.array(sorted(set(units)))
        if units.size == 0:
            raise ValueError("bootstrap: no units to resample")
        if replicates < 1 or not 0.0 < level < 1.0:
            raise ValueError(f"bootstrap: need replicates >= 1 and 0 < level < 1 (got {replicates}, {level})")
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, units.size, size=(replicates, units.size))
        weights = np.zeros((replicates, units.size))
        np.add.at(weights, (np.arange(replicates)[:, None], idx), 1.0)
        return cls(units, weights, level)

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
        """The mean of the finite ``values`` (point estimate) and its replicates (B,), each value belonging to the
        unit ``unit_ids[i]``. NaN where nothing is left to average."""
        sums, counts = self._per_unit(values, unit_ids)
        with np.errstate(invalid="ignore", divide="ignore"):
            point = sums.sum() / counts.sum() if counts.sum() else float("nan")
            reps = (self.weights @ sums) / (self.weights @ counts)
        return float(point), reps

    def ratio(self, numerators, denominators, unit_ids) -> tuple[float, np.ndarray]:
        """sum(numerators) / sum(denominators) over the drawn units (e.g. NLL per token), and its replicates."""
        num, _ = self._per_unit(numerators, unit_ids)
        den, _ = self._per_unit(denominators, unit_ids)
        point = num.sum() / den.sum()
        return float(point), (self.weights @ num) / (self.weights @ den)

    def interval(self, replicates: np.ndarray) -> tuple[float, float]:
        """The percentile interval of a statistic's replicates (NaN replicates ignored; NaN if none is left)."""
        r = np.asarray(replicates, dtype=float)
        r = r[np.isfinite(r)]
        if r.size == 0:
            return float("nan"), float("nan")
        tail = (1.0 - self.level) / 2.0 * 100.0
        lo, hi = np.percentile(r, [tail, 100.0 - tail])
        return float(lo), float(hi)


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
    return Bootstrap.draw(sorted(prompts), stats_cfg["replicates"], stats_cfg["seed"], stats_cfg["level"])


def window_bootstrap(n_windows: int, stats_cfg: dict) -> Bootstrap:
    """The bootstrap over the windows of the sliding-window perplexity (the same draws for every model)."""
    return Bootstrap.draw(range(n_windows), stats_cfg["replicates"], stats_cfg["seed"], stats_cfg["level"])


def with_interval(point: float, replicates: np.ndarray, boot: Bootstrap, name: str = "") -> dict[str, float]:
    """``{name: point, name_lo: ..., name_hi: ...}`` (``name`` empty: ``value, lo, hi``)."""
    lo, hi = boot.interval(replicates)
    key = name or "value"
    return {key: point, f"{name}_lo" if name else "lo": lo, f"{name}_hi" if name else "hi": hi}
