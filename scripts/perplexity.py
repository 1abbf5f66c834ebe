"""Perplexity of every model of a sweep on the perplexity corpus (sliding window, token-weighted),
from one load of the base model and its adapter bank."""
from lminterp.io import write_json
from lminterp.data.manifest import read_split_text
from lminterp.mixing.perplexity import perplexity
from lminterp.mixing.recipes import load_sweep
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], threads=snakemake.threads)
p = snakemake.params
model, tokenizer, recipes = load_sweep(
    snakemake.params.base, p.adapters, p.specs, system_prompts=p.recipe.get("system_prompts"),
    scaling_csv=snakemake.input.get("scaling"),  # no DExperts base nucleus: see lminterp.mixing.perplexity
    instruction=p.recipe.get("instruction"), quantization=p.get("quantization"))
text = read_split_text(snakemake.input.corpus)
results = perplexity(model, tokenizer, text, recipes, max_length=p.perplexity["max_length"],
                     stride=p.perplexity["stride"])
for name, path in zip(p.specs, snakemake.output):
    write_json(path, {"spec": name, **results[name], **p.perplexity})
    print(f"{name}: {results[name]['perplexity']:.4f}")
