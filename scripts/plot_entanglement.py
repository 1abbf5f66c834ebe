"""Figures 8 and 16: one heat map of entanglement AUCs per method."""
import pandas as pd

from lminterp.plots import plot_entanglement_heatmaps
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False)
fixed = snakemake.params.fixed_alpha
table = pd.read_csv(snakemake.input[0])
plot_entanglement_heatmaps(
    table, snakemake.params.attributes, ["interp", "dexperts", "arith"], snakemake.output[0],
    title=f"Entanglement: AUC of |score$_i$($\\alpha_j$) - score$_i$(0)|, scaled $\\alpha_i$ = {fixed:g}, "
          f"$\\lambda_i = \\lambda_j$",
)
