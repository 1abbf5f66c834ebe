# The reproduction report (paper/report.html): the claims, Table 1 beside the paper's, every figure and table of
# this configuration in paper order with the jobs that made it. Built from files only (no torch, no models).

# Light jobs (pandas, matplotlib): on a cluster they run on the submitting node, not as SLURM jobs
localrules:
    report,
    result_config,


rule result_config:
    """The configuration the results follow (without the speed settings): published with the reference numbers, so
    that a later build knows whether it can be compared with them."""
    output:
        f"{RESULTS}/config.json",
    params:
        cfg=RESULT_CONFIG,
        code=code("result_config.py"),
    resources:
        **res("light"),
    log:
        "logs/result_config.log",
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/result_config.py"


rule report:
    input:
        figures=expand("figures/{fig}.png", fig=[t.name for t in R.active(config, "figure")]),
        tables=expand("tables/{table}.csv", table=[t.name for t in R.active(config, "table")]),
        claims=f"{RESULTS}/claims.csv",
        sanity=f"{RESULTS}/sanity.json",
        single_checks=f"{RESULTS}/single_attribute_checks.json",
        checks=[f"{RESULTS}/checks.json"] if R.checked(config) else [],
        reported=REPORTED_PATH,
        config=f"{RESULTS}/config.json",
        reference=REFERENCE_FILES,
    output:
        "paper/report.html",
    params:
        targets=report_items,
        cfg=RESULT_CONFIG,
        compare_reference=REFERENCE_MATCHES,
        code=code("report.py"),
    resources:
        **res("light"),
    log:
        "logs/report.log",
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/report.py"
