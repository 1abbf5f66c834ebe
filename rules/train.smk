# Anchor adapters (attribute x pole, both poles of an attribute in one job: one base-model load)
# and the attribute classifiers.


rule train_anchors:
    input:
        **BASE_FILES,
        pole0=f"{RESULTS}/data/lm/{{attribute}}/0.jsonl",
        pole1=f"{RESULTS}/data/lm/{{attribute}}/1.jsonl",
    output:
        pole0=directory(f"{RESULTS}/adapters/anchor/{{attribute}}-0"),
        pole1=directory(f"{RESULTS}/adapters/anchor/{{attribute}}-1"),
    priority: PRIORITY["anchors"]
    params:
        **BASE_PARAMS,
        lora=lambda w: lora_settings(config["lora"], w.attribute),
        seed=config["seed"],
        code=code("train_anchors.py"),
    threads: config["threads_per_job"]
    resources:
        **res("train"),
    log:
        "logs/train/anchors_{attribute}.log",
    benchmark:
        "benchmarks/train/anchors_{attribute}.tsv"
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/train_anchors.py"


if GT_ALPHAS:

    rule train_gt_mixtures:
        input:
            **BASE_FILES,
            pole0=f"{RESULTS}/data/lm/{{attribute}}/0.jsonl",
            pole1=f"{RESULTS}/data/lm/{{attribute}}/1.jsonl",
        output:
            [directory(gt_dir("{attribute}", x)) for x in GT_ALPHAS],
        priority: PRIORITY["gt"]
        params:
            **BASE_PARAMS,
            alphas=GT_ALPHAS,
            lora=lambda w: lora_settings(config["lora"], w.attribute),
            seed=config["seed"],
            code=code("train_gt.py"),
        threads: config["threads_per_job"]
        resources:
            **res("train"),
        log:
            "logs/train/gt_{attribute}.log",
        benchmark:
            "benchmarks/train/gt_{attribute}.tsv"
        conda:
            "../envs/torch.yaml"
        script:
            "../scripts/train_gt.py"


rule train_classifier:
    input:
        # from scratch: on the base model's tokenizer; fine-tuned: the encoder's own (a local one is a file input)
        **({"tokenizer": TOKENIZER} if ENCODER is None and BASE_KIND != "hub" else {}),
        **({"encoder": ENCODER} if ENCODER_KIND in ("local", "gguf") else {}),
        **({"base": BASE_MODEL} if EMBEDDINGS_FROM_BASE and BASE_KIND != "hub" else {}),
        train=f"{RESULTS}/data/classifier/{{attribute}}/train.jsonl",
        validation=f"{RESULTS}/data/classifier/{{attribute}}/validation.jsonl",
        test=f"{RESULTS}/data/classifier/{{attribute}}/test.jsonl",
    output:
        directory(f"{RESULTS}/classifiers/{{attribute}}"),
    priority: PRIORITY["classifier"]
    params:
        classifier=config["classifier"],
        encoder=ENCODER,
        **({"embeddings": lambda w, input: input.get("base", BASE_MODEL)} if EMBEDDINGS_FROM_BASE else {}),
        tokenizer=lambda w, input: input.get("tokenizer", TOKENIZER) if ENCODER is None else None,
        seed=config["seed"],
        oracle=lambda w: ORACLE if w.attribute in TINY_ATTRIBUTES else None,
        code=code("train_classifier.py", *ORACLE_CODE),
    threads: config["threads_per_job"]
    resources:
        **res("train"),
    log:
        "logs/train/classifier_{attribute}.log",
    benchmark:
        "benchmarks/train/classifier_{attribute}.tsv"
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/train_classifier.py"
