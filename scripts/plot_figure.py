"""Draw one figure from its CSV with the registry's plot function (no torch, no model files)."""
import pandas as pd

from lminterp.registry import resolve
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False)
p = snakemake.params
resolve(p.plot)(pd.read_csv(snakemake.input[0]), snakemake.output.pdf, p.cfg, **p.options)   # + the PNG beside it
