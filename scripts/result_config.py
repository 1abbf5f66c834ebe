"""results/config.json: the configuration the results follow (without the speed settings), published with the
reference numbers so that a later build knows whether it can be compared with them (rules/report.smk)."""
import json

from lminterp.io import write_json
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False)
write_json(snakemake.output[0], json.loads(json.dumps(snakemake.params.cfg, default=str)))
print(f"{snakemake.output[0]}: {len(snakemake.params.cfg)} sections")
