"""Tables of the paper built from already-computed numbers (pandas; no torch, no result file names).

:func:`table1` assembles Table 1 (Kangaslahti & Alvarez-Melis 2024, Sec. 2.4 / 3.1): per method the
MAE between the GT fine-tuned models' attribute scores and the method's scores at corresponding
(scaled) alpha, per attribute and averaged, then WikiText perplexity and dist-1/2/3.
:func:`write_table` writes any such table as CSV, a Markdown pipe table and a booktabs LaTeX tabular,
byte-deterministically and atomically (:mod:`lminterp.io`). The LaTeX is written here, not with
``DataFrame.to_latex`` (which needs jinja2, not a declared dependency).
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from lminterp.io import write_text
from lminterp.plots import METHOD_STYLES, attribute_label, canonical_method, method_label

# Rows of Table 1 in the paper's order.
TABLE1_METHODS: tuple[str, ...] = ("gt", "dexperts", "arith", "interp")
# Table-specific row labels (the plot legend says "Fine-tuned (GT)"; the paper's table spells it out).
TABLE_LABELS: dict[str, str] = {"gt": "Fine-tuned (ground truth)"}
QUALITY_KEYS: tuple[str, ...] = ("perplexity", "dist_1", "dist_2", "dist_3")
QUALITY_COLUMNS: dict[str, str] = {"perplexity": "Perplexity", "dist_1": "Dist-1", "dist_2": "Dist-2",
                                   "dist_3": "Dist-3"}
AVERAGE_COLUMN = "Average"
# df.attrs key with the header groups [(title, n_columns), ...] that write_table puts above the
# column names (LaTeX: multicolumn + cmidrule).
GROUPS_ATTR = "column_groups"
# df.attrs key with a pair (lo, hi) of DataFrames of the same shape holding each cell's 95 % interval (NaN: none);
# the writers print "value [lo, hi]" (BCa intervals are not symmetric about their value, an MAE's often not even
# around it) and the CSV gets "<column> lo" and "<column> hi" columns beside each column that has one.
INTERVAL_ATTR = "interval"


def table_label(method: str) -> str:
    """Row label of a method in the tables, e.g. ``"gt" -> "Fine-tuned (ground truth)"``."""
    key = canonical_method(method)
    return TABLE_LABELS.get(key, method_label(key))


def _by_method(rows: Mapping[str, Mapping[str, float]], name: str) -> dict[str, Mapping[str, float]]:
    if not isinstance(rows, Mapping):
        raise ValueError(f"table1: {name} must be a dict method -> dict, got {type(rows).__name__}")
    out: dict[str, Mapping[str, float]] = {}
    for method, vals in rows.items():
        key = canonical_method(method)
        if key not in METHOD_STYLES:
            raise ValueError(f"table1: unknown method {method!r} in {name} (known: {sorted(METHOD_STYLES)})")
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

    ``mae_rows = {method: {attribute: MAE}}`` (from :func:`lminterp.metrics.mae`, baselines on scaled
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
    unknown = [k for k in keys if k not in METHOD_STYLES]
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


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------
def _fmt(v: object, float_format: str, blank: str) -> str:
    if v is None or (isinstance(v, (float, np.floating)) and np.isnan(v)):
        return blank
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return float_format % float(v)
    return str(v)


_TEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def tex_escape(text: str) -> str:
    """Escape LaTeX special characters in plain text (cell and header text)."""
    return "".join(_TEX_ESCAPES.get(ch, ch) for ch in str(text))


def _md_escape(text: str) -> str:
    return str(text).replace("|", r"\|")


def _cells(df: pd.DataFrame, float_format: str, blank: str) -> list[list[str]]:
    """The text of every cell, "value [lo, hi]" where ``df.attrs[INTERVAL_ATTR]`` has an interval."""
    iv = df.attrs.get(INTERVAL_ATTR)
    out = []
    for r, row in enumerate(df.itertuples(index=False)):
        cells = []
        for c, v in enumerate(row):
            text = _fmt(v, float_format, blank)
            lo, hi = (iv[0].iat[r, c], iv[1].iat[r, c]) if iv is not None else (float("nan"), float("nan"))
            if text != blank and np.isfinite(lo) and np.isfinite(hi):
                text += f" [{float_format % float(lo)}, {float_format % float(hi)}]"
            cells.append(text)
        out.append(cells)
    return out


def to_markdown(df: pd.DataFrame, float_format: str = "%.3f", blank: str = "-") -> str:
    """A Markdown pipe table of ``df`` (index as the first column, numbers right-aligned)."""
    head = [str(df.index.name or ""), *map(str, df.columns)]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    lines = ["| " + " | ".join(_md_escape(h) for h in head) + " |",
             "|" + "|".join([":---", *("---:" if n else ":---" for n in numeric)]) + "|"]
    for idx, cells in zip(df.index, _cells(df, float_format, blank)):
        lines.append("| " + " | ".join([_md_escape(idx), *(_md_escape(c) for c in cells)]) + " |")
    return "\n".join(lines) + "\n"


def to_latex(df: pd.DataFrame, float_format: str = "%.3f", caption: str | None = None,
             label: str | None = None, blank: str = "--",
             column_groups: Sequence[tuple[str, int]] | None = None) -> str:
    """A booktabs LaTeX table of ``df`` (needs ``\\usepackage{booktabs}``), written without jinja2.

    Cell and header text is escaped; ``caption`` and ``label`` are LaTeX and taken verbatim. With a
    caption or label the tabular is wrapped in a ``table`` environment. ``column_groups`` (default
    ``df.attrs["column_groups"]``) is a list of ``(title, n_columns)`` covering the data columns in
    order; it adds a grouped header row with ``\\cmidrule`` under groups of more than one column.
    """
    ncols = len(df.columns)
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    spec = "l" + "".join("r" if n else "l" for n in numeric)
    groups = column_groups if column_groups is not None else df.attrs.get(GROUPS_ATTR)
    body = [rf"\begin{{tabular}}{{{spec}}}", r"\toprule"]
    if groups:
        if sum(int(n) for _, n in groups) != ncols or any(int(n) < 1 for _, n in groups):
            raise ValueError(f"column_groups {list(groups)} do not cover the {ncols} columns")
        cells, rules, col = [""], [], 2
        for title, n in groups:
            n = int(n)
            cells.append(tex_escape(title) if n == 1 else rf"\multicolumn{{{n}}}{{c}}{{{tex_escape(title)}}}")
            if n > 1:
                rules.append(rf"\cmidrule(lr){{{col}-{col + n - 1}}}")
            col += n
        body.append(" & ".join(cells) + r" \\")
        if rules:
            body.append(" ".join(rules))
    body.append(" & ".join([tex_escape(df.index.name or ""), *(tex_escape(c) for c in df.columns)]) + r" \\")
    body.append(r"\midrule")
    for idx, cells in zip(df.index, _cells(df, float_format, "\0")):
        cells = [tex_escape(idx), *(tex_escape(c).replace("\0", blank) for c in cells)]
        body.append(" & ".join(cells) + r" \\")
    body += [r"\bottomrule", r"\end{tabular}"]
    if caption is None and label is None:
        return "\n".join(body) + "\n"
    out = [r"\begin{table}[t]", r"\centering"]
    if caption is not None:
        out.append(rf"\caption{{{caption}}}")
    if label is not None:
        out.append(rf"\label{{{label}}}")
    out += body + [r"\end{table}"]
    return "\n".join(out) + "\n"


def write_table(df: pd.DataFrame, csv_path: str | os.PathLike, md_path: str | os.PathLike,
                tex_path: str | os.PathLike, caption: str | None = None, label: str | None = None,
                float_format: str = "%.3f") -> None:
    """Write ``df`` as CSV, Markdown and LaTeX, each atomically and byte-deterministically.

    * CSV: index included (header "Method" for Table 1), floats with ``float_format``, NaN empty;
    * Markdown: pipe table, floats with ``float_format``, NaN as "-";
    * LaTeX: :func:`to_latex` (booktabs; NaN as "--"; ``caption`` / ``label`` verbatim LaTeX).

    ``float_format`` is a printf-style format such as ``"%.3f"`` (ValueError otherwise).
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"write_table: df must be a DataFrame, got {type(df).__name__}")
    try:
        float_format % 1.0
    except (TypeError, ValueError):
        raise ValueError(f"write_table: float_format must be printf-style like '%.3f', got {float_format!r}") from None
    iv = df.attrs.get(INTERVAL_ATTR)
    flat = df
    if iv is not None:   # "<column> lo", "<column> hi" beside each column that has an interval
        flat = pd.concat([part for c in df.columns for part in
                          ([df[c], iv[0][c].rename(f"{c} lo"), iv[1][c].rename(f"{c} hi")]
                           if iv[0][c].notna().any() else [df[c]])], axis=1)
    csv = flat.to_csv(float_format=float_format, na_rep="", lineterminator="\n")
    md = to_markdown(df, float_format=float_format)
    tex = to_latex(df, float_format=float_format, caption=caption, label=label)
    write_text(csv_path, csv)
    write_text(md_path, md)
    write_text(tex_path, tex)
