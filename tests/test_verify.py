"""`./repro verify` (lminterp/report/verify.py, scripts/verify.py) on hand-made reference and build directories: what passes
within tolerance, what fails and how it is named."""
import subprocess
import sys
from pathlib import Path

import pytest

from lminterp.report import verify as V

ROOT = Path(__file__).resolve().parents[1]
FIG = ("method,attribute,alpha,mean,lo,hi,std,n_empty\n"
       "interp,sentiment,0.000000,0.380576,0.260969,0.500194,0.191132,0\n"
       "interp,sentiment,1.000000,0.699975,0.659943,0.779872,0.105662,0\n")
TABLE = ("Method,Sentiment,Sentiment lo,Sentiment hi,Average,Average lo,Average hi\n"
         "DExperts,0.087,0.021,0.235,0.121,0.087,0.191\n")
CLAIMS = ("claim,statement,targets,verdict,evidence\n"
          '1,Lowest MAE,table1,holds,"average MAE (interp 0.0552); interpolation - dexperts -0.0655 [-0.143, -0.0085]"\n')


def _tree(root: Path, fig=FIG, table=TABLE, claims=CLAIMS) -> Path:
    for name, text in (("figures/fig2.csv", fig), ("tables/table1.csv", table), ("results/claims.csv", claims)):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _verify(tmp_path, **built):
    ref = _tree(tmp_path / "ref")
    build = _tree(tmp_path / "build", **built)
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "verify.py"), "--reference", str(ref),
                           "--directory", str(build)], capture_output=True, text=True)
    return proc.returncode, proc.stdout


def test_identical_files_verify(tmp_path):
    rc, out = _verify(tmp_path)
    assert rc == 0 and sum(line.startswith("identical") for line in out.splitlines()) == 3 and "3 identical, 0 within tolerance, 0 differs" in out


def test_a_difference_below_the_tolerance_passes_and_is_printed(tmp_path):
    # mean of row 2 moved by 0.0005: 0.0005 / 0.059965 = 0.83 % of its half-width (< 1 %)
    rc, out = _verify(tmp_path, fig=FIG.replace("0.699975", "0.700475"))
    assert rc == 0, out
    line = next(line for line in out.splitlines() if "fig2.csv" in line)
    assert line.startswith("within tolerance") and "0.0005" in line and "'mean', row 2" in line and "0.83%" in line


def test_a_difference_above_the_tolerance_fails_naming_file_column_and_row(tmp_path):
    rc, out = _verify(tmp_path, fig=FIG.replace("0.699975", "0.701975"))   # 3.3 % of the half-width
    assert rc == 1
    line = next(line for line in out.splitlines() if "fig2.csv" in line)
    assert line.startswith("DIFFERS") and "'mean', row 2 (interp sentiment)" in line and "0.701975" in line
    assert "1 differs" in out


def test_a_table_cell_uses_its_own_half_width(tmp_path):
    assert _verify(tmp_path, table=TABLE.replace("0.121,", "0.1215,"))[0] == 0      # 1 % of 0.052 = 0.00052
    assert _verify(tmp_path, table=TABLE.replace("0.121,", "0.1225,"))[0] == 1   # > one printed digit


def test_one_printed_digit_is_within_tolerance(tmp_path):
    # a table printed with three decimals cannot agree closer than 0.001; the intervals' own columns too
    assert _verify(tmp_path, table=TABLE.replace("0.021", "0.022"))[0] == 0          # 1 % of 0.107 = 0.00107
    assert _verify(tmp_path, table=TABLE.replace("0.021", "0.023"))[0] == 1


def test_a_changed_verdict_always_fails(tmp_path):
    rc, out = _verify(tmp_path, claims=CLAIMS.replace("holds", "inconclusive"))
    assert rc == 1 and "claim 1 verdict: 'inconclusive', reference 'holds'" in out


def test_numbers_inside_text_pass_within_a_printed_digit_and_words_must_match(tmp_path):
    assert _verify(tmp_path, claims=CLAIMS.replace("-0.0655", "-0.0656"))[0] == 0
    rc, out = _verify(tmp_path, claims=CLAIMS.replace("-0.0655", "-0.0675"))
    assert rc == 1 and "number -0.0675 vs reference -0.0655" in out
    assert _verify(tmp_path, claims=CLAIMS.replace("interp 0.0552", "arith 0.0552"))[0] == 1


def test_a_missing_file_and_a_changed_shape_fail(tmp_path):
    rc, out = _verify(tmp_path, fig=FIG + "interp,sentiment,2.000000,0.8,0.7,0.9,0.1,0\n")
    assert rc == 1 and "shape" in out
    ref = _tree(tmp_path / "r2")
    build = tmp_path / "b2"
    build.mkdir()
    assert {r.status for r in V.compare(build, ref)} == {"missing"}


def test_half_widths_follow_the_columns():
    import pandas as pd

    df = pd.DataFrame({"auc": ["0.1"], "auc_lo": ["0.0"], "auc_hi": ["0.4"], "x": ["1"]})
    hw = V._halfwidths(df)
    assert hw["auc"].iloc[0] == pytest.approx(0.2) and hw["x"].iloc[0] == pytest.approx(0.2)   # the row's first


def test_the_report_s_line_names_the_largest_difference_and_what_was_not_reproduced(tmp_path):
    ref = _tree(tmp_path / "ref")
    build = _tree(tmp_path / "build", fig=FIG.replace("0.699975", "0.700475"),
                  claims=CLAIMS.replace("holds", "inconclusive"))
    line = V.verdict_line(V.compare(build, ref))
    assert line.startswith("3 files: 1 identical, 1 within tolerance, 1 differs")
    assert "largest difference 0.0005 (figures/fig2.csv, 'mean')" in line and "not reproduced: results/claims.csv" in line
