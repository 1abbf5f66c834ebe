"""The numbers behind the single-attribute figures: fig2 (GT and the three methods on the alpha grid),
fig3 (interpolation scores over the extrapolation range), fig4/fig10 (perplexity), fig11 (dist-n)."""
import pandas as pd

from lminterp import specs as S
from lminterp.io import atomic_path
from lminterp.runtime import job_setup
from lminterp.summaries import ResultFiles, diversity_stats, perplexity_of, score_curves

job_setup(snakemake.log[0], torch_needed=False)
fig = snakemake.wildcards.fig
cfg = snakemake.params.single
inputs = list(snakemake.input)
files = ResultFiles(scores=[f for f in inputs if f.endswith(".csv")],
                    generations=[f for f in inputs if f.endswith(".jsonl")],
                    perplexity=[f for f in inputs if f.endswith(".json")])
if fig == "fig2":
    table = score_curves(files, S.single_attribute_specs(cfg))
else:
    extrapolation = S.extrapolation_specs(cfg)
    if fig == "fig3":
        table = score_curves(files, {"interp": extrapolation})
    else:
        rows = []
        for attribute, specs in extrapolation.items():
            for spec in specs:
                row = {"method": "interp", "attribute": attribute, "alpha": spec.alpha(attribute)}
                if fig == "fig11":
                    row.update(diversity_stats(files, spec))
                else:  # fig4, fig10
                    row["value"] = perplexity_of(files, spec)
                rows.append(row)
        table = pd.DataFrame(rows)
with atomic_path(snakemake.output[0]) as tmp:
    table.to_csv(tmp, index=False, float_format="%.6f")
