"""Fetch one hub dataset or model into the download cache (a local rule: it runs where the network is)."""
import os

from lminterp.data.download import fetch_dataset, fetch_model
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False, offline=False)
p = snakemake.params
dest = os.path.dirname(snakemake.output[0])
record = fetch_model(p.source, dest) if p.what == "models" else fetch_dataset(p.source, dest)
print(record)
