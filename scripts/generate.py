"""One sweep: load the base model and its adapter bank once, generate every spec the sweep owns
(batched together), write one generation set per spec."""
import json

from lminterp.generation import GenerationStats, SamplingConfig, generate
from lminterp.io import read_jsonl, write_jsonl
from lminterp.recipes import load_sweep
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], threads=snakemake.threads, seed=snakemake.params.seed)
p = snakemake.params
gen = p.generation
model, tokenizer, recipes = load_sweep(
    snakemake.input.base, p.adapters, p.specs, attributes=p.attributes,
    dexperts_top_p=p.baselines["dexperts"]["base_top_p"], scaling_csv=snakemake.input.get("scaling"))
tokenizer.padding_side = "left"
prompts = [r["prompt"] for r in sorted(read_jsonl(snakemake.input.prompts), key=lambda r: r["prompt_id"])]
sampling = SamplingConfig(max_new_tokens=gen["max_new_tokens"], temperature=gen["temperature"],
                          top_p=gen["top_p"], batch_rows=gen["batch_rows"])
stats = GenerationStats()
out = generate(model, tokenizer, recipes, prompts, samples_per_prompt=gen["samples_per_prompt"],
               sampling=sampling, seed=p.seed, stats=stats)
for name, path in zip(p.specs, snakemake.output):
    write_jsonl(path, out[name])
s = stats.as_dict()
print(json.dumps({k: s[k] for k in ("forward_calls", "batches", "wall_s", "total_tokens", "tokens_per_s")}))
