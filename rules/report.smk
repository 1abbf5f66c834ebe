# The reproduction report (paper/report.html): the claims, Table 1 beside the paper's, every figure and table of
# this configuration in paper order with the jobs that made it. Built from files only (no torch, no models).

# Light jobs (pandas, matplotlib): on a cluster they run on the submitting node, not as SLURM jobs
localrules:
    report,


rule report:
    input:
        figures=expand("figures/{fig}.png", fig=[t.name for t in R.active(config, "figure")]),
        tables=expand("tables/{table}.csv", table=[t.name for t in R.active(config, "table")]),
        claims=f"{RESULTS}/claims.csv",
        sanity=f"{RESULTS}/sanity.json",
        single_checks=f"{RESULTS}/single_attribute_checks.json",
        checks=[f"{RESULTS}/checks.json"] if R.checked(config) else [],
        reported=REPORTED_PATH,
    output:
        "paper/report.html",
    params:
        targets=report_items,
        cfg=RESULT_CONFIG,
        code=code("report.py"),
    resources:
        **res("light"),
    log:
        "logs/report.log",
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/report.py"
