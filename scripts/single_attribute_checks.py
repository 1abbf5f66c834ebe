"""Check of the GT models: their scores rise with the class-1 fraction, up to sampling noise (lminterp/curves.py)."""
from lminterp.curves import gt_monotonicity
from lminterp.io import write_json
from lminterp.results import ResultFiles
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False)
write_json(snakemake.output[0], gt_monotonicity(ResultFiles(scores=snakemake.input), snakemake.params.cfg))
