"""Tiny-world sanity: classifiers are accurate (and agree with the oracle), and the anchors move their
attribute's score (by classifier and, where known, by the oracle)."""
import json
from pathlib import Path


from lminterp import specs as S
from lminterp.io import write_json
from lminterp.runtime import job_setup
from lminterp.evaluation.results import ResultFiles, read_scores

job_setup(snakemake.log[0], torch_needed=False)
attributes = snakemake.params.attributes
out = {"classifiers": {}, "anchors": {}}
for attribute, d in zip(attributes, snakemake.input.classifiers):
    metrics = json.loads((Path(d) / "metrics.json").read_text())
    entry = {k: metrics[k] for k in ("test_accuracy", "val_accuracy", "val_loss", "best_epoch")}
    if (Path(d) / "oracle_agreement.json").exists():
        entry["agreement_with_oracle"] = json.loads((Path(d) / "oracle_agreement.json").read_text())["agreement_with_oracle"]
    out["classifiers"][attribute] = entry
files = ResultFiles(scores=snakemake.input.anchors)
for attribute in attributes:
    s0, s1 = (read_scores(files, S.make("interp", attributes, (attribute, pole))) for pole in (0, 1))
    entry = {"score_alpha_0": s0[attribute].mean(), "score_alpha_1": s1[attribute].mean()}
    entry["rise"] = entry["score_alpha_1"] - entry["score_alpha_0"]
    if f"oracle_{attribute}" in s0:
        entry["oracle_alpha_0"] = s0[f"oracle_{attribute}"].mean()
        entry["oracle_alpha_1"] = s1[f"oracle_{attribute}"].mean()
    out["anchors"][attribute] = {key: round(float(v), 6) for key, v in entry.items()}
write_json(snakemake.output[0], out)
