"""figures/dial.{csv,pdf,png}: the built-in requests' target vs achieved scores, and where each model sits on
its simplex."""
import json
from pathlib import Path

from lminterp.dial import requests as DIAL
from lminterp.io import atomic_path
from lminterp.figures.dial import dial_figure
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False)
table = DIAL.dial_table([json.loads(Path(f).read_text()) for f in snakemake.input])
with atomic_path(snakemake.output.csv) as tmp:
    table.to_csv(tmp, index=False, float_format="%.6g")
dial_figure(table, snakemake.output.pdf, snakemake.params.cfg)
print(table.to_string())
