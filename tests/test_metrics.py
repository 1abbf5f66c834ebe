"""Unit tests of lminterp.evaluation.metrics and the entanglement heat map of lminterp.figures.entanglement (fake data only)."""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from lminterp.evaluation import diversity as D
from lminterp.numbers import entanglement as E
from lminterp.evaluation import metrics as M
from lminterp.evaluation import scaling as SC


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


# ------------------------------------------------------------------------------ dist-n
def test_dist_n_by_hand():
    samples = {
        "p1": ["a b a", "a c"],      # words: a b a | a c  -> 5 words
        "p2": ["x y z w"],           # 4 words
    }
    # dist-1: p1 distinct unigrams {a, b, c} = 3 / 5; p2 {x, y, z, w} = 4 / 4
    assert D.dist_n(samples, 1) == pytest.approx((3 / 5 + 4 / 4) / 2)
    # dist-2: p1 bigrams {(a,b), (b,a)} from sample 1, {(a,c)} from sample 2 -> 3 / 5
    #         (no bigram crosses the sample boundary); p2 {(x,y),(y,z),(z,w)} = 3 / 4
    assert D.dist_n(samples, 2) == pytest.approx((3 / 5 + 3 / 4) / 2)
    # dist-3: p1 {(a,b,a)} = 1 / 5; p2 {(x,y,z),(y,z,w)} = 2 / 4
    assert D.dist_n(samples, 3) == pytest.approx((1 / 5 + 2 / 4) / 2)
    # list-of-lists input gives the same, and diversity() bundles dist-1/2/3
    assert D.dist_n(list(samples.values()), 2) == D.dist_n(samples, 2)
    assert D.diversity(samples) == {f"dist_{n}": D.dist_n(samples, n) for n in (1, 2, 3)}


def test_dist_n_whitespace_repeats_and_empty():
    # whitespace tokenisation: tabs/newlines/multiple spaces split; repeated samples are not distinct
    samples = [["the  cat\tsat", "the cat\nsat"]]
    assert D.dist_n(samples, 1) == pytest.approx(3 / 6)
    assert D.dist_n(samples, 2) == pytest.approx(2 / 6)
    # a prompt with no words is skipped; all-empty -> NaN (degenerate model, not an error)
    assert D.dist_n([["a b"], ["", "  "]], 1) == pytest.approx(1.0)
    assert np.isnan(D.dist_n([[""]], 1))
    with pytest.raises(ValueError):
        D.dist_n([], 1)
    with pytest.raises(ValueError):
        D.dist_n([["a"]], 0)
    with pytest.raises(TypeError):
        D.dist_n({"p": "a b c"}, 1)


def test_group_samples():
    df = pd.DataFrame({"prompt_id": [2, 1, 2], "sample": [0, 0, 1], "text": ["b", "a", None]})
    assert D.group_samples(df) == {1: ["a"], 2: ["b", ""]}


# ------------------------------------------------------------------------------ score summary
def test_score_summary():
    df = pd.DataFrame({
        "prompt_id": [0, 0, 0, 1, 1, 1],
        "sample": [0, 1, 2, 0, 1, 2],
        "sentiment": [0.1, 0.2, 0.3, 0.5, 0.6, 0.7],
        "humor": [1.0, 1.0, 1.0, 0.0, 0.0, np.nan],
    })
    out = M.score_summary(df, ["sentiment", "humor"])
    assert list(out.index) == ["sentiment", "humor"]
    assert out.loc["sentiment", "mean"] == pytest.approx(0.4)
    # per-prompt means 0.2 and 0.6 -> population std 0.2
    assert out.loc["sentiment", "std"] == pytest.approx(0.2)
    assert out.loc["sentiment", "n"] == 6 and out.loc["sentiment", "n_prompts"] == 2
    assert out.loc["humor", "mean"] == pytest.approx(3 / 5)
    assert out.loc["humor", "n"] == 5
    assert M.score_summary(df, ["sentiment"], ddof=1).loc["sentiment", "std"] == pytest.approx(0.2 * np.sqrt(2))
    with pytest.raises(KeyError):
        M.score_summary(df, ["formality"])


# ------------------------------------------------------------------------------ alpha scaling
def test_alpha_scaling_sigmoid_curve():
    raw = np.linspace(-2, 2, 9)
    res = SC.alpha_scaling(raw, sigmoid(2 * raw), sigmoid(-1), sigmoid(1))
    # exact solution raw = -0.5 / 0.5 is a grid point of linspace(-2, 2, 9)
    assert res.raw_at_0 == pytest.approx(-0.5, abs=1e-9)
    assert res.raw_at_1 == pytest.approx(0.5, abs=1e-9)
    assert not res.clipped_0 and not res.clipped_1
    assert SC.scaled_to_raw(0.0, res) == pytest.approx(-0.5)
    assert SC.scaled_to_raw(1.0, res) == pytest.approx(0.5)
    np.testing.assert_allclose(SC.scaled_to_raw([0.25, 0.5], res), [-0.25, 0.0])
    np.testing.assert_allclose(SC.raw_to_scaled(SC.scaled_to_raw([0.25, 2.0], res), res), [0.25, 2.0])
    # off-grid targets: the true raw strengths -0.3 / 0.7 up to the error of linear interpolation
    # between the neighbouring grid points (computed here by hand)
    f = lambda r: sigmoid(2 * r)  # noqa: E731
    t0, t1 = f(-0.3), f(0.7)
    res = SC.alpha_scaling(raw, f(raw), t0, t1)
    assert res.raw_at_0 == pytest.approx(-0.5 + 0.5 * (t0 - f(-0.5)) / (f(0.0) - f(-0.5)))
    assert res.raw_at_1 == pytest.approx(0.5 + 0.5 * (t1 - f(0.5)) / (f(1.0) - f(0.5)))
    assert res.raw_at_0 == pytest.approx(-0.3, abs=0.05)
    assert res.raw_at_1 == pytest.approx(0.7, abs=0.05)
    # unsorted input is sorted first
    perm = np.random.default_rng(0).permutation(9)
    res2 = SC.alpha_scaling(raw[perm], f(raw)[perm], t0, t1)
    assert res2 == res


def test_alpha_scaling_noisy_non_monotone_curve():
    raw = np.linspace(-2, 2, 9)
    scores = 0.5 + 0.2 * raw
    scores[5] -= 0.15                       # raw 0 -> 0.5, raw 0.5 -> 0.45: a noisy decrease
    assert np.any(np.diff(scores) < 0)
    _, fitted = SC.monotone_fit(raw, scores)
    assert np.all(np.diff(fitted) >= 0)     # isotonic fit is non-decreasing
    # pool-adjacent-violators pools raw 0 and 0.5 into their mean 0.475 (neighbours 0.4 and 0.7)
    assert fitted[4] == pytest.approx(0.475) and fitted[5] == pytest.approx(0.475)
    np.testing.assert_allclose(np.delete(fitted, [4, 5]), np.delete(scores, [4, 5]))
    res = SC.alpha_scaling(raw, scores, target_0=0.3, target_1=0.475)
    assert res.raw_at_0 == pytest.approx(-1.0)          # on the rising part
    assert res.raw_at_1 == pytest.approx(0.25)          # plateau [0, 0.5] -> midpoint
    assert res.raw_at_0 < res.raw_at_1


def test_alpha_scaling_clipping_flags():
    raw = np.linspace(-2, 2, 9)
    scores = 0.4 + 0.05 * raw                # spans [0.3, 0.5]
    res = SC.alpha_scaling(raw, scores, target_0=0.1, target_1=0.45)
    assert res.clipped_0 and not res.clipped_1
    assert res.raw_at_0 == -2.0 and res.raw_at_1 == pytest.approx(1.0)
    res = SC.alpha_scaling(raw, scores, target_0=0.35, target_1=0.9)
    assert not res.clipped_0 and res.clipped_1
    assert res.raw_at_0 == pytest.approx(-1.0) and res.raw_at_1 == 2.0
    # both targets beyond the same end -> degenerate scaling
    with pytest.raises(ValueError, match="degenerate"):
        SC.alpha_scaling(raw, scores, target_0=0.8, target_1=0.9)


def test_alpha_scaling_flat_and_bad_input():
    raw = np.linspace(-2, 2, 9)
    with pytest.raises(ValueError, match="flat"):
        SC.alpha_scaling(raw, np.full(9, 0.5), 0.4, 0.6)
    # strictly decreasing data becomes flat after the monotone (non-decreasing) fit
    with pytest.raises(ValueError, match="flat"):
        SC.alpha_scaling(raw, 1.0 - sigmoid(raw), 0.4, 0.6)
    with pytest.raises(ValueError):
        SC.alpha_scaling(raw[:3], [0.1, 0.2], 0.1, 0.2)
    with pytest.raises(ValueError):
        SC.alpha_scaling([0.0, 0.0, 1.0], [0.1, 0.2, 0.3], 0.1, 0.2)
    with pytest.raises(ValueError):
        SC.alpha_scaling(raw, np.r_[np.nan, np.ones(8)], 0.1, 0.2)


# ------------------------------------------------------------------------------ entanglement
GRID = [0.0, 0.25, 0.5, 0.75, 1.0]


def test_entanglement_auc_known_curves():
    assert E.entanglement_auc(GRID, [0.3] * 5) == 0.0
    rise = 0.3 + 0.4 * np.asarray(GRID)
    assert E.entanglement_auc(GRID, rise) == pytest.approx(0.2)
    # absolute value: a fall by 0.4 counts the same
    assert E.entanglement_auc(GRID, 0.7 - 0.4 * np.asarray(GRID)) == pytest.approx(0.2)
    # jump 0 -> 1 right after alpha_j = 0: trapezoid area 0.125 + 3 * 0.25 = 0.875; max is 1
    assert E.entanglement_auc(GRID, [0, 1, 1, 1, 1]) == pytest.approx(0.875)
    # reference is alpha_j = 0 even when the grid extends below it
    assert E.entanglement_auc([-1.0, 0.0, 1.0], [0.0, 0.5, 0.5]) == pytest.approx(0.25)


def test_entanglement_auc_rejects_bad_grid():
    with pytest.raises(ValueError, match="contain 0"):
        E.entanglement_auc([0.25, 0.5, 0.75, 1.0], [0.1, 0.2, 0.3, 0.4])
    with pytest.raises(ValueError, match="sorted"):
        E.entanglement_auc([0.0, 0.5, 0.25, 1.0], [0.1, 0.2, 0.3, 0.4])
    with pytest.raises(ValueError):
        E.entanglement_auc(GRID, [0.1] * 4)
    with pytest.raises(ValueError):
        E.entanglement_auc(GRID, [0.1, np.nan, 0.1, 0.1, 0.1])


def _fake_curves(attrs, slope_of):
    return {(i, j): (GRID, 0.5 + slope_of(i, j) * np.asarray(GRID))
            for i in attrs for j in attrs if i != j}


def test_entanglement_matrix():
    attrs = ["sentiment", "politeness", "formality"]
    slopes = {a: k for k, a in enumerate(attrs)}
    mat = E.entanglement_matrix(_fake_curves(attrs, lambda i, j: 0.1 * (slopes[i] + 1)), attrs)
    assert list(mat.index) == attrs and list(mat.columns) == attrs
    assert mat.index.name == "attribute_i" and mat.columns.name == "attribute_j"
    assert np.all(np.isnan(np.diag(mat.to_numpy())))
    # row i: rise of 0.1 * (k + 1) over [0, 1] -> AUC 0.05 * (k + 1)
    assert mat.loc["politeness", "sentiment"] == pytest.approx(0.1)
    assert mat.loc["formality", "politeness"] == pytest.approx(0.15)
    curves = _fake_curves(attrs, lambda i, j: 0.2)
    del curves[("sentiment", "formality")]
    with pytest.raises(KeyError):
        E.entanglement_matrix(curves, attrs)
    mat = E.entanglement_matrix(curves, attrs, allow_missing=True)
    assert np.isnan(mat.loc["sentiment", "formality"])
    long = E.matrices_to_long({"interp": mat})
    assert list(long.columns) == ["method", "attribute_i", "attribute_j", "auc"]
    assert len(long) == 6


# ------------------------------------------------------------------------------ MAE
def test_mae():
    gt = {0.0: 0.1, 0.5: 0.5, 1.0: 0.9}
    method = pd.Series([0.2, 0.5, 0.6, 0.99], index=[0.0, 0.1 + 0.4, 1.0, 2.0])  # 0.1+0.4 != 0.5 exactly
    assert M.mae(gt, method) == pytest.approx((0.1 + 0.0 + 0.3) / 3)
    with pytest.raises(ValueError, match="no score"):
        M.mae(gt, {0.0: 0.1, 1.0: 0.9})


# ------------------------------------------------------------------------------ plot
ATTRS = ["sentiment", "politeness", "formality", "simplicity", "humor"]


def _fake_long_df():
    rng = np.random.default_rng(123)
    rows = []
    for method, scale in [("interp", 0.1), ("dexperts", 0.3), ("arith", 0.12)]:
        for i in ATTRS:
            for j in ATTRS:
                if i != j:
                    rows.append({"method": method, "attribute_i": i, "attribute_j": j,
                                 "auc": float(scale * rng.random())})
    return pd.DataFrame(rows)


def test_no_torch_import():
    """The metric and plotting modules never import torch (checked in a fresh interpreter: other tests in this
    session import it)."""
    import subprocess

    code = ("import sys, lminterp.evaluation.diversity, lminterp.numbers.entanglement, lminterp.evaluation.metrics, lminterp.evaluation.scaling, "
            "lminterp.figures.style, lminterp.figures.curves, lminterp.figures.entanglement, lminterp.figures.weight_space, lminterp.figures.multi_attribute, lminterp.figures.prompted, lminterp.report.html, lminterp.dial.surfaces, lminterp.dial.requests, lminterp.figures.dial\n"
            "assert 'torch' not in sys.modules, 'torch imported'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_entanglement_heatmap_pdf_deterministic(tmp_path):
    from lminterp.figures.entanglement import plot_entanglement_heatmaps

    long_df = _fake_long_df()
    methods = ["interp", "dexperts", "arith"]
    a, b = tmp_path / "a" / "fig8.pdf", tmp_path / "b" / "fig8.pdf"
    plot_entanglement_heatmaps(long_df, ATTRS, methods, a, title=r"Entanglement, scaled $\alpha_i = 1$")
    plot_entanglement_heatmaps(long_df, ATTRS, methods, b, title=r"Entanglement, scaled $\alpha_i = 1$")
    data = a.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 1000
    assert data == b.read_bytes()
    assert b"CreationDate" not in data
    # no temp files left beside the output: the PDF and the reports' PNG
    assert sorted(p.name for p in a.parent.iterdir()) == ["fig8.pdf", "fig8.png"]
    assert (a.parent / "fig8.png").read_bytes() == (b.parent / "fig8.png").read_bytes()


def test_entanglement_heatmap_missing_cell_and_errors(tmp_path):
    from lminterp.figures.entanglement import plot_entanglement_heatmaps

    long_df = _fake_long_df()
    long_df = long_df.drop(index=long_df.index[0])       # one missing cell -> drawn as "n/a"
    plot_entanglement_heatmaps(long_df, ATTRS, ["interp", "dexperts"], tmp_path / "fig16.pdf")
    assert (tmp_path / "fig16.pdf").stat().st_size > 1000
    with pytest.raises(ValueError, match="no rows"):
        plot_entanglement_heatmaps(long_df, ATTRS, ["gt"], tmp_path / "x.pdf")
    dup = pd.concat([long_df, long_df.iloc[:1]])
    with pytest.raises(ValueError, match="duplicate"):
        plot_entanglement_heatmaps(dup, ATTRS, ["interp"], tmp_path / "y.pdf")
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "y.pdf").exists()


def test_method_style():
    from lminterp.figures.style import method_style
    from lminterp.labels import method_label

    assert method_label("interp") == "Weight interpolation"
    assert method_label("DExperts") == "DExperts"
    assert method_label("model-arithmetic") == "Model arithmetic"
    assert method_label("gt") == "Fine-tuned (GT)"
    assert method_style("something_else").label == "something_else"


def test_scaling_falls_back_to_the_sweep_span_when_a_baseline_cannot_control():
    raw = np.linspace(-2, 2, 9)
    fit, reason = SC.alpha_scaling_or_span(raw, 1.0 / (1.0 + np.exp(-2 * raw)), 0.3, 0.7)
    assert reason is None and fit.raw_at_0 < 0 < fit.raw_at_1
    fit, reason = SC.alpha_scaling_or_span(raw, np.linspace(0.6, 0.5, 9), 0.3, 0.7)   # falls: no control
    assert "flat" in reason and (fit.raw_at_0, fit.raw_at_1) == (-2.0, 2.0) and fit.clipped_0 and fit.clipped_1
    fit, reason = SC.alpha_scaling_or_span(raw, np.linspace(0.1, 0.2, 9), 0.8, 0.9)    # both above the curve
    assert "degenerate" in reason and (fit.raw_at_0, fit.raw_at_1) == (-2.0, 2.0)
    with pytest.raises(ValueError):
        SC.alpha_scaling_or_span(np.r_[np.inf, raw[1:]], np.linspace(0.1, 0.9, 9), 0.1, 0.2)   # bad input fails
    with pytest.raises(ValueError):
        SC.alpha_scaling_or_span(np.r_[raw[:1], raw[:-1]], np.linspace(0.1, 0.9, 9), 0.3, 0.7)


def test_a_model_that_wrote_no_word_is_left_out_of_the_scaling_never_a_stop():
    """A real model can end every continuation at once (EOS first): its score file has no score (NaN). A raw
    strength with NaN is left out of the fit (the same result as a sweep without it); an anchor with NaN leaves
    nothing to match: the sweep's span, with the reason."""
    raw = np.linspace(-2, 2, 9)
    curve = 1.0 / (1.0 + np.exp(-2 * raw))
    holed = curve.copy()
    holed[[4, 8]] = np.nan
    fit, reason = SC.alpha_scaling_or_span(raw, holed, 0.3, 0.7)
    keep = ~np.isnan(holed)
    assert reason is None and fit == SC.alpha_scaling(raw[keep], curve[keep], 0.3, 0.7)
    assert fit != SC.alpha_scaling(raw, curve, 0.3, 0.7)                   # the hole at raw 0 is where it matters
    assert SC.silent_strengths(raw, holed) == [0.0, 2.0]
    fit, reason = SC.alpha_scaling_or_span(raw, curve, float("nan"), 0.7)
    assert "alpha = 0 anchor wrote no word" in reason and (fit.raw_at_0, fit.raw_at_1) == (-2.0, 2.0)
    fit, reason = SC.alpha_scaling_or_span(raw, np.r_[0.5, np.full(8, np.nan)], 0.3, 0.7)
    assert "fewer than two" in reason


def test_heatmap_cells_print_the_interval_as_it_is():
    """An interval need not be symmetric about its value (an AUC's reaches further below it near 0): each cell
    prints "[lo, hi]" as computed, never a "± half-width" that would invent a symmetric one."""
    from lminterp.figures.entanglement import _cell_labels

    values = np.array([[np.nan, 0.02], [0.5, np.nan]])
    lo, hi = np.array([[np.nan, 0.011], [np.nan, np.nan]]), np.array([[np.nan, 0.014], [0.7, np.nan]])
    labels = _cell_labels(values, (lo, hi))
    assert labels[0, 1] == "0.02\n[0.01, 0.01]" and labels[1, 0] == "0.50" and labels[0, 0] == ""
    assert _cell_labels(values, None)[0, 1] == "0.02"
