"""The tiny world's evaluation prompts (neutral openers, distinct, from their own random stream)."""
import os

from lminterp.data.records import write_records

from lminterp.data.tiny_world import prompt_records
from lminterp.data.manifest import write_manifest
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False)
write_records(snakemake.output.prompts, prompt_records(snakemake.params.seed, snakemake.params.prompts))
write_manifest(os.path.dirname(snakemake.output.prompts), "prompts", [snakemake.output.prompts])
