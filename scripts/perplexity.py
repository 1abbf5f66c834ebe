"""Perplexity of every model of a sweep on the perplexity corpus (sliding window, token-weighted),
from one load of the base model and its adapter bank."""
import pandas as pd

from lminterp.adapters import AdapterBank
from lminterp.io import write_json
from lminterp.mixing import attach_bank
from lminterp.perplexity import perplexity
from lminterp.pretrain import load_base_model
from lminterp.recipes import recipe_for
from lminterp.runtime import job_setup
from lminterp.specs import parse_spec

job_setup(snakemake.log[0], threads=snakemake.threads, seed=snakemake.params.seed)
p = snakemake.params
model, tokenizer = load_base_model(snakemake.input.base)
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
text = open(snakemake.input.corpus, encoding="utf-8").read()
results = perplexity(model, tokenizer, text, recipes, max_length=p.perplexity["max_length"],
                     stride=p.perplexity["stride"])
for name, path in zip(p.specs, snakemake.output):
    write_json(path, {"spec": name, **results[name], **p.perplexity})
    print(f"{name}: {results[name]['perplexity']:.4f}")
