"""The numbers behind the single-attribute curves (pandas, no torch): score vs alpha (fig2: GT and the three
methods on the alpha grid; fig3: weight interpolation over the extrapolation range), perplexity vs alpha (fig4,
fig10), and the GT sanity check. Each figure function takes the job's files and its narrow config and returns
the long table its CSV holds (`lminterp.registry`)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from lminterp import specs as S
from lminterp.evaluation.intervals import Bootstrap, prompt_bootstrap, window_bootstrap
from lminterp.evaluation.metrics import score_summary
from lminterp.evaluation.results import ResultFiles, read_perplexity, read_scores


def score_curves(files: ResultFiles, specs_by_method: dict[str, dict[str, list[S.Spec]]], stats: dict) -> pd.DataFrame:
    """Long table: method, attribute, alpha, mean (the attribute's own score), lo/hi (its bootstrap interval over
    prompts), std (across prompts of the per-prompt mean: the paper's band), n_empty (continuations left out)."""
    tables = {s: read_scores(files, s) for by_attr in specs_by_method.values() for ss in by_attr.values() for s in ss}
    boot = prompt_bootstrap(list(tables.values()), stats)
    rows = []
    for method, by_attr in specs_by_method.items():
        for attribute, specs in by_attr.items():
            for spec in specs:
                t = tables[spec]
                mean, reps = boot.mean(t[attribute], t["prompt_id"])
                lo, hi = boot.interval(reps)
                rows.append({"method": method, "attribute": attribute, "alpha": spec.alpha(attribute),
                             "mean": mean, "lo": lo, "hi": hi,
                             "std": float(score_summary(t, [attribute]).loc[attribute, "std"]),
                             "n_empty": int(t["empty"].sum()) if "empty" in t else 0})
    return pd.DataFrame(rows)


def single_attribute_scores(files: ResultFiles, cfg: dict) -> pd.DataFrame:
    """fig2: every method's score on the `single_attribute.alphas` grid (baselines at scaled alpha)."""
    return score_curves(files, S.single_attribute_specs(cfg), cfg["statistics"])


def extrapolation_scores(files: ResultFiles, cfg: dict) -> pd.DataFrame:
    """fig3: weight interpolation's score over `single_attribute.extrapolation_alphas`."""
    return score_curves(files, {"interp": S.extrapolation_specs(cfg)}, cfg["statistics"])


def perplexity_replicates(files: ResultFiles, specs: list[S.Spec], stats: dict) -> tuple[Bootstrap, dict]:
    """Each model's perplexity and its replicates, resampling the sliding-window method's windows (the same
    draws for every model): {spec: (perplexity, replicates)}."""
    records = {s: read_perplexity(files, s) for s in specs}
    n = {len(r["window_nll"]) for r in records.values()}
    if len(n) != 1:
        raise ValueError("perplexity files of one figure were measured on different windows")
    boot = window_bootstrap(n.pop(), stats)
    out = {}
    for spec, r in records.items():
        units = np.arange(len(r["window_nll"]))
        nll, reps = boot.ratio(r["window_nll"], r["window_tokens"], units)
        out[spec] = (float(r["perplexity"]), np.exp(reps))
    return boot, out


def extrapolation_perplexity(files: ResultFiles, cfg: dict) -> pd.DataFrame:
    """fig4, fig10: perplexity of the fig3 models (columns method, attribute, alpha, value, lo, hi)."""
    by_attr = S.extrapolation_specs(cfg)
    boot, ppl = perplexity_replicates(files, [s for ss in by_attr.values() for s in ss], cfg["statistics"])
    rows = []
    for attribute, specs in by_attr.items():
        for spec in specs:
            value, reps = ppl[spec]
            lo, hi = boot.interval(reps)
            rows.append({"method": "interp", "attribute": attribute, "alpha": spec.alpha(attribute),
                         "value": value, "lo": lo, "hi": hi})
    return pd.DataFrame(rows)


def gt_monotonicity(files: ResultFiles, cfg: dict, threshold: float = 0.9, method: str = "gt") -> dict:
    """The GT models' mean score should rise with their class-1 fraction (``method="interp"``: weight
    interpolation's with alpha, claim 2). Per attribute: the Spearman correlation of score and alpha, and each
    step between neighbouring alphas with its bootstrap interval (paired over prompts). Passed when the total rise
    is significantly positive (its interval above 0) and no step falls significantly (every step's interval
    reaches 0 or above): monotone up to sampling noise. The Spearman correlation (`threshold`) is reported beside
    it; on a coarse grid one noisy step decides it. ``failed`` says whether some attribute *significantly*
    contradicts it (a significant fall, or a total change significantly below 0)."""
    from scipy.stats import spearmanr

    by_attr = S.single_attribute_specs(cfg)[method]
    tables = {s: read_scores(files, s) for ss in by_attr.values() for s in ss}
    boot = prompt_bootstrap(list(tables.values()), cfg["statistics"])
    out = {"threshold": threshold, "level": boot.level, "gt_spearman": {}}
    for attribute, specs in by_attr.items():
        alphas = [s.alpha(attribute) for s in specs]
        means = [boot.mean(tables[s][attribute], tables[s]["prompt_id"]) for s in specs]
        scores = [m for m, _ in means]
        rho = float(spearmanr(alphas, scores).statistic)
        steps = [boot.interval(b - a) for (_, a), (_, b) in zip(means, means[1:])]
        rise_lo, rise_hi = boot.interval(means[-1][1] - means[0][1])
        passed = rise_lo > 0 and all(hi >= 0 for _, hi in steps)
        failed = rise_hi < 0 or any(hi < 0 for _, hi in steps)
        out["gt_spearman"][attribute] = {
            "spearman": round(rho, 6), "spearman_passed": rho >= threshold, "alphas": alphas,
            "scores": [round(x, 6) for x in scores], "rise": round(scores[-1] - scores[0], 6),
            "rise_interval": [round(rise_lo, 6), round(rise_hi, 6)],
            "step_intervals": [[round(lo, 6), round(hi, 6)] for lo, hi in steps], "passed": passed, "failed": failed}
    out["passed"] = all(v["passed"] for v in out["gt_spearman"].values())
    out["failed"] = any(v["failed"] for v in out["gt_spearman"].values())
    return out


def single_attribute_checks(files: ResultFiles, cfg: dict) -> dict:
    """The GT check (top level, see :func:`gt_monotonicity`) and the same check of weight interpolation on the
    alpha grid (``interp``: claim 2)."""
    out = gt_monotonicity(files, cfg)
    out["interp"] = gt_monotonicity(files, cfg, method="interp")
    return out


def gaps_to_gt(files: ResultFiles, by_method: dict[str, dict[str, list[S.Spec]]], stats: dict):
    """The signed gap score - GT score of every method of ``by_method`` but "gt", per attribute and alpha of the GT
    grid, each with its replicates (bootstrap over prompts, paired: the same draws for every model). Returns
    (bootstrap, {method: {attribute: [(gap, replicates) per alpha]}}); an MAE is ``boot.abs_sum`` of such gaps
    (Table 1, claim 1's and claim 8's checks)."""
    tables = {s: read_scores(files, s) for by_attr in by_method.values() for ss in by_attr.values() for s in ss}
    boot = prompt_bootstrap(list(tables.values()), stats)

    def mean(spec, attribute):
        return boot.mean(tables[spec][attribute], tables[spec]["prompt_id"])

    out = {}
    for m, by_attr in by_method.items():
        if m == "gt":
            continue
        out[m] = {}
        for a, ss in by_attr.items():
            gt = [mean(s, a) for s in by_method["gt"][a]]
            out[m][a] = [(x - g, xr - gr) for (g, gr), (x, xr) in zip(gt, (mean(s, a) for s in ss))]
    return boot, out


def table1_check(files: ResultFiles, cfg: dict) -> dict:
    """Claim 1's numbers: each method's average MAE to the GT models and weight interpolation's minus each
    baseline's, with bootstrap intervals paired over prompts (tighter than comparing Table 1's own intervals)."""
    boot, gaps = gaps_to_gt(files, S.single_attribute_specs(cfg), cfg["statistics"])
    terms = {m: average_mae_terms(by_attr) for m, by_attr in gaps.items()}
    out = {"level": boot.level, "average_mae": {}, "interp_minus": {}}
    for m, (g, w) in terms.items():
        value, interval = boot.abs_sum(g, w)
        out["average_mae"][m] = {"value": round(value, 6), "interval": [round(x, 6) for x in interval]}
        if m != "interp":
            (gi, wi) = terms["interp"]
            value, interval = boot.abs_sum(gi + g, list(wi) + [-x for x in w])
            out["interp_minus"][m] = {"value": round(value, 6), "interval": [round(x, 6) for x in interval]}
    return out


def average_mae_terms(by_attr: dict[str, list]) -> tuple[list, list[float]]:
    """The mean over attributes of each attribute's MAE over its alpha grid, as signed gaps and weights for
    :meth:`~lminterp.evaluation.intervals.Bootstrap.abs_sum`."""
    gaps, weights = [], []
    for a, per_alpha in by_attr.items():
        gaps.extend(per_alpha)
        weights.extend([1.0 / (len(by_attr) * len(per_alpha))] * len(per_alpha))
    return gaps, weights
