"""What every figure shares: matplotlib's Agg backend, fonts and sizes, how each method is drawn, one palette,
the simplex triangle's corners, and byte-reproducible saving (PDF + PNG). No torch, no result files."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from lminterp.io import atomic_path  # noqa: E402
from lminterp.labels import METHOD_LABELS, canonical_method  # noqa: E402


@dataclass(frozen=True)
class MethodStyle:
    """How one line is drawn in every figure."""

    label: str
    color: str
    marker: str
    linestyle: str


# Okabe-Ito colour-blind-safe colours, in the order figures with one colour per attribute use them.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")

# GT in black (it is the reference in Fig. 2 / Table 1).
METHOD_STYLES: dict[str, MethodStyle] = {
    key: MethodStyle(METHOD_LABELS[key], color, marker, linestyle)
    for key, color, marker, linestyle in (("interp", PALETTE[0], "o", "-"), ("dexperts", PALETTE[1], "s", "--"),
                                          ("arith", PALETTE[2], "^", "-."), ("gt", "#000000", "D", ":"),
                                          ("prompted", PALETTE[3], "v", "--"))
}

# The corners of a simplex of three attributes: top, bottom left, bottom right (lambda_1, lambda_2, lambda_3).
TRIANGLE = np.array([[0.5, np.sqrt(3.0) / 2.0], [0.0, 0.0], [1.0, 0.0]])


def to_xy(lambdas: np.ndarray) -> np.ndarray:
    """Barycentric coordinates (N, 3) -> points (N, 2) in :data:`TRIANGLE`."""
    return np.asarray(lambdas, dtype=float) @ TRIANGLE


# Base rcParams of every figure: readable sizes, TrueType fonts in PDFs (editable, deterministic).
STYLE_RC: dict[str, object] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 12,
    "pdf.fonttype": 42,
    "axes.spines.top": False,
    "axes.spines.right": False,
}



def method_style(key: str) -> MethodStyle:
    """Style of a method; unknown methods get a grey style labelled with their key."""
    return METHOD_STYLES.get(canonical_method(key), MethodStyle(str(key), "#7F7F7F", "x", "-"))



@contextlib.contextmanager
def style() -> Iterator[None]:
    """Context in which every figure of the package is drawn (does not leak global rcParams)."""
    with plt.rc_context(STYLE_RC):
        yield



PNG_DPI = 110   # the PNG beside each PDF: what the HTML reports show (browsers do not draw PDFs in <img>)



def save_figure(fig: plt.Figure, out_pdf: str | os.PathLike) -> None:
    """Write ``fig`` atomically as a byte-reproducible PDF (no CreationDate) and, beside it, the same figure as
    a PNG (same stem) for the reports; then close it."""
    try:
        with atomic_path(out_pdf) as tmp:
            fig.savefig(tmp, format="pdf", metadata={"CreationDate": None})
        with atomic_path(Path(out_pdf).with_suffix(".png")) as tmp:
            fig.savefig(tmp, format="png", dpi=PNG_DPI, metadata={"Software": None})
    finally:
        plt.close(fig)

