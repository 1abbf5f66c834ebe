"""Score every generation set of a sweep with every attribute classifier (P(class 1) per sample);
in the tiny world also the oracle's true attribute values. Each classifier scores the texts of all the
sweep's sets in one call (batched by length across sets), then the scores are split per set."""
import numpy as np
import pandas as pd

from lminterp.classifier import load_classifier, score_texts
from lminterp.io import atomic_path, read_jsonl
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], threads=snakemake.threads)
attributes = snakemake.params.attributes
sets = [read_jsonl(path) for path in snakemake.input.generations]
texts = [r["continuation"] for records in sets for r in records]
bounds = np.cumsum([0] + [len(records) for records in sets])
scores = {}
for attribute, directory in zip(attributes, snakemake.input.classifiers):
    model, tokenizer = load_classifier(directory)
    scores[attribute] = score_texts(model, tokenizer, texts)
oracle = None
if snakemake.params.world == "tiny":
    from lminterp.world import oracle
for k, (records, out_path) in enumerate(zip(sets, snakemake.output)):
    lo, hi = bounds[k], bounds[k + 1]
    table = pd.DataFrame({"prompt_id": [r["prompt_id"] for r in records], "sample": [r["sample"] for r in records],
                          "n_words": [len(r["continuation"].split()) for r in records]})
    for a in attributes:
        table[a] = scores[a][lo:hi]
    if oracle is not None:
        truth = [oracle(r["continuation"]) for r in records]
        for a in attributes:
            table[f"oracle_{a}"] = [o[a] for o in truth]
    with atomic_path(out_path) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6f")
