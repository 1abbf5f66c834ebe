"""Checks of the GT models (their scores rise with the class-1 fraction, up to sampling noise) and of weight
interpolation on the same grid (claim 2); lminterp/numbers/curves.py."""
from lminterp.numbers.curves import single_attribute_checks
from lminterp.io import write_json
from lminterp.evaluation.results import ResultFiles
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False)
write_json(snakemake.output[0], single_attribute_checks(ResultFiles(scores=snakemake.input), snakemake.params.cfg))
