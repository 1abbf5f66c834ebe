"""Curves vs alpha, one panel per attribute: score (figs. 2, 3), perplexity (figs. 4, 10) and diversity (fig. 11),
drawn from the figure's CSV (:mod:`lminterp.numbers.curves`). The prompted model's figures (9, 12-14) draw the same
panels (:mod:`lminterp.figures.prompted`)."""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from lminterp.figures.style import METHOD_STYLES, MethodStyle, method_style, plt, save_figure, style
from lminterp.labels import attribute_label, canonical_method, method_label

# Shading of the alpha axis (Figs. 3, 4, 10, 11; Sec. 3.1 "Linear extrapolation"): interpolation
# region [0, 1], stable extrapolation region (outside [0, 1] but inside the stable bounds, paper:
# about [-1, 2]) lighter, unstable extrapolation beyond it hatched. Neutral warm tones so that they
# never read as one of the method colours.
REGION_STYLES: dict[str, dict[str, object]] = {
    "interpolation": {"facecolor": "#F4D9A6", "edgecolor": "none", "label": r"Interpolation"},
    "stable": {"facecolor": "#FBEFD9", "edgecolor": "none", "label": "Stable extrapolation"},
    "unstable": {"facecolor": "none", "edgecolor": "#C8C8C8", "hatch": "///",
                 "label": "Unstable extrapolation"},
}



# Lines of the diversity figure (Fig. 11): one per n-gram order.
DIST_STYLES: dict[str, MethodStyle] = {
    "dist_1": MethodStyle("Dist-1", "#0072B2", "o", "-"),
    "dist_2": MethodStyle("Dist-2", "#E69F00", "s", "--"),
    "dist_3": MethodStyle("Dist-3", "#009E73", "^", "-."),
}



_MAX_COLS = 5          # a row of up to five panels (the paper's five attributes)
_PANEL_W, _PANEL_H = 2.7, 2.4  # inches per panel



_BAND_ALPHA = 0.2



INTERVAL_LABEL = "95% interval of the mean (bootstrap over prompts)"



Regions = dict[str, tuple[float, float]]



def _frame(df: pd.DataFrame, need: Sequence[str], numeric: Sequence[str], fn: str) -> pd.DataFrame:
    """Copy of ``df`` with the needed columns, numeric ones as float; ValueError on bad input."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{fn}: df must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(f"{fn}: columns {missing} missing (have {list(df.columns)})")
    if df.empty:
        raise ValueError(f"{fn}: df has no rows")
    out = df[list(need)].copy()
    for col in numeric:
        try:
            out[col] = pd.to_numeric(out[col], errors="raise").astype(float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{fn}: column {col!r} is not numeric ({exc})") from None
    if not np.all(np.isfinite(out["alpha"].to_numpy())):
        raise ValueError(f"{fn}: alpha must be finite")
    return out



def _check_attributes(attributes: Sequence[str], fn: str) -> list[str]:
    if isinstance(attributes, str):
        raise ValueError(f"{fn}: attributes must be a sequence of names, not a string")
    attrs = list(attributes)
    if not attrs:
        raise ValueError(f"{fn}: need at least one attribute")
    if len(set(attrs)) != len(attrs):
        raise ValueError(f"{fn}: duplicate attributes {attrs}")
    return attrs



def _check_methods(df: pd.DataFrame, methods: Sequence[str], fn: str) -> tuple[pd.DataFrame, list[str]]:
    """Canonical method keys (known to :data:`METHOD_STYLES`), present in ``df``; df with canonical keys."""
    if isinstance(methods, str):
        methods = [methods]
    keys = [canonical_method(m) for m in methods]
    if not keys:
        raise ValueError(f"{fn}: need at least one method")
    unknown = [m for m, k in zip(methods, keys) if k not in METHOD_STYLES]
    if unknown:
        raise ValueError(f"{fn}: unknown methods {unknown} (known: {sorted(METHOD_STYLES)})")
    if len(set(keys)) != len(keys):
        raise ValueError(f"{fn}: duplicate methods {list(methods)}")
    df = df.assign(method=df["method"].map(canonical_method))
    absent = [k for k in keys if not (df["method"] == k).any()]
    if absent:
        raise ValueError(f"{fn}: no rows for methods {absent}")
    return df[df["method"].isin(keys)], keys



def _check_rows(df: pd.DataFrame, attrs: list[str], keys: Sequence[str], fn: str) -> pd.DataFrame:
    df = df[df["attribute"].isin(attrs)]
    absent = [a for a in attrs if not (df["attribute"] == a).any()]
    if absent:
        raise ValueError(f"{fn}: no rows for attributes {absent}")
    key_cols = [c for c in keys if c in df.columns]
    dup = df.assign(_a=df["alpha"].round(9)).duplicated([*key_cols, "_a"])
    if dup.any():
        raise ValueError(f"{fn}: duplicate ({', '.join(key_cols)}, alpha) rows "
                         f"{df.loc[dup, [*key_cols, 'alpha']].values.tolist()}")
    return df.sort_values([*key_cols, "alpha"], kind="stable")



def _check_regions(regions: Mapping[str, object] | None, attrs: list[str], fn: str) -> dict[str, Regions]:
    """Normalise ``regions`` to ``{attribute: {"interpolation": (lo, hi), "stable": (lo, hi)}}``.

    ``regions`` is either one dict with keys among ``interpolation`` / ``stable`` (all panels), or a
    dict ``attribute -> such a dict`` (per panel). The stable range must contain the interpolation
    range (the paper's "stable extrapolation" lies outside [0, 1]).
    """
    if regions is None:
        return {a: {} for a in attrs}
    if not isinstance(regions, Mapping):
        raise ValueError(f"{fn}: regions must be a dict, got {type(regions).__name__}")
    kinds = {"interpolation", "stable"}
    if set(regions) <= kinds:
        per_attr = {a: regions for a in attrs}
    else:
        extra = [k for k in regions if k not in attrs]
        if extra:
            raise ValueError(f"{fn}: regions keys {extra} are neither region names {sorted(kinds)} "
                             f"nor attributes {attrs}")
        per_attr = {a: regions.get(a) or {} for a in attrs}
    out: dict[str, Regions] = {}
    for a, reg in per_attr.items():
        if not isinstance(reg, Mapping) or not set(reg) <= kinds:
            raise ValueError(f"{fn}: regions of {a!r} must be a dict with keys among {sorted(kinds)}")
        norm: Regions = {}
        for k, v in reg.items():
            try:
                lo, hi = (float(x) for x in v)  # type: ignore[union-attr]
            except (TypeError, ValueError):
                raise ValueError(f"{fn}: region {k!r} must be a (lo, hi) pair, got {v!r}") from None
            if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
                raise ValueError(f"{fn}: region {k!r} needs finite lo < hi, got {(lo, hi)}")
            norm[k] = (lo, hi)
        if "interpolation" in norm and "stable" in norm:
            (ilo, ihi), (slo, shi) = norm["interpolation"], norm["stable"]
            if slo > ilo or shi < ihi:
                raise ValueError(f"{fn}: stable region {norm['stable']} must contain the "
                                 f"interpolation region {norm['interpolation']}")
        out[a] = norm
    return out



def _panels(n: int, sharey: bool) -> tuple[plt.Figure, list[plt.Axes]]:
    ncols = min(_MAX_COLS, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(_PANEL_W * ncols + 0.4, _PANEL_H * nrows + 0.9),
                             squeeze=False, sharey=sharey, layout="constrained")
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_axis_off()
    return fig, flat[:n]



def _xlim(alphas: np.ndarray) -> tuple[float, float]:
    lo, hi = float(np.min(alphas)), float(np.max(alphas))
    pad = 0.03 * (hi - lo) if hi > lo else 0.5
    return lo - pad, hi + pad



def _shade(ax: plt.Axes, reg: Regions, xlim: tuple[float, float]) -> set[str]:
    """Shade the alpha regions of one panel; return the region kinds drawn."""
    drawn: set[str] = set()

    def span(kind: str, x0: float, x1: float) -> None:
        x0, x1 = max(x0, xlim[0]), min(x1, xlim[1])
        if x1 <= x0:
            return
        st = {k: v for k, v in REGION_STYLES[kind].items() if k != "label"}
        ax.axvspan(x0, x1, linewidth=0, zorder=0, **st)
        drawn.add(kind)

    if "stable" in reg:
        slo, shi = reg["stable"]
        span("unstable", xlim[0], slo)
        span("unstable", shi, xlim[1])
        span("stable", slo, shi)
    if "interpolation" in reg:
        span("interpolation", *reg["interpolation"])
    return drawn



def _region_handles(kinds: set[str]) -> list:
    from matplotlib.patches import Patch

    handles = []
    for kind in ("interpolation", "stable", "unstable"):
        if kind in kinds:
            st = REGION_STYLES[kind]
            handles.append(Patch(facecolor=st["facecolor"], edgecolor=st["edgecolor"],
                                 hatch=st.get("hatch"), label=st["label"], linewidth=0))
    return handles



def _marker_size(n_points: int) -> float:
    return 4.5 if n_points <= 15 else (3.0 if n_points <= 40 else 2.0)



def _finish(fig: plt.Figure, axes: list[plt.Axes], handles: list, title: str | None, out_pdf) -> None:
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 6),
                   frameon=False)
    if title:
        fig.suptitle(title)
    save_figure(fig, out_pdf)



def _no_data_note(ax: plt.Axes, missing: list[str]) -> None:
    if missing:
        ax.text(0.02, 0.98, "no data: " + ", ".join(missing), transform=ax.transAxes, ha="left",
                va="top", fontsize=7, color="#555555")



def _label_panel(ax: plt.Axes, k: int, attribute: str, xlim: tuple[float, float], x_label: str, y_label: str,
                 ylim: tuple[float, float] | None = None, title_pad: float | None = None) -> None:
    """Limits, title, axis labels (the y label on the first panel of each row) and grid of one curve panel."""
    ax.set_xlim(*xlim)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_title(attribute_label(attribute), pad=title_pad)
    ax.set_xlabel(x_label)
    if k % _MAX_COLS == 0:
        ax.set_ylabel(y_label)
    ax.grid(True, color="#E5E5E5", linewidth=0.6, zorder=1)
    ax.set_axisbelow(True)


def _each_method(ax: plt.Axes, sub: pd.DataFrame, keys: Sequence[str]):
    """(z order, style, rows) of each method that has rows in this panel; the others are noted in the panel."""
    missing = []
    for z, key in enumerate(keys):
        d = sub[sub["method"] == key]
        if d.empty:
            missing.append(method_label(key))
            continue
        yield z, method_style(key), d
    _no_data_note(ax, missing)


def _method_handles(keys: Sequence[str]) -> list:
    return [plt.Line2D([], [], color=method_style(k).color, marker=method_style(k).marker,
                       linestyle=method_style(k).linestyle, label=method_label(k)) for k in keys]


def plot_score_curves(df: pd.DataFrame, attributes: Sequence[str], out_pdf: str | os.PathLike, *,
                      methods: Sequence[str], x_label: str, title: str | None = None,
                      regions: Mapping[str, object] | None = None,
                      ylim: tuple[float, float] | None = (0.0, 1.0)) -> None:
    """Attribute score vs alpha, one panel per attribute (Fig. 2, Fig. 3; Sec. 3.1).

    ``df`` is long: one row per (method, attribute, alpha) with columns ``method, attribute, alpha,
    mean, lo, hi`` (the mean score and its 95 % bootstrap interval over prompts, :mod:`lminterp.evaluation.intervals`).
    Each method is a line with markers and a band over its interval of the mean. Fig. 2: ``methods =
    ("gt", "interp", "dexperts", "arith")`` on alpha in [0, 1] (the baselines already on *scaled*
    alpha). Fig. 3: ``methods = ("interp",)`` over the extrapolation range with ``regions =
    {"interpolation": (0, 1), "stable": (lo, hi)}`` (or a dict per attribute of such dicts).

    Panels form a row of up to five (wrapping below); y is shared and limited to ``ylim`` (None:
    automatic). A (method, attribute) pair without rows is noted in its panel; a method or attribute
    without any row, an unknown method, a missing column or duplicate rows raise ValueError.
    NaN means / stds leave gaps.
    """
    fn = "plot_score_curves"
    attrs = _check_attributes(attributes, fn)
    data = _frame(df, ["method", "attribute", "alpha", "mean", "lo", "hi"], ["alpha", "mean", "lo", "hi"], fn)
    data, keys = _check_methods(data, methods, fn)
    data = _check_rows(data, attrs, ["method", "attribute"], fn)
    regs = _check_regions(regions, attrs, fn)

    with style():
        fig, axes = _panels(len(attrs), sharey=True)
        kinds: set[str] = set()
        for k, (ax, attr) in enumerate(zip(axes, attrs)):
            sub = data[data["attribute"] == attr]
            xlim = _xlim(sub["alpha"].to_numpy())
            kinds |= _shade(ax, regs[attr], xlim)
            for z, st, d in _each_method(ax, sub, keys):
                x, m, lo, hi = (d[c].to_numpy() for c in ("alpha", "mean", "lo", "hi"))
                ax.fill_between(x, lo, hi, color=st.color, alpha=_BAND_ALPHA, linewidth=0, zorder=2 + z)
                ax.plot(x, m, color=st.color, marker=st.marker, linestyle=st.linestyle,
                        markersize=_marker_size(len(x)), linewidth=1.5, label=st.label, zorder=10 + z)
            _label_panel(ax, k, attr, xlim, x_label, "Attribute score", ylim)
        handles = _method_handles(keys)
        from matplotlib.patches import Patch

        handles.append(Patch(facecolor=method_style(keys[0]).color if len(keys) == 1 else "#808080",
                             alpha=_BAND_ALPHA * 1.5, linewidth=0, label=INTERVAL_LABEL))
        handles += _region_handles(kinds)
        _finish(fig, axes, handles, title, out_pdf)



def plot_metric_curves(df: pd.DataFrame, attributes: Sequence[str], out_pdf: str | os.PathLike, *,
                       metric_label: str, log_y: bool = False, y_clip: float | None = None,
                       methods: Sequence[str] = ("interp",), regions: Mapping[str, object] | None = None,
                       title: str | None = None, x_label: str = r"$\alpha$") -> None:
    """A scalar model metric (WikiText perplexity) vs alpha, one panel per attribute (Figs. 4, 10).

    ``df`` columns ``method, attribute, alpha, value`` and optionally ``lo, hi`` (an interval, drawn as a band;
    perplexity's is a bootstrap over the sliding windows). Fig. 4: ``y_clip=7`` (the y axis ends at
    ``y_clip``; lines leave through the top and each point above it is marked by an upward triangle
    on the top edge). Fig. 10: ``log_y=True`` and no clip. A value of +inf (a diverged model) is
    always drawn as such a triangle; NaN leaves a gap. ``regions`` as in :func:`plot_score_curves`.
    Log scale needs positive values (ValueError otherwise).
    """
    fn = "plot_metric_curves"
    attrs = _check_attributes(attributes, fn)
    data = _frame(df, ["method", "attribute", "alpha", "value"], ["alpha", "value"], fn)
    data, keys = _check_methods(data, methods, fn)
    data = _check_rows(data, attrs, ["method", "attribute"], fn)
    regs = _check_regions(regions, attrs, fn)
    vals = data["value"].to_numpy()
    if log_y and np.any(vals[~np.isnan(vals)] <= 0):
        raise ValueError(f"{fn}: log_y needs positive values")
    if y_clip is not None and not np.isfinite(y_clip):
        raise ValueError(f"{fn}: y_clip must be finite, got {y_clip}")
    above_mask = np.isposinf(vals) | ((vals > y_clip) if y_clip is not None else False)
    visible = vals[np.isfinite(vals) & ~above_mask]
    ylim = None
    if y_clip is not None:
        lo = float(visible.min()) if visible.size else float(y_clip) * 0.9
        lo = min(lo, float(y_clip) * 0.999)
        if log_y:
            ylim = (lo / 1.05, float(y_clip))
        else:
            ylim = (lo - 0.05 * (float(y_clip) - lo), float(y_clip))

    with style():
        fig, axes = _panels(len(attrs), sharey=True)
        kinds: set[str] = set()
        any_above = False
        for k, (ax, attr) in enumerate(zip(axes, attrs)):
            if log_y:
                ax.set_yscale("log")
            sub = data[data["attribute"] == attr]
            xlim = _xlim(sub["alpha"].to_numpy())
            kinds |= _shade(ax, regs[attr], xlim)
            for z, st, d in _each_method(ax, sub, keys):
                x, v = d["alpha"].to_numpy(), d["value"].to_numpy()
                if {"lo", "hi"} <= set(d.columns):
                    lo, hi = (np.where(np.isfinite(d[c].to_numpy()), d[c].to_numpy(), np.nan) for c in ("lo", "hi"))
                    if y_clip is not None:
                        lo, hi = np.minimum(lo, y_clip), np.minimum(hi, y_clip)
                    ax.fill_between(x, lo, hi, color=st.color, alpha=_BAND_ALPHA, linewidth=0, zorder=2 + z)
                up = np.isposinf(v) | ((v > y_clip) if y_clip is not None else False)
                ax.plot(x, np.where(np.isinf(v), np.nan, v), color=st.color, marker=st.marker,
                        linestyle=st.linestyle, markersize=_marker_size(len(x)), linewidth=1.5,
                        zorder=10 + z)
                if up.any():
                    any_above = True
                    ax.plot(x[up], np.ones(int(up.sum())), transform=ax.get_xaxis_transform(),
                            linestyle="none", marker="^", markersize=6, color=st.color,
                            markeredgecolor="black", markeredgewidth=0.5, clip_on=False, zorder=20 + z)
            _label_panel(ax, k, attr, xlim, x_label, metric_label, title_pad=10 if above_mask.any() else None)
        if ylim is not None:
            axes[0].set_ylim(*ylim)  # shared y
        handles = _method_handles(keys)
        if any_above:
            lab = f"above {y_clip:g} (off the axis)" if y_clip is not None else "diverged (inf)"
            handles.append(plt.Line2D([], [], linestyle="none", marker="^", markersize=6, color="#999999",
                                      markeredgecolor="black", markeredgewidth=0.5, label=lab))
        handles += _region_handles(kinds)
        _finish(fig, axes, handles, title, out_pdf)



def plot_diversity_curves(df: pd.DataFrame, attributes: Sequence[str], out_pdf: str | os.PathLike, *,
                          regions: Mapping[str, object] | None = None, title: str | None = None,
                          x_label: str = r"$\alpha$", ylim: tuple[float, float] | None = (0.0, 1.0)) -> None:
    """dist-1/2/3 vs alpha, one panel per attribute, three lines per panel (Fig. 11).

    ``df`` columns ``attribute, alpha, dist_1, dist_2, dist_3`` (one row per interpolated model; the
    values of :func:`lminterp.evaluation.diversity.diversity`) and optionally ``dist_n_lo, dist_n_hi`` (intervals, drawn as
    bands). NaN (no words generated) leaves a gap.
    ``regions`` as in :func:`plot_score_curves`; ``ylim`` None for automatic limits.
    """
    fn = "plot_diversity_curves"
    attrs = _check_attributes(attributes, fn)
    cols = list(DIST_STYLES)
    data = _frame(df, ["attribute", "alpha", *cols], ["alpha", *cols], fn)
    data = _check_rows(data, attrs, ["attribute"], fn)
    regs = _check_regions(regions, attrs, fn)

    with style():
        fig, axes = _panels(len(attrs), sharey=True)
        kinds: set[str] = set()
        for k, (ax, attr) in enumerate(zip(axes, attrs)):
            sub = data[data["attribute"] == attr]
            x = sub["alpha"].to_numpy()
            xlim = _xlim(x)
            kinds |= _shade(ax, regs[attr], xlim)
            for z, col in enumerate(cols):
                st = DIST_STYLES[col]
                if {f"{col}_lo", f"{col}_hi"} <= set(sub.columns):
                    ax.fill_between(x, sub[f"{col}_lo"].to_numpy(), sub[f"{col}_hi"].to_numpy(), color=st.color,
                                    alpha=_BAND_ALPHA, linewidth=0, zorder=2 + z)
                ax.plot(x, sub[col].to_numpy(), color=st.color, marker=st.marker, linestyle=st.linestyle,
                        markersize=_marker_size(len(x)), linewidth=1.5, zorder=10 + z)
            _label_panel(ax, k, attr, xlim, x_label, "n-gram diversity", ylim)
        handles = [plt.Line2D([], [], color=s.color, marker=s.marker, linestyle=s.linestyle, label=s.label)
                   for s in DIST_STYLES.values()]
        handles += _region_handles(kinds)
        _finish(fig, axes, handles, title, out_pdf)



def regions_of(cfg: Mapping) -> Regions:
    return {"interpolation": (0.0, 1.0), "stable": tuple(cfg["single_attribute"]["stable_region"])}



def single_attribute_figure(table: pd.DataFrame, out_pdf: str | os.PathLike, cfg: Mapping) -> None:
    """fig2: score vs alpha, GT and the three methods."""
    plot_score_curves(table, cfg["attributes"], out_pdf, methods=["gt", "interp", "dexperts", "arith"],
                      x_label=r"$\alpha$ (baselines: scaled $\alpha$)",
                      title="Score vs alpha: fine-tuned (GT) models, weight interpolation and baselines")



def extrapolation_figure(table: pd.DataFrame, out_pdf: str | os.PathLike, cfg: Mapping) -> None:
    """fig3: weight interpolation's score over the extrapolation range, regions shaded."""
    plot_score_curves(table, cfg["attributes"], out_pdf, methods=["interp"], x_label=r"$\alpha$",
                      regions=regions_of(cfg), title="Weight interpolation and extrapolation: score vs alpha")



def clipped_perplexity_figure(table: pd.DataFrame, out_pdf: str | os.PathLike, cfg: Mapping) -> None:
    """fig4: perplexity vs alpha, y axis clipped at `single_attribute.perplexity_clip`."""
    clip = cfg["single_attribute"]["perplexity_clip"]
    plot_metric_curves(table, cfg["attributes"], out_pdf, metric_label="Perplexity", y_clip=clip,
                       regions=regions_of(cfg), title=f"Perplexity vs alpha (y clipped at {clip:g})")



def log_perplexity_figure(table: pd.DataFrame, out_pdf: str | os.PathLike, cfg: Mapping) -> None:
    """fig10: perplexity vs alpha, log scale, unclipped."""
    plot_metric_curves(table, cfg["attributes"], out_pdf, metric_label="Perplexity", log_y=True,
                       regions=regions_of(cfg), title="Perplexity vs alpha (log scale)")



