# Reproduces the figures and tables of "Continuous Language Model Interpolation yields Dynamic and
# Controllable Text Generation" (Kangaslahti & Alvarez-Melis, 2024).
#
#   snakemake figures/fig8.pdf --cores 2                          # the tiny world (config.yaml), offline
#   snakemake download --cores 1 --configfile configs/paper.yaml      # where the network is: the hub assets
#   snakemake figures/fig8.pdf --configfile configs/paper.yaml --profile profiles/slurm
#
# Stages (one .smk each): data -> base -> train -> generate -> evaluate -> figures.
# Every path is built from a canonical model-spec name (lminterp/specs.py), so figures share files; every
# figure and table is an entry of the registry (lminterp/registry.py).
import os
import sys
import time

from snakemake.utils import min_version

min_version("9.0")

# The library next to this Snakefile is the one that is hashed (params: code) and the one every job runs,
# whatever else is installed: it goes first on the path here and, through PYTHONPATH, in every job.
# (Set, not required from the user: hence no `envvars:` directive.)
sys.path.insert(0, workflow.basedir)
os.environ.update(
    PYTHONPATH=os.pathsep.join([workflow.basedir, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])
)

from lminterp.workflow import timing  # noqa: E402  (after the path is set)

RUN_STARTED = time.time()   # the benchmark files written after this are this run's (onsuccess: where the time went)


configfile: "config.yaml"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/base.smk"
include: "rules/train.smk"
include: "rules/generate.smk"
include: "rules/evaluate.smk"
include: "rules/figures.smk"
include: "rules/report.smk"
include: "rules/dial.smk"
include: "rules/download.smk"


report: "paper/captions/workflow.rst"


onsuccess:
    if not workflow.dryrun and not workflow.touch:
        print(timing.summary(timing.job_times("benchmarks", RUN_STARTED), time.time() - RUN_STARTED))


rule all:
    input:
        expand("figures/{fig}.pdf", fig=[t.name for t in R.active(config, "figure")]),
        expand("tables/{table}.csv", table=[t.name for t in R.active(config, "table")]),
        f"{RESULTS}/sanity.json",
        f"{RESULTS}/single_attribute_checks.json",
        [f"{RESULTS}/checks.json"] if R.checked(config) else [],
        f"{RESULTS}/claims.csv",
        "paper/report.html",
    default_target: True
