"""The tiny world's evaluation prompts (neutral openers, distinct, from their own random stream)."""
from lminterp.data import prompt_records, write_records
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False)
write_records(snakemake.output[0], prompt_records(snakemake.params.seed, snakemake.params.prompts))
