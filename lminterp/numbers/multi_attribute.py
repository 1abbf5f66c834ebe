"""The numbers behind the multi-attribute figures (pandas, no torch) and their checks.

- fig5 / fig15: score_i over the grid alpha_i x lambda_i, every other attribute at lambda_j = (1 - lambda_i)/(n - 1)
  and alpha_j = 0 (fig5) or 1 (fig15) (:func:`grid_scores`; claim 4: raising lambda_i strengthens alpha_i);
- fig6, 7, 17-26: each attribute's score over the lambda simplex of three attributes at one alpha
  (:func:`simplex_scores`);
- fig27-30: perplexity over the simplex, one panel per alpha (:func:`simplex_perplexity`; claim 7: bounded by
  the vertices' perplexities).

Every mean has its bootstrap interval over prompts (perplexity: over windows), with the same draws for every
model of a figure (`lminterp.evaluation.intervals`). The checks (:func:`grid_check`, :func:`simplex_check`,
:func:`simplex_perplexity_check`) are the numbers a claim table reads; `results/checks.json`
holds them (`lminterp.registry`, ``Target.check``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lminterp import specs as S
from lminterp.numbers.curves import perplexity_replicates
from lminterp.evaluation.intervals import prompt_bootstrap
from lminterp.evaluation.metrics import score_summary
from lminterp.evaluation.results import ResultFiles, read_scores


def _r(x: float) -> float:
    return round(float(x), 6)


def _lambda(spec: S.Spec, attribute: str) -> float:
    for t in spec.terms:
        if t.attribute == attribute:
            return t.lam
    return 0.0


# ------------------------------------------------------------------------------------ fig5 / fig15
def grid_scores(files: ResultFiles, cfg: dict, other_alpha: float) -> pd.DataFrame:
    """fig5 (other_alpha = 0), fig15 (1): per attribute i and grid point, score_i (columns attribute, alpha,
    lambda, mean, lo, hi, std across prompts, n_empty, model)."""
    by_attr = S.multi_attribute_specs(cfg, other_alpha)
    tables = {s: read_scores(files, s) for ss in by_attr.values() for s in ss}
    boot = prompt_bootstrap(list(tables.values()), cfg["statistics"])
    rows = []
    for attribute, specs in by_attr.items():
        for spec in specs:
            t = tables[spec]
            mean, reps = boot.mean(t[attribute], t["prompt_id"])
            lo, hi = boot.interval(reps)
            rows.append({"attribute": attribute, "alpha": spec.alpha(attribute), "lambda": _lambda(spec, attribute),
                         "mean": mean, "lo": lo, "hi": hi,
                         "std": float(score_summary(t, [attribute]).loc[attribute, "std"]),
                         "n_empty": int(t["empty"].sum()) if "empty" in t else 0, "model": spec.name})
    return pd.DataFrame(rows)


def grid_check(files: ResultFiles, cfg: dict, other_alpha: float, threshold: float = 0.8) -> dict:
    """Claim 4 on the fig5 / fig15 grid. Per attribute i, the *effect* of alpha_i at each lambda_i (score_i at the
    grid's largest alpha minus at its smallest, paired over prompts) and its Spearman correlation with lambda_i;
    beside it the Spearman correlation of score_i at alpha_i = 1 with lambda_i. Passed when the effect's Spearman
    correlation reaches `threshold` and the effect at the largest lambda significantly exceeds the effect at the
    smallest (interval of the difference above 0)."""
    from scipy.stats import spearmanr

    by_attr = S.multi_attribute_specs(cfg, other_alpha)
    tables = {s: read_scores(files, s) for ss in by_attr.values() for s in ss}
    boot = prompt_bootstrap(list(tables.values()), cfg["statistics"])
    grid = cfg["multi_attribute"]
    lo_a, hi_a = min(grid["alphas"]), max(grid["alphas"])
    out = {"other_alpha": other_alpha, "threshold": threshold, "level": boot.level, "attributes": {}}
    for attribute, specs in by_attr.items():
        at = {(s.alpha(attribute), _lambda(s, attribute)): s for s in specs}
        lambdas = sorted({lam for _, lam in at})
        mean = {k: boot.mean(tables[s][attribute], tables[s]["prompt_id"]) for k, s in at.items()}
        effects = [(mean[(hi_a, lam)][0] - mean[(lo_a, lam)][0], mean[(hi_a, lam)][1] - mean[(lo_a, lam)][1])
                   for lam in lambdas]
        at_one = [mean[(1.0, lam)][0] for lam in lambdas]
        rho_effect = float(spearmanr(lambdas, [e for e, _ in effects]).statistic)
        rho_one = float(spearmanr(lambdas, at_one).statistic)
        rise = effects[-1][1] - effects[0][1]
        rise_lo, rise_hi = boot.interval(rise)
        out["attributes"][attribute] = {
            "lambdas": lambdas, "effect": [_r(e) for e, _ in effects],
            "effect_intervals": [[_r(x) for x in boot.interval(r)] for _, r in effects],
            "effect_spearman": _r(rho_effect), "score_at_alpha_1": [_r(x) for x in at_one],
            "score_at_alpha_1_spearman": _r(rho_one),
            "effect_rise": _r(effects[-1][0] - effects[0][0]), "effect_rise_interval": [_r(rise_lo), _r(rise_hi)],
            "passed": bool(rho_effect >= threshold and rise_lo > 0)}
    out["passed"] = all(v["passed"] for v in out["attributes"].values())
    return out


# ------------------------------------------------------------------------------ simplices (fig6, 7, 17-26)
def _lattice(cfg: dict, attributes, alpha: float) -> list[tuple[tuple[int, ...], S.Spec]]:
    n = cfg["simplex"]["divisions"]
    return list(zip(S.simplex_lattice(n, len(attributes)), S.triple_simplex_specs(cfg, attributes, alpha)))


def simplex_scores(files: ResultFiles, cfg: dict, attributes, alpha: float) -> pd.DataFrame:
    """fig6, 7, 17-26: each of the three attributes' score at every lattice point of their lambda simplex (columns
    attribute (whose score), lambda_<a> for the three attributes, mean, lo, hi, model)."""
    lattice = _lattice(cfg, attributes, alpha)
    n = cfg["simplex"]["divisions"]
    tables = {s: read_scores(files, s) for _, s in lattice}
    boot = prompt_bootstrap(list(tables.values()), cfg["statistics"])
    rows = []
    for attribute in attributes:
        for point, spec in lattice:
            t = tables[spec]
            mean, reps = boot.mean(t[attribute], t["prompt_id"])
            lo, hi = boot.interval(reps)
            rows.append({"attribute": attribute, **{f"lambda_{a}": k / n for a, k in zip(attributes, point)},
                         "mean": mean, "lo": lo, "hi": hi, "model": spec.name})
    return pd.DataFrame(rows)


def _opposite_midpoints(points: list[tuple[int, ...]], k: int) -> list[int]:
    """Indices of the lattice points nearest the midpoint of the edge opposite vertex k (one for an even number
    of divisions, the two beside it for an odd one)."""
    edge = [i for i, p in enumerate(points) if p[k] == 0]
    spread = {i: max(points[i][j] for j in range(len(points[i])) if j != k)
              - min(points[i][j] for j in range(len(points[i])) if j != k) for i in edge}
    best = min(spread.values())
    return [i for i in edge if spread[i] == best]


def simplex_check(files: ResultFiles, cfg: dict, attributes, alpha: float) -> dict:
    """Each attribute's score at its own vertex against its score at the midpoint of the opposite edge (where its
    lambda is 0), paired over prompts. Expected: vertex above the midpoint for alpha > 0.5 (the vertex is the
    attribute's alpha anchor), below for alpha < 0.5; at alpha = 0.5 the difference is reported, nothing expected.
    Passed when every expected difference has its interval on the expected side of 0."""
    lattice = _lattice(cfg, attributes, alpha)
    points = [p for p, _ in lattice]
    tables = {s: read_scores(files, s) for _, s in lattice}
    boot = prompt_bootstrap(list(tables.values()), cfg["statistics"])
    n = cfg["simplex"]["divisions"]
    expect = 1 if alpha > 0.5 else -1 if alpha < 0.5 else 0
    out = {"attributes": list(attributes), "alpha": alpha, "level": boot.level, "expected_sign": expect,
           "vertex_minus_midpoint": {}}
    for k, attribute in enumerate(attributes):
        def mean(i):
            t = tables[lattice[i][1]]
            return boot.mean(t[attribute], t["prompt_id"])
        vertex = points.index(tuple(n if j == k else 0 for j in range(len(attributes))))
        mids = _opposite_midpoints(points, k)
        v, v_reps = mean(vertex)
        m_all = [mean(i) for i in mids]
        m = float(np.mean([x for x, _ in m_all]))
        m_reps = np.mean([r for _, r in m_all], axis=0)
        lo, hi = boot.interval(v_reps - m_reps)
        ok = None if expect == 0 else bool(lo > 0 if expect > 0 else hi < 0)
        out["vertex_minus_midpoint"][attribute] = {
            "vertex": _r(v), "midpoint": _r(m), "difference": _r(v - m), "interval": [_r(lo), _r(hi)],
            "midpoint_models": [lattice[i][1].name for i in mids], "passed": ok}
    verdicts = [x["passed"] for x in out["vertex_minus_midpoint"].values() if x["passed"] is not None]
    out["passed"] = all(verdicts) if verdicts else None
    return out


# ------------------------------------------------------------------------------ perplexity (fig27-30)
def simplex_perplexity(files: ResultFiles, cfg: dict, attributes, alphas) -> pd.DataFrame:
    """fig27-30: perplexity at every lattice point of the simplex of `attributes`, for each alpha (columns alpha,
    lambda_<a> for the three attributes, value, lo, hi, model); intervals resample the perplexity windows."""
    n = cfg["simplex"]["divisions"]
    lattices = {alpha: _lattice(cfg, attributes, alpha) for alpha in alphas}
    boot, ppl = perplexity_replicates(files, sorted({s for lat in lattices.values() for _, s in lat},
                                                    key=S.spec_name), cfg["statistics"])
    rows = []
    for alpha, lattice in lattices.items():
        for point, spec in lattice:
            value, reps = ppl[spec]
            lo, hi = boot.interval(reps)
            rows.append({"alpha": alpha, **{f"lambda_{a}": k / n for a, k in zip(attributes, point)},
                         "value": value, "lo": lo, "hi": hi, "model": spec.name})
    return pd.DataFrame(rows)


def simplex_perplexity_check(files: ResultFiles, cfg: dict, attributes, alphas, share: float = 0.9) -> dict:
    """Claim 7 on one triple: per alpha, the share of lattice points whose perplexity lies within the range of the
    triangle's three vertices, the share at or below the largest vertex perplexity, and the largest ratio of a
    point's perplexity to that vertex maximum. Passed when, at every alpha, at least `share` of the points lie at
    or below the vertices' maximum."""
    table = simplex_perplexity(files, cfg, attributes, alphas)
    n = cfg["simplex"]["divisions"]
    cols = [f"lambda_{a}" for a in attributes]
    out = {"attributes": list(attributes), "share_threshold": share, "alphas": {}}
    for alpha, t in table.groupby("alpha", sort=True):
        is_vertex = np.isclose(t[cols].max(axis=1), 1.0) if n else np.zeros(len(t), bool)
        vmin, vmax = t.loc[is_vertex, "value"].min(), t.loc[is_vertex, "value"].max()
        within = t["value"].between(vmin, vmax)
        below = t["value"] <= vmax
        out["alphas"][f"{alpha:g}"] = {
            "vertex_range": [_r(vmin), _r(vmax)], "share_within_vertex_range": _r(within.mean()),
            "share_at_or_below_vertex_max": _r(below.mean()), "max_ratio_to_vertex_max": _r(t["value"].max() / vmax),
            "passed": bool(below.mean() >= share)}
    out["passed"] = all(v["passed"] for v in out["alphas"].values())
    return out
