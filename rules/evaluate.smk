# Evaluation beside the figures: the baselines' alpha scaling (read by their scaled sweeps) and the checks.

# Light jobs (pandas, matplotlib): on a cluster they run on the submitting node, not as SLURM jobs
localrules:
    alpha_scaling,
    sanity,
    single_attribute_checks,
    checks,
    claims,


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
        code=code("alpha_scaling.py"),
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


rule sanity:
    input:
        classifiers=[classifier_dir(a) for a in ATTRIBUTES],
        anchors=[score_path(s) for s in S.anchor_specs(ATTRIBUTES)],
    output:
        f"{RESULTS}/sanity.json",
    params:
        attributes=ATTRIBUTES,
        code=code("sanity.py"),
    resources:
        **res("light"),
    log:
        "logs/evaluate/sanity.log",
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/sanity.py"


rule single_attribute_checks:
    input:
        sorted({score_path(s) for m in ("gt", "interp") for ss in S.single_attribute_specs(config)[m].values()
                for s in ss}),
    output:
        f"{RESULTS}/single_attribute_checks.json",
    params:
        cfg={"attributes": ATTRIBUTES, "single_attribute": {"alphas": config["single_attribute"]["alphas"]},
             "statistics": config["statistics"]},
        code=code("single_attribute_checks.py"),
    resources:
        **res("light"),
    log:
        "logs/evaluate/single_attribute_checks.log",
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/single_attribute_checks.py"


# The checks declared beside the figures and tables (registry: Target.check), one file: the numbers the claim
# table reads (claims 1, 4, 5, 6, 7), each with its interval.
rule checks:
    input:
        unpack(check_inputs),
    output:
        f"{RESULTS}/checks.json",
    params:
        checks=[(t.name, t.check, dict(t.options)) for t in R.checked(config)],
        cfg=R.checks_config(config),
        code=code("figure_checks.py", *(t.check for t in R.checked(config))),
    resources:
        **res("light"),
    log:
        "logs/evaluate/checks.log",
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/figure_checks.py"


# Table 4's measurements: each method alone on the generation code path, N = 1 and 2 attributes (counted forward
# rows per generated token, tokens/s). Timings vary between runs; nothing else reads them.
_COST = {spec: key for key, spec in IC.cost_specs(ATTRIBUTES).items()}


rule inference_cost:
    input:
        **BASE_FILES,
        prompts=PROMPTS,
        **sweep_adapters(list(_COST)),
    output:
        f"{RESULTS}/inference_cost.json",
    params:
        **BASE_PARAMS,
        specs=[(s.name, IC.TABLE_METHOD[m], n) for s, (m, n) in _COST.items()],
        adapters=sweep_adapters(list(_COST)),
        system_prompts=recipe_settings(list(_COST), for_generation=True).get("system_prompts"),
        dexperts_top_p=config["baselines"]["dexperts"]["base_top_p"],
        sampling=SAMPLING,
        timing=config["inference_cost"],
        code=code("inference_cost.py"),
    threads: config["threads_per_job"]
    resources:
        **res("generate"),
    log:
        "logs/evaluate/inference_cost.log",
    benchmark:
        "benchmarks/evaluate/inference_cost.tsv"
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/inference_cost.py"


# The paper's eight claims on this build: verdicts with the numbers (and intervals) that decide them.
rule claims:
    input:
        unpack(claim_inputs),
    output:
        f"{RESULTS}/claims.csv",
    params:
        cfg={k: config[k] for k in ("claims", "single_attribute")},
        code=code("claims.py"),
    resources:
        **res("light"),
    log:
        "logs/evaluate/claims.log",
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/claims.py"
