"""One sweep: load the base model and its adapter bank once, generate every spec the sweep owns
(batched together), write one generation set per spec."""
import json

import pandas as pd

from lminterp.adapters import AdapterBank
from lminterp.generation import GenerationStats, SamplingConfig, generate
from lminterp.io import read_jsonl, write_jsonl
from lminterp.mixing import attach_bank
from lminterp.pretrain import load_base_model
from lminterp.recipes import recipe_for
from lminterp.runtime import job_setup
from lminterp.specs import parse_spec

job_setup(snakemake.log[0], threads=snakemake.threads, seed=snakemake.params.seed)
p = snakemake.params
gen = p.generation
model, tokenizer = load_base_model(snakemake.input.base)
tokenizer.padding_side = "left"
if p.adapters:
    attach_bank(model, AdapterBank.from_dirs(p.adapters))
scaling = None
if "scaling" in snakemake.input.keys():
    table = pd.read_csv(snakemake.input.scaling)
    scaling = {r.attribute: (r.raw_at_0, r.raw_at_1) for r in table.itertuples()}
recipes = {
    name: recipe_for(parse_spec(name), system_prompts={a: d["system_prompts"] for a, d in p.attributes.items()},
                     dexperts_top_p=p.baselines["dexperts"]["base_top_p"], scaling=scaling)
    for name in p.specs
}
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
