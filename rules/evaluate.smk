# Metric tables: alpha scaling of the baselines, entanglement (fig8/fig16 numbers), sanity checks.


rule alpha_scaling:
    input:
        raw=lambda w: [score_path(s) for s in S.raw_sweep_specs(w.method, ATTRIBUTES, config["baselines"]["raw_strengths"])],
        anchors=[score_path(s) for s in S.anchor_specs(ATTRIBUTES)],
    output:
        f"{RESULTS}/scaling/{{method}}.csv",
    priority: PRIORITY["scaling"]
    params:
        attributes=ATTRIBUTES,
        raw_strengths=config["baselines"]["raw_strengths"],
    resources:
        **res("light"),
    log:
        "logs/evaluate/alpha_scaling_{method}.log",
    benchmark:
        "benchmarks/evaluate/alpha_scaling_{method}.tsv"
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/alpha_scaling.py"


rule entanglement_table:
    input:
        entanglement_inputs,
    output:
        "figures/{fig}.csv",
    wildcard_constraints:
        fig="|".join(S.ENTANGLEMENT_FIGURES),
    params:
        attributes=ATTRIBUTES,
        entanglement=config["entanglement"],
        fixed_alpha=lambda w: S.ENTANGLEMENT_FIGURES[w.fig],
    resources:
        **res("light"),
    log:
        "logs/evaluate/entanglement_{fig}.log",
    benchmark:
        "benchmarks/evaluate/entanglement_{fig}.tsv"
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/entanglement_table.py"


rule sanity:
    input:
        classifiers=[classifier_dir(a) for a in ATTRIBUTES],
        anchors=[score_path(s) for s in S.anchor_specs(ATTRIBUTES)],
    output:
        f"{RESULTS}/sanity.json",
    params:
        attributes=ATTRIBUTES,
        world=config["world"],
    resources:
        **res("light"),
    log:
        "logs/evaluate/sanity.log",
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/sanity.py"


rule curve_numbers:
    input:
        curve_inputs,
    output:
        "figures/{fig}.csv",
    wildcard_constraints:
        fig="|".join(CURVE_FIGURES),
    params:
        single=SINGLE_CFG,
    resources:
        **res("light"),
    log:
        "logs/evaluate/numbers_{fig}.log",
    benchmark:
        "benchmarks/evaluate/numbers_{fig}.tsv"
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/curve_numbers.py"


rule table1:
    input:
        scores=sorted({score_path(s) for s in single_specs()}),
        generations=sorted({gen_path(s) for s in single_specs()}),
        perplexity=sorted({ppl_path(s) for s in single_specs()}),
    output:
        csv="tables/table1.csv",
        md="tables/table1.md",
        tex="tables/table1.tex",
    params:
        single=SINGLE_CFG,
    resources:
        **res("light"),
    log:
        "logs/evaluate/table1.log",
    benchmark:
        "benchmarks/evaluate/table1.tsv"
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/table1.py"


rule single_attribute_checks:
    input:
        sorted({score_path(s) for s in single_specs()}),
    output:
        f"{RESULTS}/single_attribute_checks.json",
    params:
        single=SINGLE_CFG,
    resources:
        **res("light"),
    log:
        "logs/evaluate/single_attribute_checks.log",
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/single_attribute_checks.py"
