"""Table 4's measurements: counted forward rows per generated token and tokens/s per method, N = 1 and 2
(lminterp/mixing/inference_cost.py), on the real generation code path."""
import json

from lminterp.mixing.generation import SamplingConfig
from lminterp.mixing.inference_cost import MERGED, measure, merged_name
from lminterp.io import write_json
from lminterp.data.manifest import read_split_jsonl
from lminterp.mixing.recipes import load_sweep
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], threads=snakemake.threads)
p = snakemake.params
model, tokenizer, recipes = load_sweep(snakemake.params.base, p.adapters, [s for s, _, _ in p.specs],
                                       system_prompts=p.system_prompts, dexperts_top_p=p.dexperts_top_p,
                                       quantization=p.get("quantization"))
tokenizer.padding_side = "left"
prompts = [r["prompt"] for r in sorted(read_split_jsonl(snakemake.input.prompts), key=lambda r: r["prompt_id"])]
gen = p.sampling
sampling = SamplingConfig.from_config(gen, batch_rows=snakemake.config["generation"]["batch_rows"])
cost = p.timing
got = measure(model, tokenizer, recipes, prompts, sampling=sampling, seed=gen["sampling_seed"],
              sequences=cost["sequences"], repeats=cost["repeats"],
              merged=[s for s, method, _ in p.specs if method == "interp"])
records = [{"spec": s, "method": method, "n_attributes": n, **got[s]} for s, method, n in p.specs]
records += [{"spec": s, "method": MERGED, "n_attributes": n, **got[merged_name(s)]}    # the limit (not 4-bit)
            for s, method, n in p.specs if merged_name(s) in got]
write_json(snakemake.output[0], {"models": records, "threads": snakemake.threads})
print(json.dumps(records, indent=1))
