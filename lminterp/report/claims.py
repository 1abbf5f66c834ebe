"""The paper's eight claims (`shared/paper/FIGURES.md`), checked on the built tables and check files (no torch).

Each claim gets a verdict -- ``holds``, ``does not hold``, ``inconclusive`` (an interval straddles the threshold)
or ``not run`` (its targets are not part of this build) -- and the numbers that decide it. Thresholds come from
the `claims` config section; intervals from the statistics every table and check carries (bootstrap over
prompts; paired where the check file computed a difference). Nothing here is a stored result: every number is
read from the build.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

HOLDS, FAILS, UNSURE, NOT_RUN = "holds", "does not hold", "inconclusive", "not run"

STATEMENTS = {
    1: ("Weight interpolation has the lowest average MAE to the GT models", "table1"),
    2: ("Score rises monotonically with alpha in [0, 1] for every attribute", "fig2"),
    3: ("Beyond the stable region perplexity rises sharply", "fig3, fig4"),
    4: ("Raising lambda_i strengthens the effect of alpha_i", "fig5, fig15"),
    5: ("Interpolation is less entangled than DExperts and comparable to model arithmetic", "fig8, fig16"),
    6: ("Anchors of different attributes are nearly orthogonal in weight space", "fig32"),
    7: ("Perplexity inside the simplex is bounded by the anchors' perplexities", "fig27-fig30"),
    8: ("Prompting a model for a numeric attribute level tracks alpha worse than interpolation", "fig9"),
}


def combine(verdicts: list[str]) -> str:
    """All parts hold -> holds; any part fails -> does not hold; otherwise inconclusive (or not run)."""
    run = [v for v in verdicts if v != NOT_RUN]
    if not run:
        return NOT_RUN
    if any(v == FAILS for v in run):
        return FAILS
    return HOLDS if all(v == HOLDS for v in run) and len(run) == len(verdicts) else UNSURE


def above(lo: float, hi: float, threshold: float) -> str:
    """Verdict for "the quantity exceeds threshold" from its interval [lo, hi]."""
    if lo > threshold:
        return HOLDS
    if hi < threshold:
        return FAILS
    return UNSURE


def _f(x: float) -> str:
    return f"{x:.3g}"


def _iv(lo: float, hi: float) -> str:
    return f"[{_f(lo)}, {_f(hi)}]"


# ----------------------------------------------------------------------------------------------- the claims
def claim1(checks: dict, cfg: dict) -> tuple[str, str]:
    """Interp's average MAE below each baseline's: the paired interval of the difference below 0."""
    if "table1" not in checks:
        return NOT_RUN, "table1 is not part of this build"
    c = checks["table1"]
    parts, evidence = [], []
    for other, d in c["interp_minus"].items():
        lo, hi = d["interval"]
        parts.append(above(-hi, -lo, 0.0))
        evidence.append(f"interpolation - {other} {_f(d['value'])} {_iv(lo, hi)}")
    mae = ", ".join(f"{m} {_f(v['value'])}" for m, v in c["average_mae"].items())
    return combine(parts), f"average MAE ({mae}); " + "; ".join(evidence)


def claim2(checks: dict, cfg: dict) -> tuple[str, str]:
    mono = checks["interp"]
    verdict = HOLDS if mono["passed"] else FAILS if mono["failed"] else UNSURE
    parts = [f"{a}: rise {_f(v['rise'])} {_iv(*v['rise_interval'])}" + (" (a step falls)" if v["failed"] else "")
             for a, v in mono["gt_spearman"].items()]
    return verdict, "interpolation, score at alpha 1 minus alpha 0 (paired interval): " + "; ".join(parts)


def claim3(fig4: pd.DataFrame, cfg: dict) -> tuple[str, str]:
    """Per attribute: the largest perplexity outside the stable region over the largest inside [0, 1]; holds when
    it exceeds `claims.extrapolation_perplexity_ratio` for every attribute (lower interval end of the outside
    point against the upper end of the inside one)."""
    ratio = cfg["claims"]["extrapolation_perplexity_ratio"]
    lo_s, hi_s = cfg["single_attribute"]["stable_region"]
    parts, evidence = [], []
    for attribute, t in fig4.groupby("attribute", sort=False):
        inside = t[(t["alpha"] >= 0) & (t["alpha"] <= 1)]
        outside = t[(t["alpha"] < lo_s) | (t["alpha"] > hi_s)]
        if inside.empty or outside.empty:
            parts.append(NOT_RUN)
            continue
        i, o = inside.loc[inside["value"].idxmax()], outside.loc[outside["value"].idxmax()]
        parts.append(above(o["lo"] / i["hi"], o["hi"] / i["lo"], ratio))
        evidence.append(f"{attribute} {_f(o['value'] / i['value'])}x")
    if not evidence:
        return combine(parts), (f"no alpha of single_attribute.extrapolation_alphas lies outside the stable region "
                                f"[{lo_s:g}, {hi_s:g}] (single_attribute.stable_region): nothing to compare")
    return combine(parts), (f"largest perplexity outside [{lo_s:g}, {hi_s:g}] over the largest in [0, 1] "
                            f"(threshold {ratio:g}x): " + "; ".join(evidence))


def claim4(checks: dict, cfg: dict) -> tuple[str, str]:
    threshold = cfg["claims"]["lambda_effect_spearman"]
    parts, evidence = [], []
    for fig in ("fig5", "fig15"):
        if fig not in checks:
            parts.append(NOT_RUN)
            continue
        for attribute, v in checks[fig]["attributes"].items():
            lo, hi = v["effect_rise_interval"]
            parts.append(HOLDS if v["effect_spearman"] >= threshold and lo > 0 else FAILS if hi < 0 else UNSURE)
            evidence.append(f"{fig} {attribute}: Spearman {_f(v['effect_spearman'])}, rise {_iv(lo, hi)}")
    return combine(parts), (f"effect of alpha_i vs lambda_i (Spearman >= {threshold:g} and its rise from the smallest "
                            "to the largest lambda above 0): " + "; ".join(evidence))


def claim5(checks: dict, cfg: dict) -> tuple[str, str]:
    margin = cfg["claims"]["entanglement_margin"]
    parts, evidence = [], []
    for fig in ("fig8", "fig16"):
        if fig not in checks:
            parts.append(NOT_RUN)
            continue
        d = checks[fig]["interp_minus"]
        lo, hi = d["dexperts"]["interval"]
        parts.append(above(-hi, -lo, 0.0))                      # interp - dexperts below 0
        a_lo, a_hi = d["arith"]["interval"]
        parts.append(HOLDS if -margin <= a_lo and a_hi <= margin else FAILS if a_lo > margin or a_hi < -margin
                     else UNSURE)
        evidence.append(f"{fig}: interp - DExperts {_f(d['dexperts']['value'])} {_iv(lo, hi)}, "
                        f"interp - arithmetic {_f(d['arith']['value'])} {_iv(a_lo, a_hi)}")
    return combine(parts), f"mean entanglement AUC differences (comparable: within ±{margin:g}): " + "; ".join(evidence)


def claim6(checks: dict, cfg: dict) -> tuple[str, str]:
    if "fig32" not in checks:
        return NOT_RUN, ""
    c = checks["fig32"]
    threshold = cfg["claims"]["orthogonal_cosine"]
    value = c["mean_abs_cosine_between_attributes"]
    return (HOLDS if value <= threshold else FAILS,
            f"mean |cosine| between anchors of different attributes {_f(value)} (threshold {threshold:g}; "
            f"max {_f(c['max_abs_cosine_between_attributes'])})")


def claim7(checks: dict, cfg: dict) -> tuple[str, str]:
    share = cfg["claims"]["simplex_perplexity_share"]
    parts, evidence = [], []
    for fig in ("fig27", "fig28", "fig29", "fig30"):
        if fig not in checks:
            parts.append(NOT_RUN)
            continue
        for alpha, v in checks[fig]["alphas"].items():
            got = v["share_at_or_below_vertex_max"]
            parts.append(HOLDS if got >= share else FAILS)
            evidence.append(f"{fig} alpha {alpha}: {_f(got)}")
    return combine(parts), (f"share of lattice points at or below the vertices' largest perplexity (threshold "
                            f"{share:g}): " + "; ".join(evidence))


def claim8(checks: dict, cfg: dict) -> tuple[str, str]:
    """The prompted model tracks alpha worse than weight interpolation: its mean |score - GT score| exceeds
    interpolation's (paired interval of the difference above 0)."""
    if "fig9" not in checks:
        return NOT_RUN, "fig9 is not part of this build"
    c = checks["fig9"]
    lo, hi = c["prompted_minus_interp"]["interval"]
    mae = ", ".join(f"{m} {_f(v['value'])} {_iv(*v['interval'])}" for m, v in c["mae_to_gt"].items())
    return above(lo, hi, 0.0), (f"mean |score - GT score| ({mae}); prompted - interpolation "
                                f"{_f(c['prompted_minus_interp']['value'])} {_iv(lo, hi)}")


# ----------------------------------------------------------------------------------------------- the table
def _read(path: Path | None, reader: Callable):
    return reader(path) if path is not None and Path(path).exists() else None


def claims_table(cfg: dict, *, single_checks=None, fig4=None, checks=None) -> pd.DataFrame:
    """The eight claims; each input is a path (or None when its target is not part of this build):
    `single_checks` results/single_attribute_checks.json, `fig4` figures/fig4.csv, `checks` results/checks.json."""
    sc = _read(single_checks, lambda p: json.loads(Path(p).read_text()))
    f4 = _read(fig4, pd.read_csv)
    mc = _read(checks, lambda p: json.loads(Path(p).read_text())) or {}
    runs: Mapping[int, tuple[Callable, object]] = {1: (claim1, mc), 2: (claim2, sc), 3: (claim3, f4), 4: (claim4, mc),
                                                   5: (claim5, mc), 6: (claim6, mc), 7: (claim7, mc), 8: (claim8, mc)}
    rows = []
    for k, (statement, targets) in STATEMENTS.items():
        fn, data = runs.get(k, (None, None))
        if fn is None or data is None or (isinstance(data, dict) and not data):
            verdict, evidence = NOT_RUN, "its targets are not part of this build"
        else:
            verdict, evidence = fn(data, cfg)
        rows.append({"claim": k, "statement": statement, "targets": targets, "verdict": verdict, "evidence": evidence})
    return pd.DataFrame(rows)
