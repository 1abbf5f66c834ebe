# Dial a style (README "Dial a style"): requests/<name>.yaml asks for attribute scores; the surfaces fitted on the
# measured interpolation models give the alphas and lambdas (checkpoint dial_solve), the chosen model is generated
# and scored like any other, and results/dial/<name>.json holds target, predicted and achieved scores.
# The chosen model is a canonical spec: if a sweep owns it its files are reused; otherwise generate_dial and
# score_dial make it under results/dial/ (one job each, so a new request never reruns a sweep).

checkpoint dial_solve:
    wildcard_constraints:
        request=REQUEST_NAME,
    input:
        request="requests/{request}.yaml",
        scores=[score_path(s) for s in DIAL_FIT_SPECS],
    output:
        f"{RESULTS}/dial/{{request}}.solution.json",
    params:
        specs=[s.name for s in DIAL_FIT_SPECS],
        cfg={k: config[k] for k in ("world", "attributes", "single_attribute", "statistics", "dial")},
        code=code("dial_solve.py"),
    resources:
        **res("light"),
    log:
        "logs/dial/{request}_solve.log",
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/dial_solve.py"


rule generate_dial:
    input:
        unpack(lambda w: {**BASE_FILES, "prompts": PROMPTS, **sweep_adapters(wildcard_specs(w))}),
    output:
        f"{RESULTS}/dial/generations/{{spec}}.jsonl",
    params:
        **BASE_PARAMS,
        specs=lambda w: [w.spec],
        adapters=lambda w: sweep_adapters(wildcard_specs(w)),
        recipe=lambda w: recipe_settings(wildcard_specs(w), for_generation=True),
        sampling=SAMPLING,
        code=code("generate.py"),
    threads: config["threads_per_job"]
    resources:
        **res("generate"),
    log:
        "logs/dial/generate_{spec}.log",
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/generate.py"


rule score_dial:
    input:
        generations=[f"{RESULTS}/dial/generations/{{spec}}.jsonl"],   # a list: score.py reads a sweep's sets
        classifiers=[classifier_dir(a) for a in ATTRIBUTES],
    output:
        f"{RESULTS}/dial/scores/{{spec}}.csv",
    params:
        attributes=ATTRIBUTES,
        oracle_attributes=TINY_ATTRIBUTES,
        oracle=ORACLE,
        code=code("score.py", *ORACLE_CODE),
    threads: config["threads_per_job"]
    resources:
        **res("score"),
    log:
        "logs/dial/score_{spec}.log",
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/score.py"


rule dial:
    wildcard_constraints:
        request=REQUEST_NAME,
    input:
        solution=f"{RESULTS}/dial/{{request}}.solution.json",
        scores=dial_scores,
    output:
        f"{RESULTS}/dial/{{request}}.json",
    params:
        cfg={k: config[k] for k in ("statistics",)},
        code=code("dial_answer.py"),
    resources:
        **res("light"),
    log:
        "logs/dial/{request}.log",
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/dial_answer.py"


rule dial_figure:
    input:
        expand(f"{RESULTS}/dial/{{request}}.json", request=config["dial"]["requests"]),
    output:
        csv="figures/dial.csv",
        pdf="figures/dial.pdf",
        png="figures/dial.png",
    params:
        cfg={k: config[k] for k in ("attributes", "dial")},
        code=code("dial_figure.py"),
    resources:
        **res("light"),
    log:
        "logs/dial/figure.log",
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/dial_figure.py"
