"""Dial a style: fit score surfaces on workflow-like designs from KNOWN response functions, then invert them."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from lminterp.dial import surfaces as D

# ground truths in terms of the anchor weights u = lam*alpha, v = lam*(1 - alpha)
TRUTH = {
    "sentiment": lambda u, v: expit(-2 + 5 * u + 0 * v),
    "politeness": lambda u, v: expit(0.5 + 3 * u - 3 * v),
    "formality": lambda u, v: 0.05 + 0.85 * expit(-3 + 6 * u - 1 * v),   # saturates at 0.9
}
ATTRS = tuple(TRUTH)
BOUNDS = (-1.0, 2.0)


def true_score(attribute, alpha, lam):
    return TRUTH[attribute](lam * alpha, lam * (1 - alpha))


def design():
    """(alpha, lam) points like the workflow's: single curves with extrapolation, the alpha x lambda grid,
    lambda 0.5 pairs, the triple lattice (alphas equal, in {0, 1}) and models lacking the attribute (lam 0)."""
    pts = [(a, 1.0) for a in (-3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3, 4)]
    pts += [(a, l) for l in (0.2, 0.4, 0.6, 0.8, 1.0) for a in (0, 0.25, 0.5, 0.75, 1)]
    pts += [(a, 0.5) for a in (0, 0.25, 0.5, 0.75, 1)]
    pts += [(a, k / 4) for k in (1, 2, 3) for a in (0.0, 1.0)]
    pts += [(np.nan, 0.0)] * 6
    return pts


def points(noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for attribute in ATTRS:
        for m, (alpha, lam) in enumerate(design()):
            s = float(true_score(attribute, 0.0 if lam == 0 else alpha, lam))
            s = float(np.clip(s + noise * rng.standard_normal(), 0, 1))
            rows.append({"model": f"m{m}", "attribute": attribute, "alpha": alpha, "lam": lam,
                         "score": s, "lo": s - 0.03, "hi": s + 0.03})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def surfaces():
    return D.fit_surfaces(points(), ATTRS)


def check_grid(sol, bounds=BOUNDS):
    assert math.fsum(sol.lambdas.values()) == 1.0
    assert sum(round(l * 100) for l in sol.lambdas.values()) == 100
    for a in sol.alphas:
        assert bounds[0] <= sol.alphas[a] <= bounds[1]
        assert sol.alphas[a] == round(sol.alphas[a], 2) and sol.lambdas[a] == round(sol.lambdas[a], 2)
        assert 0 < sol.lambdas[a] <= 1


def test_fit_matches_truth(surfaces):
    alpha, lam = np.meshgrid(np.linspace(-1, 2, 31), np.linspace(0, 1, 11))
    for a, s in surfaces.items():
        assert np.max(np.abs(s.predict(alpha, lam) - true_score(a, alpha, lam))) < 0.01
        assert s.rms < 0.005 and s.half_width == pytest.approx(np.hypot(s.rms, 0.03))
        base = s.predict(np.array([-1.0, 0.0, 2.0]), 0.0)
        assert np.ptp(base) == 0 and base[0] == pytest.approx(true_score(a, 0, 0), abs=0.01)
        # monotone in alpha, with an effect of alpha that grows with lam
        assert np.all(np.diff(s.predict(np.linspace(-1, 2, 50), 0.5)) > 0)
        assert np.ptp(s.predict([0, 1], 1.0)) > np.ptp(s.predict([0, 1], 0.3)) > 0
    assert isinstance(surfaces["sentiment"].predict(0.5, 1.0), float)


@pytest.mark.parametrize("attribute,alpha", [("sentiment", 0.2), ("sentiment", 0.6), ("politeness", -0.2),
                                             ("politeness", 0.75), ("formality", 0.4)])
def test_single_attribute_recovers_alpha(surfaces, attribute, alpha):
    target = float(true_score(attribute, alpha, 1.0))
    sol = D.solve({attribute: target}, surfaces, BOUNDS)
    check_grid(sol)
    assert sol.lambdas == {attribute: 1.0} and sol.reachable
    assert abs(sol.alphas[attribute] - alpha) <= 0.05
    assert abs(sol.predicted[attribute] - target) <= 0.02
    assert sol.error[attribute] == sol.predicted[attribute] - target


@pytest.mark.parametrize("setting", [
    {"sentiment": (0.8, 0.6), "politeness": (0.3, 0.4)},
    {"sentiment": (0.2, 0.3), "formality": (0.9, 0.7)},
    {"sentiment": (1.0, 0.5), "politeness": (0.0, 0.25), "formality": (0.6, 0.25)},
    {"sentiment": (0.3, 0.2), "politeness": (0.9, 0.5), "formality": (0.1, 0.3)},
])
def test_multi_attribute_reaches_targets(surfaces, setting):
    targets = {a: float(true_score(a, alpha, lam)) for a, (alpha, lam) in setting.items()}
    sol = D.solve(targets, surfaces, BOUNDS)
    check_grid(sol)
    assert sol.reachable, sol.message
    for a, t in targets.items():
        assert abs(sol.predicted[a] - t) <= 0.02
        assert abs(true_score(a, sol.alphas[a], sol.lambdas[a]) - t) <= 0.03


def test_fixed_lambdas(surfaces):
    targets = {"sentiment": 0.7, "politeness": 0.4, "formality": 0.5}
    sol = D.solve(targets, surfaces, BOUNDS, fixed_lambdas={"sentiment": 0.3})
    check_grid(sol)
    assert sol.lambdas["sentiment"] == 0.3
    every = D.solve(targets, surfaces, BOUNDS, fixed_lambdas={"sentiment": 0.5, "politeness": 0.2, "formality": 0.3})
    assert every.lambdas == {"sentiment": 0.5, "politeness": 0.2, "formality": 0.3}
    with pytest.raises(ValueError, match="simplex"):
        D.solve(targets, surfaces, BOUNDS, fixed_lambdas={"sentiment": 0.5, "politeness": 0.5})
    with pytest.raises(ValueError, match="multiple of 0.01"):
        D.solve(targets, surfaces, BOUNDS, fixed_lambdas={"sentiment": 0.333})


def test_unreachable_target_names_attribute_and_closest(surfaces):
    sol = D.solve({"formality": 0.999}, surfaces, BOUNDS)
    check_grid(sol)
    assert not sol.reachable
    assert sol.predicted["formality"] == pytest.approx(0.90, abs=0.01)
    assert sol.alphas["formality"] > 1.0            # pushed into extrapolation, as far as it helps
    assert sol.message.startswith("formality 0.999 is out of reach: the closest model in alpha [-1, 2] gives 0.90")
    # in a two-attribute request only the out-of-reach one is named; narrower bounds are reported as given
    both = D.solve({"sentiment": 0.95, "politeness": 0.6}, surfaces, (-0.5, 0.6))
    assert not both.reachable and "politeness" not in both.message
    assert both.message.startswith("sentiment 0.95 is out of reach: the closest model in alpha [-0.5, 0.6] gives 0.73")
    assert both.alphas["sentiment"] == 0.6 and both.lambdas["sentiment"] >= 0.9
    assert abs(both.error["politeness"]) <= 0.02 and ";" not in both.message


def test_noisy_points_still_recover():
    noisy = D.fit_surfaces(points(noise=0.03, seed=7), ATTRS)
    assert all(0.02 < s.rms < 0.04 for s in noisy.values())
    for setting in ({"sentiment": (0.5, 1.0)}, {"politeness": (0.7, 0.6), "formality": (0.3, 0.4)},
                    {"sentiment": (0.9, 0.4), "politeness": (0.2, 0.3), "formality": (0.8, 0.3)}):
        targets = {a: float(true_score(a, alpha, lam)) for a, (alpha, lam) in setting.items()}
        sol = D.solve(targets, noisy, BOUNDS)
        check_grid(sol)
        for a, t in targets.items():
            assert abs(sol.predicted[a] - t) <= 0.05
            assert abs(true_score(a, sol.alphas[a], sol.lambdas[a]) - t) <= 0.05


def test_deterministic_and_order_independent():
    table = points(noise=0.03, seed=3)
    first = D.fit_surfaces(table, ATTRS)
    again = D.fit_surfaces(table.sample(frac=1.0, random_state=1).reset_index(drop=True), ATTRS)
    assert first == again
    targets = {"sentiment": 0.6, "politeness": 0.7, "formality": 0.4}
    assert D.solve(targets, first, BOUNDS) == D.solve(targets, again, BOUNDS)


def test_rejects_bad_requests(surfaces):
    with pytest.raises(ValueError, match="no fitted surface"):
        D.solve({"humor": 0.5}, surfaces)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        D.solve({"sentiment": 1.2}, surfaces)
    with pytest.raises(ValueError, match="lack columns"):
        D.fit_surfaces(points().drop(columns="lo"), ATTRS)
    with pytest.raises(ValueError, match="no scored points"):
        D.fit_surfaces(points(), ["humor"])
