"""results/dial/<request>.solution.json: the alphas and lambdas that best deliver a request's target scores, from
surfaces fitted on the measured interpolation models (lminterp/dial/surfaces.py, lminterp/dial/requests.py)."""
import json

from lminterp import specs as S
from lminterp.dial import requests as DIAL
from lminterp.io import write_json
from lminterp.evaluation.results import ResultFiles
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False)
p = snakemake.params
request = DIAL.load_request(snakemake.input.request, p.cfg)
files = ResultFiles(scores=snakemake.input.scores)
points = DIAL.measured_points(files, [S.parse_spec(n) for n in p.specs], p.cfg)
record = DIAL.solve_request(request, points, p.cfg)
write_json(snakemake.output[0], record)
print(json.dumps(record, indent=2))
