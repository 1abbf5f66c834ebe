"""Tiny-world sanity: classifiers are accurate and the anchors move their attribute's score."""
import json
from pathlib import Path

import pandas as pd

from lminterp.io import write_json
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False)
attributes = snakemake.params.attributes
out = {"classifiers": {}, "anchors": {}}
for attribute, d in zip(attributes, snakemake.input.classifiers):
    out["classifiers"][attribute] = json.loads((Path(d) / "metrics.json").read_text())
for k, attribute in enumerate(attributes):
    s0 = pd.read_csv(snakemake.input.anchors[2 * k])[attribute].mean()
    s1 = pd.read_csv(snakemake.input.anchors[2 * k + 1])[attribute].mean()
    out["anchors"][attribute] = {"score_alpha_0": round(float(s0), 6), "score_alpha_1": round(float(s1), 6),
                                 "rise": round(float(s1 - s0), 6)}
write_json(snakemake.output[0], out)
