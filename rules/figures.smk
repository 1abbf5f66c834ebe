# Figures: plotting only (no torch), one script per kind of figure, parametrised by figure number.
# Restyling a figure reruns only its plotting job.


rule entanglement_figure:
    input:
        "figures/{fig}.csv",
    output:
        "figures/{fig}.pdf",
    wildcard_constraints:
        fig="|".join(S.ENTANGLEMENT_FIGURES),
    params:
        fixed_alpha=lambda w: S.ENTANGLEMENT_FIGURES[w.fig],
        attributes=ATTRIBUTES,
    resources:
        **res("light"),
    log:
        "logs/figures/{fig}.log",
    benchmark:
        "benchmarks/figures/{fig}.tsv"
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/plot_entanglement.py"


rule curve_figure:
    input:
        "figures/{fig}.csv",
    output:
        "figures/{fig}.pdf",
    wildcard_constraints:
        fig="|".join(CURVE_FIGURES),
    params:
        single=config["single_attribute"],
        attributes=ATTRIBUTES,
    resources:
        **res("light"),
    log:
        "logs/figures/{fig}.log",
    benchmark:
        "benchmarks/figures/{fig}.tsv"
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/plot_curves.py"
