"""The ternary heat maps: geometry, one cell per lattice point, and byte-identical PDFs."""
import numpy as np
import pandas as pd
import pytest

from lminterp import specs as S
from lminterp.figures import multi_attribute as T

TRIPLE = ("sentiment", "politeness", "humor")


def test_corners_and_cells():
    xy = T.to_xy(np.eye(3))
    assert np.allclose(xy, [[0.5, np.sqrt(3) / 2], [0, 0], [1, 0]])
    points = np.array(S.simplex_lattice(4)) / 4
    cells = T._cells(T.to_xy(points), 4)
    # neighbouring lattice points' hexagons share an edge: their centres are one lattice step (1/4) apart and
    # each hexagon's inradius is half of that
    centre, hexagon = T.to_xy(points[:1])[0], cells[0]
    assert np.allclose(np.linalg.norm(hexagon - centre, axis=1), 0.25 / np.sqrt(3))
    assert T._divisions(points) == 4
    with pytest.raises(ValueError, match="lattice"):
        T._divisions(np.array([[0.3, 0.3, 0.4], [0.25, 0.25, 0.5]]))


def _table(n=4):
    rows = []
    for point in S.simplex_lattice(n):
        lam = dict(zip(TRIPLE, np.array(point) / n))
        for a in TRIPLE:
            rows.append({"attribute": a, **{f"lambda_{b}": lam[b] for b in TRIPLE}, "mean": 0.2 + 0.6 * lam[a]})
    return pd.DataFrame(rows)


def test_score_figure_is_deterministic(tmp_path):
    for k in range(2):
        T.simplex_score_figure(_table(), tmp_path / f"f{k}.pdf", {}, TRIPLE, 1.0)
    a, b = (tmp_path / "f0.pdf").read_bytes(), (tmp_path / "f1.pdf").read_bytes()
    assert a == b and len(a) > 5000


def test_perplexity_figure(tmp_path):
    t = _table(6).rename(columns={"mean": "value"})
    t = pd.concat([t[t["attribute"] == "humor"].assign(alpha=x) for x in (0.0, 0.5, 1.0)]).drop(columns="attribute")
    T.simplex_perplexity_figure(t, tmp_path / "p.pdf", {}, TRIPLE, (0.0, 0.5, 1.0))
    assert (tmp_path / "p.pdf").stat().st_size > 5000
