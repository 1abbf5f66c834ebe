# Figures and tables, all derived from the registry (lminterp/registry.py): per figure one numbers job (its CSV,
# from the per-model files it reads) and one plotting job (no torch), so restyling a figure reruns only its
# plotting job; per table one job writing CSV, Markdown and LaTeX. Each job's params carry the narrow config
# the target reads and the hash of the code it runs (its script and the registry functions' modules).

# Light jobs (pandas, matplotlib): on a cluster they run on the submitting node, not as SLURM jobs
localrules:
    figure_numbers,
    plot_figure,
    table,


rule figure_numbers:
    input:
        unpack(target_inputs),
    output:
        "figures/{fig}.csv",
    params:
        numbers=lambda w: target(w).numbers,
        options=lambda w: dict(target(w).options),
        cfg=lambda w: R.narrow_config(config, target(w)),
        code=lambda w: code("figure_numbers.py", target(w).numbers),
    resources:
        **res("light"),
    log:
        "logs/figures/{fig}_numbers.log",
    benchmark:
        "benchmarks/figures/{fig}_numbers.tsv"
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/figure_numbers.py"


rule plot_figure:
    input:
        "figures/{fig}.csv",
    output:
        pdf="figures/{fig}.pdf",
        png=report("figures/{fig}.png", caption="../paper/captions/target.rst", category="Figures",
                   labels={"figure": "{fig}"}),
    params:
        plot=lambda w: target(w).plot,
        caption=lambda w: target(w).caption,
        options=lambda w: dict(target(w).options),
        cfg=lambda w: R.narrow_config(config, target(w)),
        code=lambda w: code("plot_figure.py", target(w).plot),
    resources:
        **res("light"),
    log:
        "logs/figures/{fig}.log",
    benchmark:
        "benchmarks/figures/{fig}.tsv"
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/plot_figure.py"


rule table:
    input:
        unpack(target_inputs),
    output:
        csv=report("tables/{table}.csv", caption="../paper/captions/target.rst", category="Tables",
                   labels={"table": "{table}"}),
        md="tables/{table}.md",
        tex="tables/{table}.tex",
    params:
        numbers=lambda w: target(w).numbers,
        options=lambda w: dict(target(w).options),
        cfg=lambda w: R.narrow_config(config, target(w)),
        caption=lambda w: target(w).caption,
        code=lambda w: code("table.py", target(w).numbers),
    resources:
        **res("light"),
    log:
        "logs/tables/{table}.log",
    benchmark:
        "benchmarks/tables/{table}.tsv"
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/table.py"
