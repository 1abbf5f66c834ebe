# Data splits: per attribute and class an LM split (anchors, GT mixtures) and a disjoint classifier
# split (train/validation/test), plus the evaluation prompts and the perplexity corpus.


rule tiny_world_data:
    output:
        pretrain=f"{RESULTS}/data/pretrain.jsonl",
        lm=expand(f"{RESULTS}/data/lm/{{attribute}}/{{pole}}.jsonl", attribute=ATTRIBUTES, pole=POLES),
        classifier=expand(
            f"{RESULTS}/data/classifier/{{attribute}}/{{split}}.jsonl", attribute=ATTRIBUTES, split=SPLITS
        ),
        prompts=PROMPTS,
        perplexity=f"{RESULTS}/data/perplexity.txt",
        summary=f"{RESULTS}/data/summary.json",
    params:
        seed=config["seed"],
        attributes=config["attributes"],
        world=config["tiny_world"],
        data=config["data"],
        out_dir=lambda w, output: os.path.dirname(output.prompts),
    resources:
        **res("light"),
    log:
        "logs/data/tiny_world.log",
    benchmark:
        "benchmarks/data/tiny_world.tsv"
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/tiny_world_data.py"
