# The base LM. In the tiny world: a BPE tokenizer and a small Llama pretrained on the mixed corpus.


rule tokenizer:
    input:
        f"{RESULTS}/data/pretrain.jsonl",
    output:
        directory(TOKENIZER),
    priority: PRIORITY["base"]
    params:
        tokenizer=config["tokenizer"],
        code=code("train_tokenizer.py"),
    resources:
        **res("light"),
    log:
        "logs/base/tokenizer.log",
    benchmark:
        "benchmarks/base/tokenizer.tsv"
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/train_tokenizer.py"


rule pretrain_base:
    input:
        corpus=f"{RESULTS}/data/pretrain.jsonl",
        tokenizer=TOKENIZER,
        heldout=f"{RESULTS}/data/perplexity.txt",
    output:
        directory(BASE_MODEL),
    priority: PRIORITY["base"]
    params:
        base_model=config["base_model"],
        seed=config["seed"],
        code=code("pretrain_base.py"),
    threads: config["threads_per_job"]
    resources:
        **res("train"),
    log:
        "logs/base/pretrain.log",
    benchmark:
        "benchmarks/base/pretrain.tsv"
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/pretrain_base.py"
