"""The diversity figures, drawn with the curve panels of :mod:`lminterp.figures.curves` from the figures' CSVs
(:mod:`lminterp.numbers.diversity`): dist-1/2/3 vs alpha (fig11) and dist-n of the prompted and GT models (fig12-14)."""
from __future__ import annotations

import os
from collections.abc import Mapping

import pandas as pd

from lminterp.figures.curves import plot_diversity_curves, plot_metric_curves, regions_of


def diversity_figure(table: pd.DataFrame, out_pdf: str | os.PathLike, cfg: Mapping) -> None:
    """fig11: dist-1/2/3 vs alpha."""
    plot_diversity_curves(table, cfg["attributes"], out_pdf, regions=regions_of(cfg),
                          title="Diversity (dist-n) vs alpha")


def prompted_diversity_figure(table: pd.DataFrame, out_pdf: str | os.PathLike, cfg: Mapping, n: int) -> None:
    """fig12-14: dist-n vs alpha, the GT models and the prompted model."""
    plot_metric_curves(table, cfg["attributes"], out_pdf, metric_label=f"Dist-{n}", methods=["gt", "prompted"],
                       title=f"Dist-{n} vs alpha: the prompted model and the GT models")


