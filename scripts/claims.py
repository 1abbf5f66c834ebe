"""The paper's eight claims checked on this build (lminterp/report/claims.py): results/claims.csv."""
from lminterp.report.claims import claims_table
from lminterp.io import atomic_path
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False)
table = claims_table(snakemake.params.cfg, **{k: snakemake.input.get(k) for k in
                                              ("single_checks", "fig4", "checks")})
with atomic_path(snakemake.output[0]) as tmp:
    table.to_csv(tmp, index=False)
print(table.to_string())
