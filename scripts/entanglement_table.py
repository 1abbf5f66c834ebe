"""Entanglement (fig8: scaled alpha_i = 1, fig16: alpha_i = 0): AUC of |score_i(alpha_j) - score_i(0)|."""
import pandas as pd

from lminterp import specs as S
from lminterp.io import atomic_path
from lminterp.metrics import entanglement_auc
from lminterp.runtime import job_setup
from lminterp.summaries import ResultFiles

job_setup(snakemake.log[0], torch_needed=False)
attributes = snakemake.params.attributes
ent = snakemake.params.entanglement
alphas = ent["alphas"]
files = ResultFiles(scores=snakemake.input)
rows = []
for method in ("interp",) + S.BASELINES:
    groups = S.entanglement_specs(method, attributes, alphas, ent["lambda"], snakemake.params.fixed_alpha)
    for (i, j), group in groups.items():
        scores = [pd.read_csv(files.scores(s))[i].mean() for s in group]
        rows.append({"method": method, "attribute_i": i, "attribute_j": j,
                     "auc": entanglement_auc(alphas, scores),
                     **{f"score_i_at_alpha_j_{a:g}": v for a, v in zip(alphas, scores)}})
with atomic_path(snakemake.output[0]) as tmp:
    pd.DataFrame(rows).to_csv(tmp, index=False, float_format="%.6f")
