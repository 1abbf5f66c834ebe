import copy
from pathlib import Path

import pytest
import yaml

from lminterp.config import ConfigError, load_config, validate_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def default_raw():
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def test_default_config_is_valid(default_raw):
    cfg = load_config(ROOT / "config.yaml")
    assert list(cfg["attributes"]) == ["sentiment", "politeness", "formality", "simplicity", "humor"]
    assert cfg["lora"]["r"] >= 1


def test_defaults_are_filled():
    cfg = validate_config({"attributes": {"humor": {"class_names": ["serious", "funny"],
                                                    "system_prompts": {"0": "x", "1": "y"}}}})
    assert cfg["generation"]["sweep_by"] == "family"
    assert cfg["entanglement"]["alphas"][0] == 0.0
    assert cfg["resources"]["generate"]["mem_mb"] > 0


def _broken(raw, path, value):
    cfg = copy.deepcopy(raw)
    node = cfg
    for k in path[:-1]:
        node = node[k]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return cfg


@pytest.mark.parametrize("path,value,needle", [
    (["lora", "r"], 0, "lora.r"),
    (["lora", "dropout"], 1.5, "lora.dropout"),
    (["lora", "rank"], 8, "allowed keys"),
    (["world"], "moon", "allowed: tiny, local, hub"),
    (["generation", "sweep_by"], "everything", "generation.sweep_by"),
    (["entanglement", "alphas"], [0.25, 0.5, 1.0], "entanglement.alphas"),
    (["entanglement", "alphas"], [0.0, 1.0, 0.5], "entanglement.alphas"),
    (["baselines", "raw_strengths"], [1.0, -1.0, 0.0], "baselines.raw_strengths"),
    (["tiny_world", "correlations"], [{"attributes": ["politeness", "tone"], "agreement": 0.7}], "tiny_world.correlations.0"),
    (["tiny_world", "correlations"], [{"attributes": ["politeness", "formality"], "agreement": 1.7}], "agreement"),
    (["attributes", "sentiment", "system_prompts"], {"1": "only one pole"}, "system_prompts"),
    (["base_model", "architecture", "num_attention_heads"], 5, "hidden_size"),
    (["resources", "generate", "gpu"], -1, "resources.generate.gpu"),
])
def test_config_errors_name_the_key(default_raw, path, value, needle):
    with pytest.raises(ConfigError) as err:
        validate_config(_broken(default_raw, path, value))
    assert needle in str(err.value)


def test_unknown_tiny_world_attribute(default_raw):
    cfg = copy.deepcopy(default_raw)
    cfg["attributes"]["toxicity"] = {"class_names": ["clean", "toxic"], "system_prompts": {"0": "a", "1": "b"}}
    with pytest.raises(ConfigError, match="attributes.toxicity"):
        validate_config(cfg)


def test_yaml_exponent_without_point_gets_a_hint(default_raw):
    # PyYAML reads `learning_rate: 5e-5` as the string "5e-5"; the error says how to write it
    raw = copy.deepcopy(default_raw)
    raw["lora"]["learning_rate"] = yaml.safe_load("learning_rate: 5e-5")["learning_rate"]
    assert raw["lora"]["learning_rate"] == "5e-5"
    with pytest.raises(ConfigError, match=r"lora\.learning_rate.*e\.g\. 5\.0e-5"):
        validate_config(raw)
    # every suggestion is read back as the number meant; integers get no float suggestion
    for text, value in (("5e-5", 5e-5), ("5e5", 5e5), ("1.5e5", 1.5e5), ("2E+3", 2e3)):
        raw["lora"]["learning_rate"] = yaml.safe_load(f"x: {text}")["x"]
        assert raw["lora"]["learning_rate"] == text
        with pytest.raises(ConfigError) as err:
            validate_config(raw)
        suggestion = str(err.value).split("e.g. ")[1].split()[0]
        assert yaml.safe_load(f"x: {suggestion}")["x"] == pytest.approx(value)
    raw = copy.deepcopy(default_raw)
    raw["lora"]["r"] = yaml.safe_load("x: 1e1")["x"]
    with pytest.raises(ConfigError, match=r"lora\.r.*write the integer out in full"):
        validate_config(raw)


def test_an_attribute_set_to_null_is_left_out_with_its_sources(default_raw):
    """An overlay leaves an attribute out (configs/mini.yaml: politeness: null), with its sources and settings."""
    raw = copy.deepcopy(default_raw)
    raw["world"] = "local"
    raw["attributes"]["politeness"] = None
    raw["sources"] = {"attributes": {"politeness": None,
                                     "sentiment": {c: [{"local": "config.yaml", "format": "txt"}] for c in "01"}}}
    raw["lora"] = {"attributes": {"politeness": {"steps": 3}}}
    cfg = validate_config(raw)
    assert list(cfg["attributes"]) == ["sentiment", "formality", "simplicity", "humor"]
    assert list(cfg["sources"]["attributes"]) == ["sentiment"] and cfg["lora"]["attributes"] == {}
    assert cfg["tiny_world"]["correlations"] == []                  # the default's politeness-formality tie
    raw["attributes"] = {a: None for a in raw["attributes"]}
    with pytest.raises(ConfigError, match="keep at least one"):
        validate_config(raw)


def test_the_mini_world_names_real_text_the_workflow_builds(default_raw):
    """configs/mini.yaml's local sources are files of the rule real_text: not refused before they exist; a local
    file that no rule builds still is."""
    def merge(base, over):                          # as Snakemake merges an overlay: key by key, recursively
        for k, v in over.items():
            base[k] = merge(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
        return base

    raw = merge(copy.deepcopy(default_raw), yaml.safe_load((ROOT / "configs/mini.yaml").read_text()))
    raw["results_dir"] = "results-nowhere"
    raw["sources"]["prompts"] = {"local": "results-nowhere/data/real/prompts.txt"}
    for a in ("sentiment", "formality", "simplicity", "humor"):
        raw["sources"]["attributes"][a] = {c: [{"local": f"results-nowhere/data/real/{a}-{c}.txt"}] for c in "01"}
    raw["sources"]["perplexity"] = {"local": "results-nowhere/data/real/perplexity.txt"}
    cfg = validate_config(raw)
    assert cfg["real_text"] is True and "politeness" not in cfg["attributes"]
    raw["sources"]["perplexity"] = {"local": "results-nowhere/data/real/wikitext.txt"}
    with pytest.raises(ConfigError, match="sources.perplexity.local"):
        validate_config(raw)
    raw["sources"]["perplexity"] = {"local": "results-nowhere/data/real/perplexity.txt"}
    raw["real_text"] = False
    with pytest.raises(ConfigError, match="no such file"):
        validate_config(raw)
