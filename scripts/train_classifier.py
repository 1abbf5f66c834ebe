"""One attribute classifier (score = P(class 1)); held-out accuracy and, for the tiny world's attributes, agreement
with the rule-based oracle written beside it (metrics.json, oracle_agreement.json)."""
import importlib
import json
from pathlib import Path

import numpy as np

from lminterp.training.classifier import base_embeddings, score_texts, train_classifier
from lminterp.io import write_json
from lminterp.data.manifest import read_split_jsonl
from lminterp.runtime import job_setup
from lminterp.training.tokenizer import load_tokenizer

job_setup(snakemake.log[0], threads=snakemake.threads, seed=snakemake.params.seed)
p = snakemake.params
cfg = dict(p.classifier)
arch = cfg.pop("architecture")
test = read_split_jsonl(snakemake.input.test)
metrics, model = train_classifier(   # from scratch (arch) on the base's tokenizer, or fine-tuned from an encoder
    read_split_jsonl(snakemake.input.train), read_split_jsonl(snakemake.input.validation), test,
    load_tokenizer(p.tokenizer, padding_side="right") if p.encoder is None else None,
    arch if p.encoder is None else p.encoder,
    out_dir=snakemake.output[0], seed=snakemake.params.seed, return_model=True,
    init_embeddings=base_embeddings(p.get("embeddings")), **cfg,
)
print(json.dumps({k: v for k, v in metrics.items() if k != "history"}, indent=1))
if p.oracle:   # the attribute's data come from the tiny world's generator: its oracle, named by the rule
    module, _, name = p.oracle.partition(":")
    oracle = getattr(importlib.import_module(module), name)

    attribute = snakemake.wildcards.attribute
    texts = [r["text"] for r in test]
    truth = np.array([oracle(t)[attribute] for t in texts])
    decided = truth != 0.5
    predicted = score_texts(model, load_tokenizer(snakemake.output[0]), texts) > 0.5
    agreement = float((predicted[decided] == (truth[decided] == 1.0)).mean())
    write_json(Path(snakemake.output[0]) / "oracle_agreement.json",
               {"attribute": attribute, "n_test": len(texts), "n_oracle_decided": int(decided.sum()),
                "agreement_with_oracle": agreement})
    print(f"agreement with the oracle on {int(decided.sum())} decided test texts: {agreement:.3f}")
