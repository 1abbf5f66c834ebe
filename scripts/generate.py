"""One sweep: load the base model and its adapter bank once, generate every spec the sweep owns
(batched together), write one generation set per spec. The batch size is a speed setting: it is read from the
config, not from the rule's params, so that changing it reruns nothing."""
import json

from lminterp.mixing.generation import GenerationStats, SamplingConfig, generate
from lminterp.io import write_jsonl
from lminterp.data.manifest import read_split_jsonl
from lminterp.mixing.recipes import load_sweep
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], threads=snakemake.threads)
p = snakemake.params
gen = p.sampling
model, tokenizer, recipes = load_sweep(
    snakemake.params.base, p.adapters, p.specs, system_prompts=p.recipe.get("system_prompts"),
    dexperts_top_p=p.recipe.get("dexperts_top_p"), scaling_csv=snakemake.input.get("scaling"),
    instruction=p.recipe.get("instruction"), quantization=p.get("quantization"))
tokenizer.padding_side = "left"
prompts = [r["prompt"] for r in sorted(read_split_jsonl(snakemake.input.prompts), key=lambda r: r["prompt_id"])]
sampling = SamplingConfig.from_config(gen, batch_rows=snakemake.config["generation"]["batch_rows"])
stats = GenerationStats()
out = generate(model, tokenizer, recipes, prompts, samples_per_prompt=gen["samples_per_prompt"],
               sampling=sampling, seed=gen["sampling_seed"], stats=stats)
for name, path in zip(p.specs, snakemake.output):
    write_jsonl(path, out[name])
s = stats.as_dict()
print(json.dumps({k: s[k] for k in ("forward_calls", "batches", "wall_s", "total_tokens", "tokens_per_s")}))
# what the model was given: its path, and each kind of row's first prompt as token ids (plain text or the chat
# template's turns), read back by tests/test_mini_world.py
print("framing: " + json.dumps({"model": str(snakemake.params.base), "rows": s["framing"]}))
