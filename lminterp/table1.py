"""The numbers of Table 1 (pandas, no torch): per method, the MAE of its scores to the GT models' at the same
(scaled) alpha, per attribute and on average, and its perplexity and dist-1/2/3 averaged over the alpha grid;
each with a 95 % bootstrap interval (`lminterp.intervals`: prompts for scores and dist-n, resampled alike for
every model, so that an MAE is a paired difference; windows for perplexity)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from lminterp import specs as S
from lminterp.curves import gaps_to_gt, perplexity_replicates
from lminterp.diversity import diversity_replicates
from lminterp.results import ResultFiles
from lminterp.tables import table1

DIST_KEYS = ("dist_1", "dist_2", "dist_3")


def table1_numbers(files: ResultFiles, cfg: dict) -> pd.DataFrame:
    attributes = list(cfg["attributes"])
    stats = cfg["statistics"]
    by_method = S.single_attribute_specs(cfg)
    specs = sorted({s for by_attr in by_method.values() for ss in by_attr.values() for s in ss}, key=S.spec_name)
    boot, gaps = gaps_to_gt(files, by_method, stats)   # per method, attribute and alpha: |score - GT score|
    mae_rows, iv = {}, {m: {} for m in by_method}
    for m, by_attr in gaps.items():
        mae_rows[m], reps_by_attr = {}, []
        for a in attributes:
            mae_rows[m][a] = float(np.mean([g for g, _ in by_attr[a]]))
            reps = np.mean([r for _, r in by_attr[a]], axis=0)
            iv[m][a] = boot.interval(reps)
            reps_by_attr.append(reps)
        iv[m]["average"] = boot.interval(np.mean(reps_by_attr, axis=0))
    ppl_boot, ppl = perplexity_replicates(files, specs, stats)
    div_boot, div = diversity_replicates(files, specs, stats)
    quality_rows = {}
    for m, by_attr in by_method.items():
        mine = [s for ss in by_attr.values() for s in ss]
        quality_rows[m] = {"perplexity": float(np.mean([ppl[s][0] for s in mine]))}
        iv[m]["perplexity"] = ppl_boot.interval(np.mean([ppl[s][1] for s in mine], axis=0))
        for k in DIST_KEYS:
            quality_rows[m][k] = float(np.mean([div[s][k][0] for s in mine]))
            iv[m][k] = div_boot.interval(np.mean([div[s][k][1] for s in mine], axis=0))
    return table1(mae_rows, quality_rows, attributes, intervals=iv)

