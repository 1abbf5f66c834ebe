"""Fit the alpha scaling of a baseline: raw strengths whose scores match the anchors' (paper 2.4)."""
import pandas as pd

from lminterp import specs as S
from lminterp.io import atomic_path
from lminterp.evaluation.results import ResultFiles, read_scores
from lminterp.runtime import job_setup
from lminterp.evaluation.scaling import alpha_scaling_or_span, silent_strengths

job_setup(snakemake.log[0], torch_needed=False)
attributes = snakemake.params.attributes
raw_strengths = snakemake.params.raw_strengths
method = snakemake.wildcards.method
files = ResultFiles(scores=list(snakemake.input.raw) + list(snakemake.input.anchors))


def mean_score(spec, attribute):
    return read_scores(files, spec)[attribute].mean()


rows = []
for attribute in attributes:
    curve = [mean_score(S.make(f"{method}-raw", attributes, (attribute, r)), attribute) for r in raw_strengths]
    target0 = mean_score(S.make("interp", attributes, (attribute, 0)), attribute)
    target1 = mean_score(S.make("interp", attributes, (attribute, 1)), attribute)
    fit, fallback = alpha_scaling_or_span(raw_strengths, curve, target0, target1)
    silent = silent_strengths(raw_strengths, curve)
    if silent:
        print(f"WARNING {method} at raw strength(s) {', '.join(f'{r:g}' for r in silent)} wrote no word for "
              f"{attribute} (every continuation empty): left out of its alpha scaling", flush=True)
    if fallback:
        print(f"WARNING {method} cannot be scaled for {attribute}: {fallback}. The anchors' scores were "
              f"{target0:.3f} (alpha 0) and {target1:.3f} (alpha 1) (nan: no word written); scaled alpha 0 and 1 are the sweep's ends "
              f"{fit.raw_at_0:g} and {fit.raw_at_1:g} (widen baselines.raw_strengths, or train stronger anchors "
              "with lora.*, if that is not what you want).", flush=True)
    rows.append({"attribute": attribute, "raw_at_0": fit.raw_at_0, "raw_at_1": fit.raw_at_1,
                 "target_0": target0, "target_1": target1,
                 "clipped_0": fit.clipped_0, "clipped_1": fit.clipped_1, "fallback": fallback or "",
                 "no_text_at_raw": " ".join(f"{r:g}" for r in silent),
                 **{f"score_at_raw_{r:g}": s for r, s in zip(raw_strengths, curve)}})
    print(f"{attribute}: raw {fit.raw_at_0:.3f} -> scaled 0, raw {fit.raw_at_1:.3f} -> scaled 1", flush=True)
with atomic_path(snakemake.output[0]) as tmp:
    pd.DataFrame(rows).to_csv(tmp, index=False, float_format="%.6f")
