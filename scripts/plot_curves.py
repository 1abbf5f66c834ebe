"""Single-attribute figures: fig2 (score vs alpha, GT and three methods), fig3 (extrapolation, regions
shaded), fig4 (perplexity, clipped), fig10 (perplexity, log scale), fig11 (dist-1/2/3)."""
import pandas as pd

from lminterp.plots import plot_diversity_curves, plot_metric_curves, plot_score_curves
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False)
fig = snakemake.wildcards.fig
single = snakemake.params.single
attributes = snakemake.params.attributes
table = pd.read_csv(snakemake.input[0])
out = snakemake.output[0]
regions = {"interpolation": (0.0, 1.0), "stable": tuple(single["stable_region"])}
if fig == "fig2":
    plot_score_curves(table, attributes, out, methods=["gt", "interp", "dexperts", "arith"],
                      x_label=r"$\alpha$ (baselines: scaled $\alpha$)",
                      title="Score vs alpha: fine-tuned (GT) models, weight interpolation and baselines")
elif fig == "fig3":
    plot_score_curves(table, attributes, out, methods=["interp"], x_label=r"$\alpha$", regions=regions,
                      title="Weight interpolation and extrapolation: score vs alpha")
elif fig == "fig4":
    plot_metric_curves(table, attributes, out, metric_label="Perplexity", y_clip=single["perplexity_clip"],
                       regions=regions, title=f"Perplexity vs alpha (y clipped at {single['perplexity_clip']:g})")
elif fig == "fig10":
    plot_metric_curves(table, attributes, out, metric_label="Perplexity", log_y=True, regions=regions,
                       title="Perplexity vs alpha (log scale)")
else:  # fig11
    plot_diversity_curves(table, attributes, out, regions=regions, title="Diversity (dist-n) vs alpha")
