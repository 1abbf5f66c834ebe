"""One attribute classifier (score = P(class 1)); held-out accuracy and oracle agreement beside it."""
import json
from pathlib import Path

from lminterp.classifier import train_classifier
from lminterp.io import read_jsonl, write_json
from lminterp.runtime import job_setup
from lminterp.tokenizer import load_tokenizer

job_setup(snakemake.log[0], threads=snakemake.threads, seed=snakemake.params.seed)
cfg = dict(snakemake.params.classifier)
arch = cfg.pop("architecture")
metrics = train_classifier(
    read_jsonl(snakemake.input.train), read_jsonl(snakemake.input.validation), read_jsonl(snakemake.input.test),
    load_tokenizer(snakemake.input.tokenizer, padding_side="right"), arch,
    out_dir=snakemake.output[0], seed=snakemake.params.seed, **cfg,
)
print(json.dumps(metrics, indent=1))
