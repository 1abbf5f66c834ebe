"""Fit the alpha scaling of a baseline: raw strengths whose scores match the anchors' (paper 2.4)."""
from pathlib import Path

import pandas as pd

from lminterp.io import atomic_path
from lminterp.metrics import alpha_scaling
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False)
attributes = snakemake.params.attributes
raw_strengths = snakemake.params.raw_strengths
n = len(raw_strengths)
rows = []
for k, attribute in enumerate(attributes):
    raw_files = snakemake.input.raw[k * n:(k + 1) * n]
    curve = [pd.read_csv(f)[attribute].mean() for f in raw_files]
    anchor0, anchor1 = snakemake.input.anchors[2 * k:2 * k + 2]
    target0 = pd.read_csv(anchor0)[attribute].mean()
    target1 = pd.read_csv(anchor1)[attribute].mean()
    fit = alpha_scaling(raw_strengths, curve, target0, target1)
    rows.append({"attribute": attribute, "raw_at_0": fit.raw_at_0, "raw_at_1": fit.raw_at_1,
                 "target_0": target0, "target_1": target1,
                 "clipped_0": fit.clipped_0, "clipped_1": fit.clipped_1,
                 **{f"score_at_raw_{r:g}": s for r, s in zip(raw_strengths, curve)}})
    print(f"{attribute}: raw {fit.raw_at_0:.3f} -> scaled 0, raw {fit.raw_at_1:.3f} -> scaled 1", flush=True)
with atomic_path(snakemake.output[0]) as tmp:
    pd.DataFrame(rows).to_csv(tmp, index=False, float_format="%.6f")
