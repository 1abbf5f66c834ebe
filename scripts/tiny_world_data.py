"""The tiny world's data: pretraining corpus, per-attribute LM and classifier splits, perplexity corpus (those of
them that the config does not take from sources of their own: the rule's outputs say which)."""
import os

from lminterp.data.tiny_world import write_tiny_world
from lminterp.io import write_json
from lminterp.data.manifest import write_manifest
from lminterp.runtime import job_setup
from lminterp.data.world import WorldSpec

job_setup(snakemake.log[0], torch_needed=False)
p = snakemake.params
out = snakemake.output
files = ([out.pretrain] if "pretrain" in out.keys() else []) + list(out.lm) + list(out.classifier) \
    + ([out.perplexity] if "perplexity" in out.keys() else [])
spec = WorldSpec(
    correlations=tuple((c["attributes"][0], c["attributes"][1], c["agreement"]) for c in p.world["correlations"]),
    descriptors={a: {int(k): v for k, v in d["system_prompts"].items()} for a, d in p.attributes.items()},
    descriptor_fraction=p.world["descriptor_fraction"],
    instruction=p.instruction,
    instruction_fraction=p.world["instruction_fraction"],
    instruction_levels=tuple(p.world["instruction_levels"]),
    class_names={a: tuple(d["class_names"]) for a, d in p.attributes.items()},
)
summary = write_tiny_world(
    p.out_dir, seed=p.seed, spec=spec, attributes=list(p.attributes),
    n_pretrain=p.world["pretrain_texts"] if "pretrain" in out.keys() else 0,
    n_lm_per_class=p.data["lm_texts_per_class"],
    n_classifier_per_class=p.data["classifier_texts_per_class"], n_prompts=None,
    n_perplexity_texts=p.world["perplexity_texts"],
    include=[os.path.relpath(f, p.out_dir) for f in files],
)
write_json(out.summary, summary)
write_manifest(p.out_dir, "tiny_world", files)
