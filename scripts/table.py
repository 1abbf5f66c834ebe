"""One table of the paper as CSV, Markdown and LaTeX, from the registry's numbers function."""
from lminterp.registry import resolve
from lminterp.evaluation.results import KINDS, ResultFiles
from lminterp.runtime import job_setup
from lminterp.report.tables import write_table

job_setup(snakemake.log[0], torch_needed=False)
p = snakemake.params
files = ResultFiles(**{kind: snakemake.input.get(kind, []) for kind in KINDS})
df = resolve(p.numbers)(files, p.cfg, **p.options)
write_table(df, snakemake.output.csv, snakemake.output.md, snakemake.output.tex, caption=p.caption,
            label=f"tab:{snakemake.wildcards.table}")
print(df.to_string())
