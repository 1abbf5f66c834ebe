"""Score every generation set of a sweep with every attribute classifier (P(class 1) per sample);
in the tiny world also the oracle's true attribute values."""
import pandas as pd

from lminterp.classifier import load_classifier, score_texts
from lminterp.io import atomic_path, read_jsonl
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], threads=snakemake.threads)
attributes = snakemake.params.attributes
classifiers = {a: load_classifier(d) for a, d in zip(attributes, snakemake.input.classifiers)}
oracle = None
if snakemake.params.world == "tiny":
    from lminterp.world import oracle
for gen_path, out_path in zip(snakemake.input.generations, snakemake.output):
    records = read_jsonl(gen_path)
    texts = [r["continuation"] for r in records]
    table = pd.DataFrame({"prompt_id": [r["prompt_id"] for r in records], "sample": [r["sample"] for r in records],
                          "n_words": [len(t.split()) for t in texts]})
    for a, (model, tok) in classifiers.items():
        table[a] = score_texts(model, tok, texts)
    if oracle is not None:
        truth = [oracle(t) for t in texts]
        for a in attributes:
            table[f"oracle_{a}"] = [o[a] for o in truth]
    with atomic_path(out_path) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6f")
