"""Unit tests of the curve plots (Figs. 2, 3, 4, 10, 11) and of Table 1 (fake data only)."""
from __future__ import annotations

import subprocess
import sys

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lminterp.figures import curves as P
from lminterp.figures.entanglement import plot_entanglement_heatmaps
from lminterp.numbers import table1 as T1
from lminterp.report import tables as T

ATTRS = ["sentiment", "politeness", "formality", "simplicity", "humor"]
REGIONS = {"interpolation": (0.0, 1.0), "stable": (-1.0, 2.0)}


# ------------------------------------------------------------------------------ fake data
def _scores(methods=("gt", "interp", "dexperts", "arith"), alphas=np.linspace(0, 1, 6)):
    rng = np.random.default_rng(0)
    rows = []
    for k, m in enumerate(methods):
        for i, a in enumerate(ATTRS):
            for x in alphas:
                mean = 1.0 / (1.0 + np.exp(-4 * (x - 0.5))) + 0.02 * k * np.sin(3 * x + i)
                half = float(0.02 + 0.03 * rng.random())
                rows.append({"method": m, "attribute": a, "alpha": float(x), "mean": float(mean),
                             "lo": float(mean) - half, "hi": float(mean) + half})
    return pd.DataFrame(rows)


def _extrap_alphas():
    return np.round(np.arange(-3.0, 4.01, 0.5), 2)


def _perplexity():
    rows = []
    for i, a in enumerate(ATTRS):
        for x in _extrap_alphas():
            v = 5.0 + 0.2 * (x - 0.5) ** 2 + (np.exp(abs(x - 0.5)) if not -1 <= x <= 2 else 0.0)
            if i == 0 and x == 4.0:
                v = np.inf  # a diverged model
            rows.append({"method": "interp", "attribute": a, "alpha": float(x), "value": float(v)})
    return pd.DataFrame(rows)


def _diversity():
    rows = []
    for a in ATTRS:
        for x in _extrap_alphas():
            d = 0.9 if -1 <= x <= 2 else 0.3
            rows.append({"attribute": a, "alpha": float(x), "dist_1": d, "dist_2": d + 0.02,
                         "dist_3": np.nan if x == 4.0 else d - 0.05})
    return pd.DataFrame(rows)


def _twice(tmp_path, name, fn):
    """Draw the same figure into two directories; return both files' bytes."""
    a, b = tmp_path / name / "a" / name, tmp_path / name / "b" / name
    fn(a)
    fn(b)
    png = Path(name).with_suffix(".png").name                    # the reports' PNG, written beside the PDF
    assert sorted(p.name for p in a.parent.iterdir()) == sorted([name, png])   # no temp file left beside it
    assert (a.parent / png).read_bytes() == (b.parent / png).read_bytes()       # byte-reproducible too
    assert (a.parent / png).read_bytes().startswith(b"\x89PNG")
    return a.read_bytes(), b.read_bytes()


def _assert_pdf(pair):
    a, b = pair
    assert a.startswith(b"%PDF") and len(a) > 1000
    assert a == b
    assert b"CreationDate" not in a


# ------------------------------------------------------------------------------ plots
def test_no_torch_import():
    code = ("import sys, lminterp.figures.curves, lminterp.report.tables, lminterp.evaluation.metrics, lminterp.evaluation.diversity, lminterp.evaluation.scaling, lminterp.numbers.entanglement; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_fig2_score_curves_deterministic(tmp_path):
    df = _scores()
    _assert_pdf(_twice(tmp_path, "fig2.pdf", lambda p: P.plot_score_curves(
        df, ATTRS, p, methods=["gt", "interp", "dexperts", "arith"],
        x_label=r"$\alpha$ (scaled for baselines)", title="Attribute score")))


def test_fig3_score_curves_regions(tmp_path):
    df = _scores(methods=("interp",), alphas=_extrap_alphas())
    _assert_pdf(_twice(tmp_path, "fig3.pdf", lambda p: P.plot_score_curves(
        df, ATTRS, p, methods=["interp"], x_label=r"$\alpha$", regions=REGIONS)))
    # per-attribute regions, more than five attributes wrap, aliases of method keys, missing pair noted
    df7 = pd.concat([df, df[df["attribute"] == "humor"].assign(attribute="x6"),
                     df[df["attribute"] == "humor"].assign(attribute="x7")])
    df7 = pd.concat([df7, _scores(methods=("dexperts",)).query("attribute == 'sentiment'")])
    P.plot_score_curves(df7, [*ATTRS, "x6", "x7"], tmp_path / "wrap.pdf", methods=["interpolation", "DExperts"],
                        x_label="a", regions={"sentiment": REGIONS, "humor": {"stable": (-2, 3)}}, ylim=None)
    assert (tmp_path / "wrap.pdf").stat().st_size > 1000


def test_fig4_fig10_metric_curves(tmp_path):
    df = _perplexity()
    _assert_pdf(_twice(tmp_path, "fig4.pdf", lambda p: P.plot_metric_curves(
        df, ATTRS, p, metric_label="WikiText perplexity", y_clip=7.0, regions=REGIONS)))
    _assert_pdf(_twice(tmp_path, "fig10.pdf", lambda p: P.plot_metric_curves(
        df, ATTRS, p, metric_label="WikiText perplexity", log_y=True, regions=REGIONS)))


def test_fig11_diversity_curves(tmp_path):
    df = _diversity()
    _assert_pdf(_twice(tmp_path, "fig11.pdf", lambda p: P.plot_diversity_curves(df, ATTRS, p, regions=REGIONS)))


def test_plot_bad_input(tmp_path):
    out = tmp_path / "bad.pdf"
    scores = _scores()
    with pytest.raises(ValueError, match="missing"):
        P.plot_score_curves(scores.drop(columns="lo"), ATTRS, out, methods=["interp"], x_label="a")
    with pytest.raises(ValueError, match="unknown methods"):
        P.plot_score_curves(scores, ATTRS, out, methods=["interp", "nonsense"], x_label="a")
    with pytest.raises(ValueError, match="no rows for methods"):
        P.plot_score_curves(scores[scores["method"] != "arith"], ATTRS, out, methods=["arith"], x_label="a")
    with pytest.raises(ValueError, match="no rows for attributes"):
        P.plot_score_curves(scores, [*ATTRS, "toxicity"], out, methods=["interp"], x_label="a")
    with pytest.raises(ValueError, match="duplicate"):
        P.plot_score_curves(pd.concat([scores, scores.iloc[:1]]), ATTRS, out, methods=["gt"], x_label="a")
    with pytest.raises(ValueError, match="not numeric"):
        P.plot_score_curves(scores.assign(mean="high"), ATTRS, out, methods=["gt"], x_label="a")
    with pytest.raises(ValueError, match="contain"):
        P.plot_score_curves(scores, ATTRS, out, methods=["gt"], x_label="a",
                            regions={"interpolation": (0, 1), "stable": (0.2, 2)})
    with pytest.raises(ValueError, match="neither"):
        P.plot_score_curves(scores, ATTRS, out, methods=["gt"], x_label="a", regions={"stabel": (-1, 2)})
    ppl = _perplexity()
    with pytest.raises(ValueError, match="missing"):
        P.plot_metric_curves(ppl.rename(columns={"value": "ppl"}), ATTRS, out, metric_label="ppl")
    with pytest.raises(ValueError, match="unknown methods"):
        P.plot_metric_curves(ppl, ATTRS, out, metric_label="ppl", methods=["bogus"])
    with pytest.raises(ValueError, match="positive"):
        P.plot_metric_curves(ppl.assign(value=0.0), ATTRS, out, metric_label="ppl", log_y=True)
    with pytest.raises(ValueError, match="missing"):
        P.plot_diversity_curves(_diversity().drop(columns="dist_3"), ATTRS, out)
    with pytest.raises(ValueError, match="no rows for attributes"):
        P.plot_diversity_curves(_diversity(), ["sentiment", "length"], out)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_existing_heatmap_still_works(tmp_path):
    rows = [{"method": m, "attribute_i": i, "attribute_j": j, "auc": 0.1}
            for m in ("interp", "dexperts") for i in ATTRS for j in ATTRS if i != j]
    plot_entanglement_heatmaps(pd.DataFrame(rows), ATTRS, ["interp", "dexperts"], tmp_path / "f8.pdf")
    assert (tmp_path / "f8.pdf").stat().st_size > 1000


# ------------------------------------------------------------------------------ Table 1
MAE = {
    "dexperts": dict(zip(ATTRS, [0.066, 0.132, 0.105, 0.161, 0.080])),
    "model_arithmetic": dict(zip(ATTRS, [0.075, 0.177, 0.088, 0.143, 0.276])),
    "interp": dict(zip(ATTRS, [0.036, 0.041, 0.006, 0.066, 0.105])),
    "gt": dict.fromkeys(ATTRS, 0.0),  # ignored
}
QUALITY = {
    "gt": {"perplexity": 5.04, "dist_1": 0.93, "dist_2": 0.941, "dist_3": 0.896},
    "dexperts": {"perplexity": 5.031, "dist_1": 0.93, "dist_2": 0.892, "dist_3": 0.835},
    "arith": {"perplexity": 4.9, "dist_1": 0.923, "dist_2": 0.936, "dist_3": 0.889},
    "interp": {"perplexity": 4.947, "dist_1": 0.934, "dist_2": 0.939, "dist_3": 0.891},
}
ROWS = ["Fine-tuned (ground truth)", "DExperts", "Model arithmetic", "Weight interpolation"]
COLS = ["Sentiment", "Politeness", "Formality", "Simplicity", "Humor", "Average",
        "Perplexity", "Dist-1", "Dist-2", "Dist-3"]


def test_table1_layout_and_average():
    df = T1.table1(MAE, QUALITY, ATTRS)
    assert list(df.index) == ROWS and df.index.name == "Method"
    assert list(df.columns) == COLS
    assert df.loc[ROWS[0], COLS[:6]].isna().all()          # GT MAE blank
    for key, row in [("dexperts", "DExperts"), ("model_arithmetic", "Model arithmetic"),
                     ("interp", "Weight interpolation")]:
        assert df.loc[row, "Average"] == pytest.approx(np.mean(list(MAE[key].values())))
        assert df.loc[row, "Sentiment"] == MAE[key]["sentiment"]
    # the paper's own numbers give its averages
    assert df["Average"].round(3).tolist()[1:] == [0.109, 0.152, 0.051]
    assert df.loc["Weight interpolation", "Perplexity"] == 4.947
    # subset of methods, in the order asked
    sub = T1.table1(MAE, QUALITY, ATTRS[:2], methods=("interp", "gt"))
    assert list(sub.index) == ["Weight interpolation", ROWS[0]]
    assert list(sub.columns) == ["Sentiment", "Politeness", *COLS[5:]]


def test_table1_bad_input():
    with pytest.raises(ValueError, match="unknown method"):
        T1.table1({**MAE, "bogus": {}}, QUALITY, ATTRS)
    with pytest.raises(ValueError, match="no MAE row"):
        T1.table1({k: v for k, v in MAE.items() if k != "dexperts"}, QUALITY, ATTRS)
    with pytest.raises(ValueError, match="no MAE for attributes"):
        T1.table1(MAE, QUALITY, [*ATTRS, "toxicity"])
    with pytest.raises(ValueError, match="dist_3"):
        T1.table1(MAE, {**QUALITY, "arith": {"perplexity": 5.0, "dist_1": 1, "dist_2": 1}}, ATTRS)
    with pytest.raises(ValueError, match="given twice"):
        T1.table1({**MAE, "arith": MAE["interp"]}, QUALITY, ATTRS)
    with pytest.raises(ValueError, match="infinite"):
        T1.table1(MAE, {**QUALITY, "gt": {**QUALITY["gt"], "perplexity": float("inf")}}, ATTRS)


def test_write_table_formats_and_determinism(tmp_path):
    df = T1.table1(MAE, QUALITY, ATTRS)
    outs = []
    for d in ("a", "b"):
        paths = [tmp_path / d / f"table1.{ext}" for ext in ("csv", "md", "tex")]
        T.write_table(df, *paths, caption=r"MAE to GT, $\alpha$ scaled", label="tab:table1")
        outs.append([p.read_bytes() for p in paths])
    assert outs[0] == outs[1]
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["table1.csv", "table1.md", "table1.tex"]
    csv, md, tex = (b.decode() for b in outs[0])

    back = pd.read_csv(tmp_path / "a" / "table1.csv", index_col="Method")
    assert list(back.index) == ROWS and list(back.columns) == COLS
    assert back.loc[ROWS[0], COLS[:6]].isna().all()
    pd.testing.assert_frame_equal(back, df.round(3), check_exact=False, atol=1e-12)

    md_lines = md.splitlines()
    assert md_lines[0] == "| Method | " + " | ".join(COLS) + " |"
    assert md_lines[2] == "| Fine-tuned (ground truth) | - | - | - | - | - | - | 5.040 | 0.930 | 0.941 | 0.896 |"
    assert "| Weight interpolation | 0.036 | 0.041 | 0.006 | 0.066 | 0.105 | 0.051 | 4.947 |" in md
    assert "| Model arithmetic | 0.075 | 0.177 | 0.088 | 0.143 | 0.276 | 0.152 | 4.900 |" in md

    assert r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex
    assert r"\begin{tabular}{lrrrrrrrrrr}" in tex
    assert r"\caption{MAE to GT, $\alpha$ scaled}" in tex and r"\label{tab:table1}" in tex
    assert r"\multicolumn{6}{c}{Attribute score MAE}" in tex and r"\cmidrule(lr){9-11}" in tex
    assert r"DExperts & 0.066 & 0.132 & 0.105 & 0.161 & 0.080 & 0.109 & 5.031 & 0.930 & 0.892 & 0.835 \\" in tex
    assert r"Fine-tuned (ground truth) & -- & -- & -- & -- & -- & -- & 5.040" in tex
    assert tex.count(r"\\") == 4 + 2  # 4 body rows, 2 header rows

    # other float formats
    T.write_table(df, tmp_path / "c.csv", tmp_path / "c.md", tmp_path / "c.tex", float_format="%.2f")
    assert "| DExperts | 0.07 | 0.13 |" in (tmp_path / "c.md").read_text()
    assert r"\begin{table}" not in (tmp_path / "c.tex").read_text()  # no caption/label: bare tabular
    with pytest.raises(ValueError, match="float_format"):
        T.write_table(df, tmp_path / "d.csv", tmp_path / "d.md", tmp_path / "d.tex", float_format="{:.3f}")


def test_latex_escaping():
    df = pd.DataFrame({"a_b & c": [1.0, np.nan]}, index=pd.Index(["x%y", "z#"], name="Method"))
    tex = T.to_latex(df)
    assert r"a\_b \& c" in tex and r"x\%y & 1.000 \\" in tex and r"z\# & -- \\" in tex
