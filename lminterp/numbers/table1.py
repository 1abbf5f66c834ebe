"""The numbers of Table 1 (pandas, no torch): per method, the MAE of its scores to the GT models' at the same
(scaled) alpha, per attribute and on average, and its perplexity and dist-1/2/3 averaged over the alpha grid;
each with a 95 % bootstrap interval (`lminterp.evaluation.intervals`: prompts for scores and dist-n, resampled alike for
every model, so that an MAE is a paired difference; windows for perplexity)."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from lminterp import specs as S
from lminterp.numbers.curves import average_mae_terms, gaps_to_gt, perplexity_replicates
from lminterp.evaluation.diversity import diversity_replicates
from lminterp.evaluation.results import ResultFiles
from lminterp.labels import GROUPS_ATTR, INTERVAL_ATTR, METHOD_LABELS, attribute_label, canonical_method, table_label

DIST_KEYS = ("dist_1", "dist_2", "dist_3")
# Rows of Table 1 in the paper's order.
TABLE1_METHODS: tuple[str, ...] = ("gt", "dexperts", "arith", "interp")
QUALITY_KEYS: tuple[str, ...] = ("perplexity", "dist_1", "dist_2", "dist_3")
QUALITY_COLUMNS: dict[str, str] = {"perplexity": "Perplexity", "dist_1": "Dist-1", "dist_2": "Dist-2",
                                   "dist_3": "Dist-3"}
AVERAGE_COLUMN = "Average"


def table1_numbers(files: ResultFiles, cfg: dict) -> pd.DataFrame:
    attributes = list(cfg["attributes"])
    stats = cfg["statistics"]
    by_method = S.single_attribute_specs(cfg)
    specs = sorted({s for by_attr in by_method.values() for ss in by_attr.values() for s in ss}, key=S.spec_name)
    boot, gaps = gaps_to_gt(files, by_method, stats)   # per method, attribute and alpha: score - GT score
    mae_rows, iv = {}, {m: {} for m in by_method}
    for m, by_attr in gaps.items():
        mae_rows[m] = {}
        for a in attributes:
            mae_rows[m][a] = float(np.mean([abs(g) for g, _ in by_attr[a]]))
            _, iv[m][a] = boot.abs_sum(by_attr[a])
        _, iv[m]["average"] = boot.abs_sum(*average_mae_terms({a: by_attr[a] for a in attributes}))
    ppl_boot, ppl = perplexity_replicates(files, specs, stats)
    div_boot, div = diversity_replicates(files, specs, stats)
    quality_rows = {}
    for m, by_attr in by_method.items():
        mine = [s for ss in by_attr.values() for s in ss]
        quality_rows[m] = {"perplexity": float(np.mean([ppl[s][0] for s in mine]))}
        iv[m]["perplexity"] = ppl_boot.interval(np.mean([ppl[s][1] for s in mine], axis=0))
        for k in DIST_KEYS:
            quality_rows[m][k] = float(np.mean([div[s][k][0] for s in mine]))
            iv[m][k] = div_boot.interval(np.mean([div[s][k][1] for s in mine], axis=0))
    return table1(mae_rows, quality_rows, attributes, intervals=iv)


def _by_method(rows: Mapping[str, Mapping[str, float]], name: str) -> dict[str, Mapping[str, float]]:
    if not isinstance(rows, Mapping):
        raise ValueError(f"table1: {name} must be a dict method -> dict, got {type(rows).__name__}")
    out: dict[str, Mapping[str, float]] = {}
    for method, vals in rows.items():
        key = canonical_method(method)
        if key not in METHOD_LABELS:
            raise ValueError(f"table1: unknown method {method!r} in {name} (known: {sorted(METHOD_LABELS)})")
        if key in out:
            raise ValueError(f"table1: method {method!r} given twice in {name}")
        if not isinstance(vals, Mapping):
            raise ValueError(f"table1: {name}[{method!r}] must be a dict, got {type(vals).__name__}")
        out[key] = vals
    return out


def _num(v: object, where: str) -> float:
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"table1: {where} is not a number: {v!r}") from None
    if math.isinf(x):
        raise ValueError(f"table1: {where} is infinite")
    return x


def table1(mae_rows: Mapping[str, Mapping[str, float]], quality_rows: Mapping[str, Mapping[str, float]],
           attributes: Sequence[str], methods: Sequence[str] = TABLE1_METHODS,
           intervals: Mapping[str, Mapping[str, tuple[float, float]]] | None = None) -> pd.DataFrame:
    """Table 1 as a DataFrame (index "Method" with the row labels; all values float).

    ``mae_rows = {method: {attribute: MAE}}`` (from :func:`lminterp.evaluation.metrics.mae`, baselines on scaled
    alpha); ``quality_rows = {method: {"perplexity", "dist_1", "dist_2", "dist_3"}}``. Method keys are
    normalised like the plots' (``"model_arithmetic"`` -> ``"arith"``). Rows follow ``methods``
    (default the paper's order: GT, DExperts, model arithmetic, weight interpolation). Columns: one
    MAE column per attribute (display label, e.g. "Sentiment"), "Average" (mean of those; NaN if any
    is NaN), then "Perplexity", "Dist-1", "Dist-2", "Dist-3".

    The GT row's MAE cells are NaN (written as "-"); any MAE given for GT is ignored (it is 0 by
    definition). Every other method needs an MAE for every attribute, and every method all four
    quality numbers; NaN values are kept (a failed measurement shows as "-"), missing ones raise
    ValueError, as do unknown methods, infinite values and empty/duplicate attributes.

    ``intervals = {method: {attribute | "average" | quality key: (lo, hi)}}`` (optional) are the 95 %
    intervals of the cells; the writers print them as "value [lo, hi]".
    """
    attrs = [attributes] if isinstance(attributes, str) else list(attributes)
    if not attrs:
        raise ValueError("table1: need at least one attribute")
    if len(set(attrs)) != len(attrs):
        raise ValueError(f"table1: duplicate attributes {attrs}")
    labels = [attribute_label(a) for a in attrs]
    clash = set(labels) & {AVERAGE_COLUMN, *QUALITY_COLUMNS.values()}
    if clash or len(set(labels)) != len(labels):
        raise ValueError(f"table1: attribute labels {labels} clash with each other or with other columns")
    keys = [canonical_method(m) for m in ([methods] if isinstance(methods, str) else methods)]
    if not keys or len(set(keys)) != len(keys):
        raise ValueError(f"table1: methods must be non-empty and distinct, got {list(methods)}")
    unknown = [k for k in keys if k not in METHOD_LABELS]
    if unknown:
        raise ValueError(f"table1: unknown methods {unknown}")
    mae_by = _by_method(mae_rows, "mae_rows")
    qual_by = _by_method(quality_rows, "quality_rows")

    records = []
    for key in keys:
        rec: dict[str, float] = {}
        if key == "gt":
            for lab in labels:
                rec[lab] = float("nan")
            rec[AVERAGE_COLUMN] = float("nan")
        else:
            if key not in mae_by:
                raise ValueError(f"table1: no MAE row for method {key!r}")
            miss = [a for a in attrs if a not in mae_by[key]]
            if miss:
                raise ValueError(f"table1: method {key!r} has no MAE for attributes {miss}")
            vals = [_num(mae_by[key][a], f"MAE of {key!r}/{a!r}") for a in attrs]
            for lab, v in zip(labels, vals):
                rec[lab] = v
            rec[AVERAGE_COLUMN] = float(np.mean(vals))  # NaN if any is NaN
        if key not in qual_by:
            raise ValueError(f"table1: no quality row for method {key!r}")
        miss = [q for q in QUALITY_KEYS if q not in qual_by[key]]
        if miss:
            raise ValueError(f"table1: method {key!r} has no {miss}")
        for q in QUALITY_KEYS:
            rec[QUALITY_COLUMNS[q]] = _num(qual_by[key][q], f"{q} of {key!r}")
        records.append(rec)

    columns = [*labels, AVERAGE_COLUMN, *QUALITY_COLUMNS.values()]
    df = pd.DataFrame(records, index=pd.Index([table_label(k) for k in keys], name="Method"),
                      columns=columns, dtype=float)
    df.attrs[GROUPS_ATTR] = [("Attribute score MAE", len(labels) + 1), ("WikiText", 1),
                             ("Diversity", 3)]
    if intervals is not None:
        keys_of = {**dict(zip(labels, attrs)), AVERAGE_COLUMN: "average",
                   **{v: k for k, v in QUALITY_COLUMNS.items()}}
        iv = _by_method(intervals, "intervals")
        nan2 = (float("nan"), float("nan"))
        df.attrs[INTERVAL_ATTR] = tuple(pd.DataFrame(
            [[float(iv.get(k, {}).get(keys_of[c], nan2)[end]) for c in columns] for k in keys],
            index=df.index, columns=columns, dtype=float) for end in (0, 1))
    return df
