"""The numbers of fig9 (score vs alpha: the prompted model asked for level alpha vs the GT models) and claim 8's
check (how far each method's scores lie from the GT models'), pandas, no torch. fig12-14 (dist-n) are computed in
`lminterp.diversity`, table6 (example generations) in `lminterp.setup_tables`."""
from __future__ import annotations

import numpy as np
import pandas as pd

from lminterp import specs as S
from lminterp.curves import score_curves
from lminterp.intervals import prompt_bootstrap
from lminterp.results import ResultFiles, read_scores


def prompted_scores(files: ResultFiles, cfg: dict) -> pd.DataFrame:
    """fig9: score vs alpha of the GT models and of the prompted model asked for level alpha."""
    return score_curves(files, {"gt": S.single_attribute_specs(cfg)["gt"], "prompted": S.prompted_specs(cfg)},
                        cfg["statistics"])


def prompted_check(files: ResultFiles, cfg: dict) -> dict:
    """Claim 8's numbers: the mean over attributes and alphas of |score - GT score| for the prompted model and for
    weight interpolation, and their difference (prompted minus interpolation), paired over prompts."""
    single = S.single_attribute_specs(cfg)
    by_method = {"gt": single["gt"], "interp": single["interp"], "prompted": S.prompted_specs(cfg)}
    tables = {s: read_scores(files, s) for by_attr in by_method.values() for ss in by_attr.values() for s in ss}
    boot = prompt_bootstrap(list(tables.values()), cfg["statistics"])
    points, reps = {}, {}
    for m in ("interp", "prompted"):
        p, r = [], []
        for a, ss in by_method[m].items():
            for s, g in zip(ss, by_method["gt"][a]):
                (x, xr), (y, yr) = (boot.mean(tables[s][a], tables[s]["prompt_id"]),
                                    boot.mean(tables[g][a], tables[g]["prompt_id"]))
                p.append(abs(x - y))
                r.append(np.abs(xr - yr))
        points[m], reps[m] = float(np.mean(p)), np.mean(r, axis=0)
    out = {"level": boot.level, "mae_to_gt": {}}
    for m in points:
        out["mae_to_gt"][m] = {"value": round(points[m], 6), "interval": [round(x, 6) for x in boot.interval(reps[m])]}
    out["prompted_minus_interp"] = {"value": round(points["prompted"] - points["interp"], 6),
                                    "interval": [round(x, 6) for x in boot.interval(reps["prompted"] - reps["interp"])]}
    return out
