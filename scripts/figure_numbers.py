"""The numbers of one figure (its CSV): the registry's numbers function on the per-model files it reads."""
from lminterp.io import atomic_path
from lminterp.registry import resolve
from lminterp.evaluation.results import KINDS, ResultFiles
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False)
p = snakemake.params
files = ResultFiles(**{kind: snakemake.input.get(kind, []) for kind in KINDS})
table = resolve(p.numbers)(files, p.cfg, **p.options)
with atomic_path(snakemake.output[0]) as tmp:
    table.to_csv(tmp, index=False, float_format="%.6f")
