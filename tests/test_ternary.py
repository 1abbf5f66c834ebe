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


def _area(polygon):
    x, y = polygon[:, 0], polygon[:, 1]
    return 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


@pytest.mark.parametrize("n", [3, 6])
def test_cells_tile_the_triangle_and_every_number_sits_inside_its_cell(n):
    """The cells cut to the triangle tile it exactly (areas add up to the triangle's), and each value is written at
    the centre of its cut cell, inside the triangle (none on an edge or a corner, where it would be cut off)."""
    points = np.array(S.simplex_lattice(n)) / n
    cut = [T._cut_to_triangle(c) for c in T._cells(T.to_xy(points), n)]
    assert sum(_area(c) for c in cut) == pytest.approx(np.sqrt(3) / 4, rel=1e-9)
    lam = np.linalg.solve(np.vstack([T.TRIANGLE.T, np.ones(3)]), np.vstack([np.array([T._centroid(c) for c in cut]).T,
                                                                          np.ones(len(cut))]))
    assert (lam > 1e-3).all()                      # barycentric coordinates of every label: strictly inside
    corner = cut[[tuple(p) for p in points].index((1.0, 0.0, 0.0))]
    assert _area(corner) == pytest.approx(np.sqrt(3) / (2 * n * n) / 6, rel=1e-9)   # a sixth of a hexagon
