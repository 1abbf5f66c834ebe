"""Configuration: JSON-schema validation with defaults, plus the checks a schema cannot express.

Every error names the offending key, what was given and what is allowed, so a wrong value fails
before any job starts."""
from __future__ import annotations

import copy
import re
import json
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


def _check_semantics(cfg: dict) -> None:
    attributes = list(cfg["attributes"])
    if cfg["world"] == "tiny":
        from lminterp.world import ATTRIBUTES as WORLD_ATTRIBUTES

        for a in attributes:
            if a not in WORLD_ATTRIBUTES:
                _fail(f"attributes.{a}", f"the tiny world realises only {', '.join(WORLD_ATTRIBUTES)}; "
                      "remove it or use world: hub with a dataset for it")
        for k, corr in enumerate(cfg["tiny_world"]["correlations"]):
            a, b = corr["attributes"]
            for x in (a, b):
                if x not in attributes:
                    _fail(f"tiny_world.correlations.{k}.attributes", f"unknown attribute {x!r} (known: {', '.join(attributes)})")
            if a == b:
                _fail(f"tiny_world.correlations.{k}.attributes", "the two attributes must differ")
        arch = cfg["base_model"]["architecture"]
        if arch["hidden_size"] % arch["num_attention_heads"]:
            _fail("base_model.architecture.hidden_size", "must be divisible by num_attention_heads")
        if cfg["base_model"]["pretrain"]["max_length"] > arch.get("max_position_embeddings", 10**9):
            _fail("base_model.pretrain.max_length", "must not exceed base_model.architecture.max_position_embeddings")
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


def attribute_names(cfg: dict) -> list[str]:
    return list(cfg["attributes"])
