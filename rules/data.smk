# Data splits: per attribute and class an LM split (anchors, GT mixtures) and a disjoint classifier
# split (train/validation/test), the perplexity corpus, and the evaluation prompts.


rule tiny_world_data:
    output:
        pretrain=f"{RESULTS}/data/pretrain.jsonl",
        lm=expand(f"{RESULTS}/data/lm/{{attribute}}/{{pole}}.jsonl", attribute=ATTRIBUTES, pole=POLES),
        classifier=expand(
            f"{RESULTS}/data/classifier/{{attribute}}/{{split}}.jsonl", attribute=ATTRIBUTES, split=SPLITS
        ),
        perplexity=f"{RESULTS}/data/perplexity.txt",
        summary=f"{RESULTS}/data/summary.json",
        manifest=f"{RESULTS}/data/manifests/tiny_world.json",   # line counts and sha256: readers verify them
    params:
        seed=config["seed"],
        attributes=config["attributes"],
        world=config["tiny_world"],
        instruction=lambda w: config["prompted"]["instruction"],   # (a lambda: its {fields} are not wildcards)
        data={k: v for k, v in config["data"].items() if k != "prompts"},
        out_dir=lambda w, output: os.path.dirname(output.summary),
        code=code("tiny_world_data.py"),
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


# The evaluation prompts: a job of their own (their own random stream), so that the prompt count reruns only
# what generates from them.
rule tiny_world_prompts:
    output:
        prompts=PROMPTS,
        manifest=f"{RESULTS}/data/manifests/prompts.json",
    params:
        seed=config["seed"],
        prompts=config["data"]["prompts"],
        code=code("tiny_world_prompts.py"),
    resources:
        **res("light"),
    log:
        "logs/data/tiny_world_prompts.log",
    conda:
        "../envs/plot.yaml"
    script:
        "../scripts/tiny_world_prompts.py"
