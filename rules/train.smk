# Anchor adapters (attribute x pole, both poles of an attribute in one job: one base-model load)
# and the attribute classifiers.


rule train_anchors:
    input:
        base=BASE_MODEL,
        tokenizer=TOKENIZER,
        pole0=f"{RESULTS}/data/lm/{{attribute}}/0.jsonl",
        pole1=f"{RESULTS}/data/lm/{{attribute}}/1.jsonl",
    output:
        pole0=directory(f"{RESULTS}/adapters/anchor/{{attribute}}-0"),
        pole1=directory(f"{RESULTS}/adapters/anchor/{{attribute}}-1"),
    priority: PRIORITY["anchors"]
    params:
        lora=config["lora"],
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
            base=BASE_MODEL,
            pole0=f"{RESULTS}/data/lm/{{attribute}}/0.jsonl",
            pole1=f"{RESULTS}/data/lm/{{attribute}}/1.jsonl",
        output:
            [directory(gt_dir("{attribute}", x)) for x in GT_ALPHAS],
        priority: PRIORITY["gt"]
        params:
            alphas=GT_ALPHAS,
            lora=config["lora"],
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
        tokenizer=TOKENIZER,
        train=f"{RESULTS}/data/classifier/{{attribute}}/train.jsonl",
        validation=f"{RESULTS}/data/classifier/{{attribute}}/validation.jsonl",
        test=f"{RESULTS}/data/classifier/{{attribute}}/test.jsonl",
    output:
        directory(f"{RESULTS}/classifiers/{{attribute}}"),
    priority: PRIORITY["classifier"]
    params:
        classifier=config["classifier"],
        seed=config["seed"],
        world=config["world"],
        code=code("train_classifier.py"),
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
