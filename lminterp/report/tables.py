"""Writing the paper's tables (pandas; no torch, no result file names).

:func:`write_table` writes any such table as CSV, a Markdown pipe table and a booktabs LaTeX tabular,
byte-deterministically and atomically (:mod:`lminterp.io`). The LaTeX is written here, not with
``DataFrame.to_latex`` (which needs jinja2, not a declared dependency).
"""
from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from lminterp.io import write_text
from lminterp.labels import GROUPS_ATTR, INTERVAL_ATTR


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
