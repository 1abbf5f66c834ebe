"""The prompted model beside the GT models (fig9): score vs the level asked for, drawn with the
curve panels of :mod:`lminterp.figures.curves` from the figure's CSV (:mod:`lminterp.numbers.prompted`)."""
from __future__ import annotations

import os
from collections.abc import Mapping

import pandas as pd

from lminterp.figures.curves import plot_score_curves


def prompted_score_figure(table: pd.DataFrame, out_pdf: str | os.PathLike, cfg: Mapping) -> None:
    """fig9: score vs alpha, the GT models and the prompted model asked for level alpha."""
    plot_score_curves(table, cfg["attributes"], out_pdf, methods=["gt", "prompted"],
                      x_label=r"$\alpha$ (GT: class-1 fraction; prompted: level asked for)",
                      title="Asking for a level vs fine-tuning on it: score vs alpha")



