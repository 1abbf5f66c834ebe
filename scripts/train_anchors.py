"""Both anchor adapters of one attribute (class 0 and class 1 data), from one load of the base model."""
from lminterp.data.manifest import read_split_jsonl
from lminterp.training.lora import train_lora_from_config
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], threads=snakemake.threads, seed=snakemake.params.seed)
jobs = [
    {"name": f"{snakemake.wildcards.attribute}-{pole}",
     "texts": [r["text"] for r in read_split_jsonl(snakemake.input[f"pole{pole}"])],
     "out_dir": snakemake.output[f"pole{pole}"]}
    for pole in (0, 1)
]
metrics = train_lora_from_config(snakemake.params.base, jobs, snakemake.params.lora, snakemake.params.seed,
                                 checkpoint_every=snakemake.config["checkpoints"]["every_steps"])   # not a param
for m in metrics:
    print(m)
