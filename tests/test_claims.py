"""The claim checks on hand-made check files and tables: each claim holds, fails and is inconclusive where its
numbers say so, and says "not run" without its targets."""
import json

import pandas as pd
import pytest

from lminterp.report import claims as C

CFG = {"claims": {"extrapolation_perplexity_ratio": 1.5, "lambda_effect_spearman": 0.8, "entanglement_margin": 0.05,
                  "orthogonal_cosine": 0.1, "simplex_perplexity_share": 0.9},
       "single_attribute": {"stable_region": [-1.0, 2.0]}}
H, F, U = C.HOLDS, C.FAILS, C.UNSURE


def _iv(value, lo, hi):
    return {"value": value, "interval": [lo, hi]}


def checks(case):
    """A checks.json whose every claim is in state `case` (H, F or U)."""
    diff = {H: (-0.05, -0.08, -0.02), F: (0.05, 0.02, 0.08), U: (-0.01, -0.04, 0.02)}[case]
    comparable = {H: (0.0, -0.02, 0.02), F: (0.2, 0.1, 0.3), U: (0.04, 0.01, 0.07)}[case]
    effect = {H: (1.0, [0.1, 0.3]), F: (-1.0, [-0.3, -0.1]), U: (0.5, [-0.1, 0.3])}[case]
    return {
        "table1": {"average_mae": {"interp": _iv(0.05, 0.03, 0.07)},
                   "interp_minus": {"dexperts": _iv(*diff), "arith": _iv(*diff)}},
        **{fig: {"attributes": {"humor": {"effect_spearman": effect[0], "effect_rise_interval": effect[1]}}}
           for fig in ("fig5", "fig15")},
        **{fig: {"interp_minus": {"dexperts": _iv(*diff), "arith": _iv(*comparable)}} for fig in ("fig8", "fig16")},
        "fig32": {"mean_abs_cosine_between_attributes": {H: 0.02, F: 0.5, U: 0.5}[case],
                  "max_abs_cosine_between_attributes": 0.6},
        **{fig: {"alphas": {"0": {"share_at_or_below_vertex_max": {H: 1.0, F: 0.5, U: 0.5}[case]}}}
           for fig in ("fig27", "fig28", "fig29", "fig30")},
        "fig9": {"mae_to_gt": {"interp": _iv(0.05, 0.03, 0.07), "prompted": _iv(0.1, 0.05, 0.2)},
                 "prompted_minus_interp": _iv(-diff[0], -diff[2], -diff[1])},
    }


def single(case):
    return {"interp": {"passed": case == H, "failed": case == F,
                       "gt_spearman": {"humor": {"rise": 0.5, "rise_interval": [0.1, 0.9], "failed": case == F}}}}


def fig4(case):
    # outside the stable region vs inside [0, 1]: ratio's interval above 1.5 (H), below (F), straddling (U)
    out = {H: (30.0, 25.0, 35.0), F: (11.0, 10.5, 11.5), U: (15.0, 11.0, 20.0)}[case]
    return pd.DataFrame([{"attribute": "humor", "alpha": 0.5, "value": 10.0, "lo": 9.5, "hi": 10.5},
                         {"attribute": "humor", "alpha": 4.0, "value": out[0], "lo": out[1], "hi": out[2]}])


def _write(tmp_path, case):
    (tmp_path / "checks.json").write_text(json.dumps(checks(case)))
    (tmp_path / "single.json").write_text(json.dumps(single(case)))
    fig4(case).to_csv(tmp_path / "fig4.csv", index=False)
    return dict(checks=tmp_path / "checks.json", single_checks=tmp_path / "single.json", fig4=tmp_path / "fig4.csv")


@pytest.mark.parametrize("case", [H, F, U])
def test_each_claim_follows_its_numbers(tmp_path, case):
    table = C.claims_table(CFG, **_write(tmp_path, case)).set_index("claim")
    assert list(table.index) == list(range(1, 9))
    for k in range(1, 9):
        want = case
        if k in (6, 7) and case == U:
            want = F            # no interval: a weight-space cosine or a share either meets its threshold or not
        if k == 2 and case == U:
            want = U
        assert table.loc[k, "verdict"] == want, (k, table.loc[k, "evidence"])


def test_without_targets_claims_are_not_run():
    table = C.claims_table(CFG).set_index("claim")
    assert (table["verdict"] == C.NOT_RUN).all()


def test_partial_checks(tmp_path):
    """Only fig8 of claim 5's figures built: the claim is at most inconclusive; without fig27-30, 7 is not run."""
    c = checks(H)
    del c["fig16"], c["fig27"], c["fig28"], c["fig29"], c["fig30"]
    (tmp_path / "checks.json").write_text(json.dumps(c))
    table = C.claims_table(CFG, checks=tmp_path / "checks.json").set_index("claim")
    assert table.loc[5, "verdict"] == U and table.loc[7, "verdict"] == C.NOT_RUN and table.loc[6, "verdict"] == H


def test_combine():
    assert C.combine([H, H]) == H and C.combine([H, U]) == U and C.combine([H, F, U]) == F
    assert C.combine([C.NOT_RUN, C.NOT_RUN]) == C.NOT_RUN and C.combine([H, C.NOT_RUN]) == U


def test_claim3_without_an_alpha_outside_the_stable_region_says_why_it_is_not_run():
    inside = pd.DataFrame({"attribute": ["humor"] * 3, "alpha": [0.0, 1.0, 2.0], "value": [30.0, 32.0, 35.0],
                           "lo": [28.0, 30.0, 33.0], "hi": [32.0, 34.0, 37.0]})
    verdict, evidence = C.claim3(inside, CFG)
    assert verdict == C.NOT_RUN
    assert "single_attribute.extrapolation_alphas" in evidence and "[-1, 2]" in evidence
    outside = pd.concat([inside, pd.DataFrame({"attribute": ["humor"], "alpha": [3.0], "value": [90.0],
                                               "lo": [80.0], "hi": [100.0]})])
    assert C.claim3(outside, CFG) == (C.HOLDS, "largest perplexity outside [-1, 2] over the largest in [0, 1] "
                                               "(threshold 1.5x): humor 2.81x")   # 90 / 32: alpha 2 is outside [0, 1]
