"""The reproduction report (lminterp/report/html.py) on hand-made inputs: the paper's numbers beside the measured ones,
paper order, escaping, every figure embedded. The rendered page is checked in a real browser in test_workflow."""
import base64
import re
import tomllib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from lminterp.version import __version__  # noqa: E402
from lminterp.report import html as rep  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REPORTED = rep.load_reported(ROOT / "paper" / "reported.yaml")


def _png(path: Path, value: float) -> Path:
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.bar([0], [value])
    fig.savefig(path, format="png", dpi=50)
    plt.close(fig)
    return path


def _measured_table1() -> pd.DataFrame:
    cols = ["Sentiment", "Politeness", "Formality", "Simplicity", "Humor", "Average", "Perplexity",
            "Dist-1", "Dist-2", "Dist-3"]
    rows = {"Fine-tuned (ground truth)": [None] * 6 + [9.1, 0.64, 0.9, 0.91],
            "DExperts": [0.05, 0.07, 0.13, 0.1, 0.06, 0.0841, 9.2, 0.63, 0.88, 0.9],
            "Weight interpolation": [0.04, 0.08, 0.02, 0.08, 0.08, 0.0627, 9.2, 0.64, 0.89, 0.91]}
    data = []
    for method, values in rows.items():
        row = {"Method": method}
        for c, v in zip(cols, values):
            row[c], row[f"{c} lo"], row[f"{c} hi"] = v, *((None, None) if v is None else (v - 0.01, v + 0.03))
        data.append(row)
    return pd.DataFrame(data)


def _claims(verdicts) -> pd.DataFrame:
    return pd.DataFrame({"claim": range(1, 9), "statement": [f"claim <{i}>" for i in range(1, 9)],
                         "targets": "fig2", "verdict": verdicts, "evidence": "numbers & intervals"})


def test_version_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert __version__ == project["version"]


def test_reported_numbers_are_the_papers():
    rows = REPORTED["table1"]["rows"]
    average = REPORTED["table1"]["columns"].index("Average")
    assert [rows[m][average] for m in ("DExperts", "Model arithmetic", "Weight interpolation")] == \
        [0.109, 0.152, 0.051]                                       # FIGURES.md, claim 1
    assert set(REPORTED["claims"]) == set(range(1, 9))


def test_reported_rows_must_match_columns(tmp_path):
    bad = tmp_path / "reported.yaml"
    bad.write_text("table1:\n  columns: [A, B]\n  rows:\n    X: [1.0]\n")
    with pytest.raises(ValueError, match="row 'X' has 1 values for 2 columns"):
        rep.load_reported(bad)


def test_table1_beside_pairs_paper_and_build():
    t = rep.table1_beside(_measured_table1(), REPORTED)
    paper = t[(t["Method"] == "Weight interpolation") & (t["Source"] == rep.TABLE1_REPORTED)].iloc[0]
    ours = t[(t["Method"] == "Weight interpolation") & (t["Source"] == rep.TABLE1_MEASURED)].iloc[0]
    assert paper["Average"] == "0.051" and paper["Perplexity"] == "4.947"
    assert ours["Average"] == "0.063 [0.053, 0.093]"
    gt = t[(t["Method"] == "Fine-tuned (ground truth)") & (t["Source"] == rep.TABLE1_MEASURED)].iloc[0]
    assert gt["Average"] == "" and gt["Dist-1"] == "0.640 [0.630, 0.670]"
    # the paper's model arithmetic row stays although this build lacks it; no measured row is invented
    arith = t[t["Method"] == "Model arithmetic"]
    assert list(arith["Source"]) == [rep.TABLE1_REPORTED]


SANITY = {"classifiers": {"sentiment": {"test_accuracy": 0.905}, "humor": {"test_accuracy": 0.78}},
          "anchors": {"sentiment": {"score_alpha_0": 0.21, "score_alpha_1": 0.64, "rise": 0.43},
                      "humor": {"score_alpha_0": 0.5, "score_alpha_1": 0.55, "rise": 0.05}}}


def test_report_embeds_every_figure_in_paper_order_and_escapes(tmp_path):
    steps = (rep.Step("figure_numbers", "scripts/figure_numbers.py", "m:f", 1.25),
             rep.Step("plot_figure", "scripts/plot_figure.py", "m:g", None))
    items = [rep.Item(name, "figure", f"caption of {name} <i>", steps, image=_png(tmp_path / f"{name}.png", k))
             for k, name in enumerate(("fig10", "fig9", "fig2"))]
    (tmp_path / "table2.csv").write_text("Hyperparameter,Value\nLoRA r,8\nnote,<script>x</script>\n")
    items.append(rep.Item("table2", "table", "hyperparameters", steps[:1], table=tmp_path / "table2.csv"))
    verdicts = ["holds", "does not hold", "inconclusive", "not run", "holds", "holds", "holds", "holds"]
    page = rep.render(items=items, claims=_claims(verdicts), table1=rep.table1_beside(_measured_table1(), REPORTED),
                      reported=REPORTED, config={"seed": 1, "world": "tiny"},
                      provenance={"git commit": "abc123"}, extras={"sanity": SANITY})
    # paper order: tables, then figures by number (fig9 before fig10, not string order)
    order = re.findall(r'<figure id="(\w+)"', page)
    assert order == ["table2", "fig2", "fig9", "fig10"]
    # each figure's own PNG embedded, byte for byte
    for name in ("fig2", "fig9", "fig10"):
        data = base64.b64encode((tmp_path / f"{name}.png").read_bytes()).decode()
        assert f'<figure id="{name}"><img src="data:image/png;base64,{data}"' in page
    # text from files and captions is escaped, never markup
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "caption of fig2 &lt;i&gt;" in page and "claim &lt;3&gt;" in page
    # claims: eight rows, verdict classes, the paper's evidence beside them
    claims_table = page.split('<table id="claims-table">')[1].split("</table>")[0]
    assert claims_table.count("<tr>") == 9
    assert '<td class="fails">does not hold</td>' in claims_table and '<td class="notrun">not run</td>' in claims_table
    assert "0.051 (interpolation)" in claims_table
    assert "1 does not hold" in page and "1 inconclusive" in page
    # the judges and the anchors: accuracy and rise against their bars, the attribute short of one named
    sanity_table = page.split('<table id="sanity-table">')[1].split("</table>")[0]
    assert sanity_table.count("<tr>") == 3
    assert "<td>0.905</td><td>0.210</td><td>0.640</td><td>+0.430</td><td class=\"holds\">holds</td>" in sanity_table
    assert ("<td>humor</td><td>0.780</td><td>0.500</td><td>0.550</td><td>+0.050</td><td class=\"fails\">does not "
            "hold</td><td>classifier below 0.8; anchors rise less than 0.2</td>") in sanity_table
    assert "Short of it: humor" in page
    # provenance: wall time per job, the resolved config, the commit
    assert "1.2 s" in page and "not recorded" in page and "seed: 1" in page and "abc123" in page


def test_report_refuses_a_figure_that_is_not_a_png(tmp_path):
    bogus = tmp_path / "fig2.png"
    bogus.write_bytes(b"%PDF-1.4")
    item = rep.Item("fig2", "figure", "c", (), image=bogus)
    with pytest.raises(ValueError, match="not a PNG"):
        rep.render(items=[item], claims=_claims(["holds"] * 8), table1=None, reported=REPORTED, config={},
                   provenance={})


def test_seconds_from_benchmark(tmp_path):
    bench = tmp_path / "b.tsv"
    bench.write_text("s\th:m:s\tmax_rss\n2.5000\t0:00:02\t100\n")
    assert rep.seconds_from_benchmark(bench) == 2.5
    assert rep.seconds_from_benchmark(tmp_path / "missing.tsv") is None


def test_paper_values_beside_tables_2_and_3():
    t2 = pd.DataFrame({"Hyperparameter": ["Batch size", "LoRA r", "Target modules"], "Configured": ["16", "8", "q"]})
    got = rep.with_reported(t2, REPORTED["table2"]).set_index("Hyperparameter")
    assert got.loc["LoRA r", "Paper"] == "32" and got.loc["Target modules", "Paper"] == ""
    t3 = pd.DataFrame({"Attribute": ["Sentiment", "Politeness", "Formality", "Simplicity", "Humor"],
                       "LM class 0": ["1000"] * 5})
    got = rep.with_reported(t3, REPORTED["table3"]).set_index("Attribute")
    assert got.loc["Simplicity", "Paper LM class 0"] == "9000" and got.loc["Humor", "Paper classifier"] == "20000"
    assert len(rep.with_reported(t3.iloc[:1], REPORTED["table3"])) == 1   # a config with fewer attributes
    renamed = t3.assign(Attribute=t3["Attribute"].str.lower())
    with pytest.raises(ValueError, match="none of the rows .* is in the table's 'Attribute' column"):
        rep.with_reported(renamed, REPORTED["table3"])
