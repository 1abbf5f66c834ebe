# Reproduces the figures and tables of "Continuous Language Model Interpolation yields Dynamic and
# Controllable Text Generation" (Kangaslahti & Alvarez-Melis, 2024).
#
#   snakemake figures/fig8.pdf --cores 2                          # the tiny world (config.yaml), offline
#   snakemake figures/fig8.pdf --configfile configs/paper.yaml --profile profiles/slurm
#
# Stages (one .smk each): data -> base -> train -> generate -> evaluate -> figures.
# Every path is built from a canonical model-spec name (lminterp/specs.py), so figures share files.

from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/base.smk"
include: "rules/train.smk"
include: "rules/generate.smk"
include: "rules/evaluate.smk"
include: "rules/figures.smk"


rule all:
    input:
        "figures/fig8.pdf",
        "figures/fig16.pdf",
        f"{RESULTS}/sanity.json",
        "tables/table1.csv",
        expand("figures/{fig}.pdf", fig=CURVE_FIGURES),
        f"{RESULTS}/single_attribute_checks.json",
    default_target: True
