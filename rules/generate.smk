# Generation, scoring and perplexity. One job per sweep: a sweep loads the base model and its adapter bank
# once and serves many specs (batched, one set of rows per spec), but writes one file per spec. Sweeps are
# fixed by the config (lminterp.registry: a model belongs to the first claimant that needs it), never by the
# target asked for, so every spec has exactly one owner and figures share its file.
# params carry what changes a sweep's outputs and nothing else: its specs and adapters, the sampling settings
# (with the sampling seed; not the batch size), the system prompts of the attributes its model-arithmetic specs
# condition on, DExperts' base nucleus if it has DExperts specs, and its code hash.
# generation.sweep_by: model (the paper config, for a GPU cluster) instead gives every model its own generation,
# scoring and perplexity jobs (wildcard rules at the end): growing a grid then adds jobs and changes none.

PER_MODEL = config["generation"]["sweep_by"] == "model"

for _sweep, _specs in ({} if PER_MODEL else SWEEPS).items():

    rule:
        name:
            f"generate_{_sweep.replace('-', '_')}"
        input:
            **model_files(_specs),
            prompts=PROMPTS,
            **sweep_adapters(_specs),
            **sweep_scaling(_specs),
        output:
            [gen_path(s) for s in _specs],
        params:
            **model_params(_specs),
            specs=[s.name for s in _specs],
            adapters=sweep_adapters(_specs),
            recipe=recipe_settings(_specs, for_generation=True),
            sampling=SAMPLING,
            code=code("generate.py"),
        threads: config["threads_per_job"]
        priority: sweep_priority(_sweep)
        resources:
            **res("generate"),
        log:
            f"logs/generate/{_sweep}.log",
        benchmark:
            f"benchmarks/generate/{_sweep}.tsv"
        conda:
            "../envs/torch.yaml"
        script:
            "../scripts/generate.py"

    rule:
        name:
            f"score_{_sweep.replace('-', '_')}"
        input:
            generations=[gen_path(s) for s in _specs],
            classifiers=[classifier_dir(a) for a in ATTRIBUTES],
        output:
            [score_path(s) for s in _specs],
        params:
            attributes=ATTRIBUTES,
            oracle_attributes=TINY_ATTRIBUTES,
            oracle=ORACLE,
            code=code("score.py", *ORACLE_CODE),
        threads: config["threads_per_job"]
        priority: sweep_priority(_sweep)
        resources:
            **res("score"),
        log:
            f"logs/score/{_sweep}.log",
        benchmark:
            f"benchmarks/score/{_sweep}.tsv"
        conda:
            "../envs/torch.yaml"
        script:
            "../scripts/score.py"


# Perplexity on the perplexity corpus, for the models whose perplexity a target reads.
for _sweep, _specs in ({} if PER_MODEL else PPL_SWEEPS).items():

    rule:
        name:
            f"perplexity_{_sweep.replace('-', '_')}"
        input:
            **model_files(_specs),
            corpus=PERPLEXITY_CORPUS,
            **sweep_adapters(_specs),
            **sweep_scaling(_specs),
        output:
            [ppl_path(s) for s in _specs],
        params:
            **model_params(_specs),
            specs=[s.name for s in _specs],
            adapters=sweep_adapters(_specs),
            recipe=recipe_settings(_specs, for_generation=False),
            perplexity=config["perplexity"],
            code=code("perplexity.py"),
        threads: config["threads_per_job"]
        priority: sweep_priority(_sweep)
        resources:
            **res("generate"),
        log:
            f"logs/perplexity/{_sweep}.log",
        benchmark:
            f"benchmarks/perplexity/{_sweep}.tsv"
        conda:
            "../envs/torch.yaml"
        script:
            "../scripts/perplexity.py"


if PER_MODEL:

    rule generate_model:
        input:
            unpack(lambda w: {**model_files(wildcard_specs(w)), "prompts": PROMPTS, **sweep_adapters(wildcard_specs(w)),
                              **sweep_scaling(wildcard_specs(w))}),
        output:
            f"{RESULTS}/generations/{{spec}}.jsonl",
        params:
            **{**BASE_PARAMS, "base": lambda w, input: input.get("base", serving_model(wildcard_specs(w))[0])},
            specs=lambda w: [w.spec],
            adapters=lambda w: sweep_adapters(wildcard_specs(w)),
            recipe=lambda w: recipe_settings(wildcard_specs(w), for_generation=True),
            sampling=SAMPLING,
            code=code("generate.py"),
        threads: config["threads_per_job"]
        resources:
            **res("generate"),
        log:
            "logs/generate/{spec}.log",
        benchmark:
            "benchmarks/generate/{spec}.tsv"
        conda:
            "../envs/torch.yaml"
        script:
            "../scripts/generate.py"

    rule score_model:
        input:
            generations=[f"{RESULTS}/generations/{{spec}}.jsonl"],   # a list: score.py reads a sweep's sets
            classifiers=[classifier_dir(a) for a in ATTRIBUTES],
        output:
            f"{RESULTS}/scores/{{spec}}.csv",
        params:
            attributes=ATTRIBUTES,
            oracle_attributes=TINY_ATTRIBUTES,
            oracle=ORACLE,
            code=code("score.py", *ORACLE_CODE),
        threads: config["threads_per_job"]
        resources:
            **res("score"),
        log:
            "logs/score/{spec}.log",
        benchmark:
            "benchmarks/score/{spec}.tsv"
        conda:
            "../envs/torch.yaml"
        script:
            "../scripts/score.py"

    rule perplexity_model:
        input:
            unpack(lambda w: {**model_files(wildcard_specs(w)), "corpus": PERPLEXITY_CORPUS,
                              **sweep_adapters(wildcard_specs(w)),
                              **sweep_scaling(wildcard_specs(w))}),
        output:
            f"{RESULTS}/perplexity/{{spec}}.json",
        params:
            **{**BASE_PARAMS, "base": lambda w, input: input.get("base", serving_model(wildcard_specs(w))[0])},
            specs=lambda w: [w.spec],
            adapters=lambda w: sweep_adapters(wildcard_specs(w)),
            recipe=lambda w: recipe_settings(wildcard_specs(w), for_generation=False),
            perplexity=config["perplexity"],
            code=code("perplexity.py"),
        threads: config["threads_per_job"]
        resources:
            **res("generate"),
        log:
            "logs/perplexity/{spec}.log",
        benchmark:
            "benchmarks/perplexity/{spec}.tsv"
        conda:
            "../envs/torch.yaml"
        script:
            "../scripts/perplexity.py"
