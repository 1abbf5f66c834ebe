"""Multi-attribute numbers and checks (fig5/15, the simplices, fig27-30) on planted score and perplexity files: a
planted effect must show, its reverse must fail the check."""
import json
import math

import numpy as np
import pytest

from lminterp.numbers import multi_attribute as M
from lminterp import specs as S
from lminterp.evaluation.results import ResultFiles
from lminterp.evaluation.score_files import score_table

TRIPLE = ("sentiment", "politeness", "humor")
STATS = {"replicates": 300, "level": 0.95, "seed": 0}


def _cfg(n=4, attributes=TRIPLE):
    return {"attributes": list(attributes), "statistics": STATS, "simplex": {"divisions": n},
            "multi_attribute": {"alphas": [0.0, 0.5, 1.0], "lambdas": [0.4, 0.7, 1.0]}}


def _lam(spec, a):
    return next((t.lam for t in spec.terms if t.attribute == a), 0.0)


def _alpha(spec, a):
    return next((t.alpha for t in spec.terms if t.attribute == a), 0.5)


def _score_files(tmp_path, specs, score, attributes=TRIPLE, noise=0.05):
    """One score file per spec: score(spec, attribute) + noise, 12 prompts x 2 samples."""
    rng = np.random.default_rng(0)
    paths = []
    for spec in sorted(set(specs), key=S.spec_name):
        records = [{"prompt_id": p, "sample": j, "continuation": "w"} for p in range(12) for j in range(2)]
        cols = {a: np.clip(score(spec, a) + rng.normal(0, noise, len(records)), 0, 1) for a in attributes}
        path = tmp_path / f"{spec.name}.csv"
        score_table(records, cols).to_csv(path, index=False)
        paths.append(path)
    return ResultFiles(scores=paths)


def linear(spec, a):        # the paper's picture: the effect of alpha_a grows with lambda_a
    return 0.5 + 0.4 * _lam(spec, a) * (2 * _alpha(spec, a) - 1)


def reversed_lambda(spec, a):   # the effect of alpha_a shrinks as lambda_a grows
    return 0.5 + 0.4 * (1.2 - _lam(spec, a)) * (2 * _alpha(spec, a) - 1)


@pytest.mark.parametrize("other_alpha", [0.0, 1.0])
def test_grid_numbers_and_check(tmp_path, other_alpha):
    cfg = _cfg()
    specs = [s for ss in S.multi_attribute_specs(cfg, other_alpha).values() for s in ss]
    table = M.grid_scores(_score_files(tmp_path, specs, linear), cfg, other_alpha)
    assert len(table) == 3 * 3 * 3 and (table["lo"] <= table["mean"]).all() and (table["mean"] <= table["hi"]).all()
    top = table[(table["attribute"] == "humor") & (table["alpha"] == 1.0) & (table["lambda"] == 1.0)]
    assert top["mean"].item() == pytest.approx(0.9, abs=0.03) and top["model"].item() == "interp_humor-a1"
    got = M.grid_check(_score_files(tmp_path, specs, linear), cfg, other_alpha)
    assert got["passed"], got
    assert got["attributes"]["sentiment"]["effect"] == pytest.approx([0.32, 0.56, 0.8], abs=0.04)
    (tmp_path / "rev").mkdir()
    bad = M.grid_check(_score_files(tmp_path / "rev", specs, reversed_lambda), cfg, other_alpha)
    assert not bad["passed"] and all(v["effect_spearman"] < 0 for v in bad["attributes"].values())


@pytest.mark.parametrize("n", [3, 4])
@pytest.mark.parametrize("alpha, expect", [(1.0, True), (0.0, True), (0.5, None)])
def test_simplex_numbers_and_check(tmp_path, n, alpha, expect):
    cfg = _cfg(n)
    specs = S.triple_simplex_specs(cfg, TRIPLE, alpha)
    files = _score_files(tmp_path, specs, linear)
    table = M.simplex_scores(files, cfg, TRIPLE, alpha)
    assert len(table) == 3 * (n + 1) * (n + 2) // 2
    assert np.allclose(table[[f"lambda_{a}" for a in TRIPLE]].sum(axis=1), 1.0)
    got = M.simplex_check(files, cfg, TRIPLE, alpha)
    assert got["passed"] is expect, got
    mids = got["vertex_minus_midpoint"]["humor"]["midpoint_models"]
    assert len(mids) == (1 if n % 2 == 0 else 2)
    if alpha == 1.0:   # vertex 0.9, midpoint 0.5
        assert got["vertex_minus_midpoint"]["humor"]["difference"] == pytest.approx(0.4, abs=0.04)


def test_simplex_check_fails_when_the_vertex_does_not_stand_out(tmp_path):
    cfg = _cfg(4)
    specs = S.triple_simplex_specs(cfg, TRIPLE, 1.0)
    got = M.simplex_check(_score_files(tmp_path, specs, lambda spec, a: 0.5), cfg, TRIPLE, 1.0)
    assert got["passed"] is False


def _ppl_files(tmp_path, specs, ppl):
    paths = []
    for spec in sorted(set(specs), key=S.spec_name):
        value = ppl(spec)
        nll = [10 * math.log(value) + d for d in (-0.5, 0.5) * 5]
        record = {"perplexity": math.exp(sum(nll) / 100), "nll_sum": sum(nll), "n_scored_tokens": 100,
                  "n_windows": 10, "window_nll": nll, "window_tokens": [10] * 10}
        path = tmp_path / f"{spec.name}.json"
        path.write_text(json.dumps(record))
        paths.append(path)
    return ResultFiles(perplexity=paths)


@pytest.mark.parametrize("bump, passed", [(0.0, True), (3.0, False)])
def test_simplex_perplexity_check(tmp_path, bump, passed):
    """Convex mixtures of the vertices' perplexities stay below the largest; a bump in the middle does not."""
    cfg = _cfg(6)
    alphas = (0.0, 0.5, 1.0)
    vertex = {"sentiment": 10.0, "politeness": 12.0, "humor": 14.0}

    def ppl(spec):
        lam = {a: _lam(spec, a) for a in TRIPLE}
        inside = 27.0 * lam["sentiment"] * lam["politeness"] * lam["humor"]      # 1 at the centre, 0 on the edges
        return sum(lam[a] * vertex[a] for a in TRIPLE) + bump * inside * 10.0
    specs = [s for a in alphas for s in S.triple_simplex_specs(cfg, TRIPLE, a)]
    files = _ppl_files(tmp_path, specs, ppl)
    table = M.simplex_perplexity(files, cfg, TRIPLE, alphas)
    assert len(table) == 3 * 28 and (table["lo"] <= table["value"]).all()
    got = M.simplex_perplexity_check(files, cfg, TRIPLE, alphas)
    assert got["passed"] is passed, got
    first = got["alphas"]["0"]
    assert first["vertex_range"] == pytest.approx([10.0, 14.0], rel=1e-3)
    if passed:
        assert first["share_within_vertex_range"] == 1.0 and first["max_ratio_to_vertex_max"] == pytest.approx(1.0)
