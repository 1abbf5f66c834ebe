"""Pretrain the tiny world's base Llama on the mixed corpus (neutral with respect to every attribute)."""
from lminterp.data.manifest import read_split_jsonl, read_split_text
from lminterp.training.pretrain import pretrain_base_model
from lminterp.runtime import job_setup
from lminterp.training.tokenizer import load_tokenizer

job_setup(snakemake.log[0], threads=snakemake.threads, seed=snakemake.params.seed)
cfg = snakemake.params.base_model
texts = [r["text"] for r in read_split_jsonl(snakemake.input.corpus)]
heldout = [t for t in read_split_text(snakemake.input.heldout).splitlines() if t.strip()][:200]
tokenizer = load_tokenizer(snakemake.input.tokenizer)
metrics = pretrain_base_model(texts, tokenizer, cfg["architecture"], out_dir=snakemake.output[0],
                              eval_texts=heldout, seed=snakemake.params.seed, **cfg["pretrain"],
                              checkpoint_every=snakemake.config["checkpoints"]["every_steps"])   # speed: not a param
print(metrics)
