"""Tiny-world check of the GT models: their scores rise with the class-1 fraction (Spearman >= 0.9)."""
from scipy.stats import spearmanr

from lminterp import specs as S
from lminterp.io import write_json
from lminterp.runtime import job_setup
from lminterp.summaries import ResultFiles, score_stats

job_setup(snakemake.log[0], torch_needed=False)
cfg = snakemake.params.single
files = ResultFiles(scores=snakemake.input)
out = {"threshold": 0.9, "gt_spearman": {}}
for attribute, specs in S.single_attribute_specs(cfg)["gt"].items():
    alphas = [s.alpha(attribute) for s in specs]
    scores = [score_stats(files, s, attribute)["mean"] for s in specs]
    rho = float(spearmanr(alphas, scores).statistic)
    out["gt_spearman"][attribute] = {"spearman": round(rho, 6), "alphas": alphas,
                                     "scores": [round(x, 6) for x in scores], "passed": rho >= 0.9}
out["passed"] = all(v["passed"] for v in out["gt_spearman"].values())
write_json(snakemake.output[0], out)
