"""The numbers of fig9 (score vs alpha: the prompted model asked for level alpha vs the GT models) and claim 8's
check (how far each method's scores lie from the GT models'), pandas, no torch. fig12-14 (dist-n) are computed in
`lminterp.numbers.diversity`, table6 (example generations) in `lminterp.numbers.setup_tables`."""
from __future__ import annotations

import pandas as pd

from lminterp import specs as S
from lminterp.numbers.curves import gaps_to_gt, score_curves
from lminterp.evaluation.results import ResultFiles


def prompted_scores(files: ResultFiles, cfg: dict) -> pd.DataFrame:
    """fig9: score vs alpha of the GT models and of the prompted model asked for level alpha."""
    return score_curves(files, {"gt": S.single_attribute_specs(cfg)["gt"], "prompted": S.prompted_specs(cfg)},
                        cfg["statistics"])


def prompted_check(files: ResultFiles, cfg: dict) -> dict:
    """Claim 8's numbers: the mean over attributes and alphas of |score - GT score| for the prompted model and for
    weight interpolation, and their difference (prompted minus interpolation), paired over prompts."""
    single = S.single_attribute_specs(cfg)
    by_method = {"gt": single["gt"], "interp": single["interp"], "prompted": S.prompted_specs(cfg)}
    boot, gaps = gaps_to_gt(files, by_method, cfg["statistics"])
    flat = {m: [gap for a in by_attr for gap in by_attr[a]] for m, by_attr in gaps.items()}   # attributes x alphas
    out = {"level": boot.level, "mae_to_gt": {}}
    for m, terms in flat.items():
        value, interval = boot.abs_sum(terms)
        out["mae_to_gt"][m] = {"value": round(value, 6), "interval": [round(x, 6) for x in interval]}
    n_p, n_i = len(flat["prompted"]), len(flat["interp"])
    value, interval = boot.abs_sum(flat["prompted"] + flat["interp"], [1.0 / n_p] * n_p + [-1.0 / n_i] * n_i)
    out["prompted_minus_interp"] = {"value": round(value, 6), "interval": [round(x, 6) for x in interval]}
    return out
