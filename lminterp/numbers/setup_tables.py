"""The paper's Tables 2 to 6, from what the run produced (pandas, no torch).

- table2: the LoRA hyperparameters, as configured *and* as saved with the anchors (their peft
  ``adapter_config.json`` and ``training_metrics.json``), so a mismatch between the two shows;
- table3: the split sizes per attribute and class, counted from the split files the run wrote (LM fine-tuning
  data, classifier train / validation / test);
- table4: the inference cost per method (the measurements of `lminterp.mixing.inference_cost`);
- table5: the system prompts that condition model arithmetic, from the config;
- table6: one prompt's generations, weight interpolation beside the prompted model.
"""
from __future__ import annotations

import json

import pandas as pd

from lminterp.labels import GROUPS_ATTR, attribute_label, table_label

POLES = (0, 1)
CLASSIFIER_SPLITS = ("train", "validation", "test")


# ------------------------------------------------------------------------------------------------ table2
def _saved(files, attributes) -> list[dict]:
    """Per anchor: its peft adapter config merged with its training metrics (the metrics' keys win)."""
    out = []
    for a in attributes:
        for pole in POLES:
            d = files.adapter(a, pole)
            record = json.loads((d / "adapter_config.json").read_text())
            metrics = d / "training_metrics.json"
            if metrics.exists():
                record.update(json.loads(metrics.read_text()))
            out.append(record)
    return out


def _show(value) -> str:
    if value is None:
        return "not saved"
    if isinstance(value, (list, tuple)):
        return ", ".join(sorted(map(str, value)))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def hyperparameter_table(files, cfg: dict) -> pd.DataFrame:
    """table2: one row per hyperparameter; columns: the configured value, the value saved with the anchors (all
    anchors agreeing; otherwise every distinct value) and whether they match ("-" where the anchors did not save
    it: adapters trained before the training metrics recorded it)."""
    lora = cfg["lora"]
    saved = _saved(files, cfg["attributes"])
    steps = f"{lora['steps']} steps" if lora.get("steps") else f"{lora.get('epochs')} epochs"
    rows = [  # (label, configured, saved key(s) -> shown value)
        ("Batch size", lora["batch_size"], lambda s: s.get("batch_size")),
        ("Learning rate", lora["learning_rate"], lambda s: s.get("learning_rate")),
        ("LoRA r", lora["r"], lambda s: s.get("r")),
        ("LoRA alpha", lora["alpha"], lambda s: s.get("lora_alpha")),
        ("LoRA dropout", lora["dropout"], lambda s: s.get("lora_dropout", s.get("dropout"))),
        ("Target modules", lora["target_modules"], lambda s: s.get("target_modules")),
        ("Max sequence length", lora["max_length"], lambda s: s.get("max_length")),
        ("Training length", steps, lambda s: f"{s['steps']} steps" if "steps" in s else None),
        ("Quantization", lora.get("quantization") or "none", lambda s: s.get("quantization")),
    ]
    out = []
    for label, configured, get in rows:
        values = list(dict.fromkeys(_show(get(s)) for s in saved))
        shown = values[0] if len(values) == 1 else " / ".join(values) + " (anchors differ)"
        out.append({"Hyperparameter": label, "Configured": _show(configured), "Saved with the anchors": shown,
                    "Match": "-" if shown == "not saved" else "yes" if shown == _show(configured) else "NO"})
    return pd.DataFrame(out).set_index("Hyperparameter")


# ------------------------------------------------------------------------------------------------ table3
def _records(path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def split_size_table(files, cfg: dict) -> pd.DataFrame:
    """table3: per attribute, the number of texts per class in the LM fine-tuning data (one file per class) and in
    each classifier split (by label), counted from the files."""
    rows = []
    for a in cfg["attributes"]:
        row = {"Attribute": attribute_label(a)}
        for p in POLES:
            row[f"LM class {p}"] = len(_records(files.file(f"data/lm/{a}/{p}.jsonl")))
        for s in CLASSIFIER_SPLITS:
            labels = pd.Series([int(r["label"]) for r in _records(files.file(f"data/classifier/{a}/{s}.jsonl"))], dtype=int)
            for p in POLES:
                row[f"Classifier {s} class {p}"] = int((labels == p).sum())
        rows.append(row)
    table = pd.DataFrame(rows).set_index("Attribute")
    table.attrs[GROUPS_ATTR] = [("LM fine-tuning", 2)] + [(f"Classifier {s}", 2) for s in CLASSIFIER_SPLITS]
    return table


# ------------------------------------------------------------------------------------------------ table5
def system_prompt_table(files, cfg: dict) -> pd.DataFrame:
    """table5: the system prompt of each conditioned model (attribute and class)."""
    rows = []
    for a, spec in cfg["attributes"].items():
        names = spec.get("class_names", ["0", "1"])
        for pole in (1, 0):
            rows.append({"Conditioned model": f"{a}_{'pos' if pole else 'neg'} ({names[pole]})",
                         "System prompt": spec["system_prompts"][str(pole)]})
    return pd.DataFrame(rows).set_index("Conditioned model")


# ------------------------------------------------------------------------------------------------ table4
_ANCHOR_KIND = {"interp": "fine-tuned", "dexperts": "fine-tuned", "arith": "prompt-conditioned",
                "merged": "fine-tuned, merged into the weights"}
INTERP_GOAL = 0.8   # interpolation's speed, at least: 0.8 x the merged model's, 0.8 x (2N + 1) x the others'


def inference_cost_table(files, cfg: dict) -> pd.DataFrame:
    """table4: per method and number of attributes N, the anchors it loads, the forward rows per generated token
    counted on the model's forward (the paper's count beside it: 1 for weight interpolation, 2N + 1 for the
    others) and the tokens per second measured in the same run, relative to weight interpolation's. Where the base
    can be merged, the same interpolated model merged into the weights (one plain forward) is the limit: the
    speed-up of interpolation over it is at most about 1. Goal: the speed-up at least INTERP_GOAL x the ratio of
    rows (0.8 x (2N + 1) over DExperts and model arithmetic, 0.8 over the merged model)."""
    records = json.loads(files.file("inference_cost.json").read_text())["models"]
    speed = {r["n_attributes"]: r["tokens_per_s"] for r in records if r["method"] == "interp"}
    rows = []
    for r in records:
        n, method = r["n_attributes"], r["method"]
        paper = 1 if method in ("interp", "merged") else 2 * n + 1
        label = ("Weight interpolation, adapters merged (the limit)" if method == "merged"
                 else table_label(method))
        rows.append({"Method": f"{label}, N = {n}", "Anchor models": _ANCHOR_KIND[method],
                     "Adapters loaded": len(r["anchors"]) if method != "merged" else 0,
                     "Forward rows per token (counted)": r["rows_per_token_counted"],
                     "Paper": paper,
                     "Tokens/s": r["tokens_per_s"],
                     "Interpolation speed-up": speed[n] / r["tokens_per_s"],
                     "Goal": "" if method == "interp" else round(INTERP_GOAL * paper, 6)})
    return pd.DataFrame(rows).set_index("Method")


# ------------------------------------------------------------------------------------------------ table6
def example_generations(files, cfg: dict) -> pd.DataFrame:
    """table6: for the prompt `prompted.table6_prompt_id`, the first sample of each model at `prompted.table6_alphas`,
    weight interpolation beside the prompted model, per attribute."""
    from lminterp.evaluation.results import read_generations
    from lminterp.specs import format_number, table6_specs
    pid = cfg["prompted"]["table6_prompt_id"]
    by_method = table6_specs(cfg)
    rows = []
    for attribute in cfg["attributes"]:
        for k, x in enumerate(cfg["prompted"]["table6_alphas"]):
            row = {"Attribute, alpha": f"{attribute}, {format_number(x)}"}
            for method, by_attr in by_method.items():
                g = read_generations(files, by_attr[attribute][k])
                first = g[(g["prompt_id"] == pid)].sort_values("sample").iloc[0]
                row["Prompt"] = first["prompt"]
                row[table_label(method)] = first["continuation"]
            rows.append(row)
    table = pd.DataFrame(rows).set_index("Attribute, alpha")
    return table[["Prompt", *(table_label(m) for m in by_method)]]
