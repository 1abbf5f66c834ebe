# Generation, scoring and perplexity. One job per sweep: a sweep loads the base model and its adapter bank
# once and serves many specs (batched, one set of rows per spec), but writes one file per spec. Sweeps are
# fixed by the config (lminterp.registry: a model belongs to the first claimant that needs it), never by the
# target asked for, so every spec has exactly one owner and figures share its file.
# params carry what changes a sweep's outputs and nothing else: its specs and adapters, the sampling settings
# (with the sampling seed; not the batch size), the system prompts of the attributes its model-arithmetic specs
# condition on, DExperts' base nucleus if it has DExperts specs, and its code hash.


for _sweep, _specs in SWEEPS.items():

    rule:
        name:
            f"generate_{_sweep.replace('-', '_')}"
        input:
            base=BASE_MODEL,
            tokenizer=TOKENIZER,
            prompts=PROMPTS,
            **sweep_adapters(_specs),
            **sweep_scaling(_specs),
        output:
            [gen_path(s) for s in _specs],
        params:
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
            world=config["world"],
            code=code("score.py"),
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
for _sweep, _specs in PPL_SWEEPS.items():

    rule:
        name:
            f"perplexity_{_sweep.replace('-', '_')}"
        input:
            base=BASE_MODEL,
            corpus=PERPLEXITY_CORPUS,
            **sweep_adapters(_specs),
            **sweep_scaling(_specs),
        output:
            [ppl_path(s) for s in _specs],
        params:
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
