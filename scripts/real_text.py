"""Real text from the pinned packages in the download cache: <results>/data/real/<name>.txt and sources.json
(lminterp/data/real_text.py)."""
import os

from lminterp.data import real_text as RT
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False)
files = RT.package_files(snakemake.params.cache, snakemake.params.pins)
record = RT.write(RT.build(files), files, os.path.dirname(snakemake.output.sources), snakemake.params.pins)
for name, out in record["outputs"].items():
    print(f"{name}: {out['lines']} texts from {', '.join(out['packages'])}")
