"""The checks declared beside the figures (registry: Target.check) on their per-model files, one JSON file."""
from lminterp.io import write_json
from lminterp.registry import run_checks
from lminterp.evaluation.results import KINDS, ResultFiles
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False)
files = ResultFiles(**{kind: snakemake.input.get(kind, []) for kind in KINDS})
write_json(snakemake.output[0], run_checks(files, snakemake.params.cfg, snakemake.params.checks))
