"""Score every generation set of a sweep with every attribute classifier (P(class 1) per sample);
for the tiny world's attributes also the oracle's true values. Each classifier scores the texts of all the
sweep's sets in one call (batched by length across sets), then the scores are split per set. Empty
continuations are not scored (lminterp/evaluation/score_files.py)."""
import importlib

import numpy as np

from lminterp.training.classifier import load_classifier, score_texts
from lminterp.io import atomic_path, read_jsonl
from lminterp.runtime import job_setup
from lminterp.evaluation.score_files import is_empty, score_table

job_setup(snakemake.log[0], threads=snakemake.threads)
attributes = snakemake.params.attributes
sets = [read_jsonl(path) for path in snakemake.input.generations]
texts = [r["continuation"] for records in sets for r in records if not is_empty(r["continuation"])]
bounds = np.cumsum([0] + [sum(not is_empty(r["continuation"]) for r in records) for records in sets])
scores = {}
for attribute, directory in zip(attributes, snakemake.input.classifiers):
    model, tokenizer = load_classifier(directory)
    scores[attribute] = score_texts(model, tokenizer, texts) if texts else np.zeros(0)
oracle = None
if snakemake.params.oracle:   # "module:function", named by the rule (rules/common.smk, ORACLE): the tiny world's
    module, _, name = snakemake.params.oracle.partition(":")
    oracle = getattr(importlib.import_module(module), name)
for k, (records, out_path) in enumerate(zip(sets, snakemake.output)):
    keep = np.array([not is_empty(r["continuation"]) for r in records], dtype=bool)
    per_set = {}
    for a in attributes:   # scores of the non-empty texts back in place; empty ones get NaN in score_table
        full = np.full(len(records), np.nan)
        full[keep] = scores[a][bounds[k]:bounds[k + 1]]
        per_set[a] = full
    with atomic_path(out_path) as tmp:
        score_table(records, per_set, oracle, snakemake.params.oracle_attributes).to_csv(tmp, index=False, float_format="%.6f")
