"""The numbers of the diversity figures (pandas, no torch): dist-1/2/3 of the extrapolation models (fig11) and
dist-n of the prompted model beside the GT models (fig12-14), each with its bootstrap interval over prompts."""
from __future__ import annotations

import pandas as pd

from lminterp.evaluation.diversity import diversity_replicates
from lminterp.evaluation.intervals import with_interval
from lminterp.evaluation.results import ResultFiles
from lminterp.specs import extrapolation_specs, prompted_specs, single_attribute_specs


def extrapolation_diversity(files: ResultFiles, cfg: dict) -> pd.DataFrame:
    """fig11: dist-1/2/3 of the fig3 models (columns method, attribute, alpha, dist_n, dist_n_lo, dist_n_hi)."""
    by_attr = extrapolation_specs(cfg)
    boot, div = diversity_replicates(files, [s for ss in by_attr.values() for s in ss], cfg["statistics"])
    rows = []
    for attribute, specs in by_attr.items():
        for spec in specs:
            row = {"method": "interp", "attribute": attribute, "alpha": spec.alpha(attribute)}
            for k, (value, reps) in div[spec].items():
                row.update(with_interval(value, reps, boot, k))
            rows.append(row)
    return pd.DataFrame(rows)


def prompted_diversity(files: ResultFiles, cfg: dict, n: int) -> pd.DataFrame:
    """fig12 (n = 1), fig13 (2), fig14 (3): dist-n vs alpha, GT and prompted (columns method, attribute, alpha,
    value, lo, hi)."""
    by_method = {"gt": single_attribute_specs(cfg)["gt"], "prompted": prompted_specs(cfg)}
    specs = [s for by_attr in by_method.values() for ss in by_attr.values() for s in ss]
    boot, div = diversity_replicates(files, specs, cfg["statistics"])
    rows = []
    for method, by_attr in by_method.items():
        for attribute, ss in by_attr.items():
            for spec in ss:
                value, reps = div[spec][f"dist_{n}"]
                rows.append({"method": method, "attribute": attribute, "alpha": spec.alpha(attribute),
                             **with_interval(value, reps, boot)})
    return pd.DataFrame(rows)


