"""What the paper calls each method and attribute, for every table and figure (no matplotlib: the tables use it too).

Method keys are those of the specs (``interp``, ``dexperts``, ``arith``, ``gt``, ``prompted``); a few spellings
that readers use for them are accepted as aliases."""
from __future__ import annotations

METHOD_LABELS: dict[str, str] = {
    "interp": "Weight interpolation",
    "dexperts": "DExperts",
    "arith": "Model arithmetic",
    "gt": "Fine-tuned (GT)",
    "prompted": "Prompted model",
}

_METHOD_ALIASES: dict[str, str] = {
    "interpolation": "interp",
    "weight_interpolation": "interp",
    "linear_interpolation": "interp",
    "dexpert": "dexperts",
    "arithmetic": "arith",
    "modelarithmetic": "arith",
    "ma": "arith",
    "model_arithmetic": "arith",
    "ground_truth": "gt",
    "fine_tuned": "gt",
    "finetuned": "gt",
    "prompt": "prompted",
    "chat": "prompted",
}


def canonical_method(key: str) -> str:
    """Normalise a method key ("DExperts", "model-arithmetic", "interpolation", ...) to its spec key."""
    k = str(key).strip().lower().replace("-", "_").replace(" ", "_")
    return _METHOD_ALIASES.get(k, k)


def method_label(key: str) -> str:
    """Display label of a method, e.g. ``"interp" -> "Weight interpolation"``; an unknown method keeps its key."""
    return METHOD_LABELS.get(canonical_method(key), str(key))


def attribute_label(attr: str) -> str:
    """Display label of an attribute column, e.g. ``"sentiment" -> "Sentiment"``."""
    return str(attr).replace("_", " ").capitalize()


# Table-specific row labels (the plot legend says "Fine-tuned (GT)"; the paper's table spells it out).
TABLE_LABELS: dict[str, str] = {"gt": "Fine-tuned (ground truth)"}

# Keys of the df.attrs a table carries to its writers (lminterp/report/tables.py):
# the header groups [(title, n_columns), ...] put above the column names (LaTeX: multicolumn + cmidrule);
GROUPS_ATTR = "column_groups"
# a pair (lo, hi) of DataFrames of the table's shape holding each cell's 95 % interval (NaN: none): the writers print
# "value [lo, hi]" (intervals are not symmetric about their value: an MAE's reaches further below it near 0) and the
# CSV gets "<column> lo" and "<column> hi" columns beside each column that has one.
INTERVAL_ATTR = "interval"


def table_label(method: str) -> str:
    """Row label of a method in the tables, e.g. ``"gt" -> "Fine-tuned (ground truth)"``."""
    key = canonical_method(method)
    return TABLE_LABELS.get(key, method_label(key))
