"""Ground-truth mixture adapters of one attribute: for each interior alpha of the grid, an adapter trained
like the anchors (same hyperparameters, number of texts and steps) on an alpha fraction of class-1 texts."""
from lminterp.data.records import mixture_texts
from lminterp.data.manifest import read_split_jsonl
from lminterp.training.lora import train_lora_from_config
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], threads=snakemake.threads, seed=snakemake.params.seed)
texts0 = [r["text"] for r in read_split_jsonl(snakemake.input.pole0)]
texts1 = [r["text"] for r in read_split_jsonl(snakemake.input.pole1)]
jobs = [
    {"name": f"{snakemake.wildcards.attribute} gt a={alpha:g}",
     "texts": mixture_texts(texts0, texts1, alpha, snakemake.params.seed), "out_dir": out_dir}
    for alpha, out_dir in zip(snakemake.params.alphas, snakemake.output)
]
metrics = train_lora_from_config(snakemake.params.base, jobs, snakemake.params.lora, snakemake.params.seed,
                                 checkpoint_every=snakemake.config["checkpoints"]["every_steps"])   # not a param
for m in metrics:
    print(m)
