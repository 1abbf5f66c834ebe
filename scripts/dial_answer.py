"""results/dial/<request>.json: target, predicted and achieved score per requested attribute."""
import json
from pathlib import Path

import pandas as pd

from lminterp.dial import requests as DIAL
from lminterp.io import write_json
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False)
solution = json.loads(Path(snakemake.input.solution).read_text())
result = DIAL.answer(solution, pd.read_csv(snakemake.input.scores), snakemake.params.cfg)
write_json(snakemake.output[0], result)
print(json.dumps(result, indent=2))
