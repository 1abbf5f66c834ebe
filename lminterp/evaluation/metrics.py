"""Score metrics of the paper's evaluation (Kangaslahti & Alvarez-Melis 2024) on already-loaded data (pandas,
no file names, no torch): per-attribute score summaries (mean, and the +-1 std band across prompts) and the mean
absolute error to the ground-truth (GT) fine-tuned models (Table 1).

The other metrics have modules of their own, so that editing one reruns only the jobs that report it
(:mod:`lminterp.workflow.code_deps`): dist-n in :mod:`lminterp.evaluation.diversity`, the baselines' alpha scaling in
:mod:`lminterp.evaluation.scaling`, entanglement in :mod:`lminterp.numbers.entanglement`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

# Alphas are floats read from configs/CSV; they are matched after rounding to this many decimals.
ALPHA_DECIMALS = 9


# --------------------------------------------------------------------------------------------
# Score summaries
# --------------------------------------------------------------------------------------------
def score_summary(df: pd.DataFrame, attributes: Sequence[str], prompt_col: str = "prompt_id",
                  ddof: int = 0) -> pd.DataFrame:
    """Per-attribute score summary of one model's scores table (all curve figures, Table 1).

    ``df`` has one row per generated sample with columns ``prompt_id, sample, <attr>...``, each
    attribute column holding the classifier's P(class 1). Returns a DataFrame indexed by attribute
    (in the given order) with columns

    * ``mean``: mean over all samples (the paper's "score");
    * ``std``: standard deviation across prompts of the per-prompt mean score (the +-1 std band of
      the plots). ``ddof=0`` by default so that it is defined (0) for a single prompt;
    * ``n``: number of non-missing samples; ``n_prompts``: number of prompts with a score.
    """
    missing = [a for a in [prompt_col, *attributes] if a not in df.columns]
    if missing:
        raise KeyError(f"score_summary: columns {missing} missing (have {list(df.columns)})")
    rows = []
    for attr in attributes:
        col = pd.to_numeric(df[attr], errors="raise").astype(float)
        per_prompt = col.groupby(df[prompt_col]).mean().dropna()
        rows.append({
            "attribute": attr,
            "mean": float(col.mean()) if col.notna().any() else float("nan"),
            "std": float(per_prompt.std(ddof=ddof)) if len(per_prompt) > ddof else float("nan"),
            "n": int(col.notna().sum()),
            "n_prompts": int(len(per_prompt)),
        })
    return pd.DataFrame(rows, columns=["attribute", "mean", "std", "n", "n_prompts"]).set_index("attribute")


# --------------------------------------------------------------------------------------------
# Table 1 MAE
# --------------------------------------------------------------------------------------------
def _as_alpha_series(x: Mapping[float, float] | pd.Series, name: str) -> pd.Series:
    s = pd.Series(x, dtype=float) if not isinstance(x, pd.Series) else x.astype(float)
    idx = np.round(np.asarray(s.index, dtype=float), ALPHA_DECIMALS)
    s = pd.Series(s.to_numpy(), index=idx)
    if s.index.has_duplicates:
        raise ValueError(f"{name}: duplicate alpha values {sorted(set(idx[s.index.duplicated()]))}")
    return s


def mae(gt_scores: Mapping[float, float] | pd.Series, method_scores: Mapping[float, float] | pd.Series) -> float:
    """Mean absolute error between GT and a method's scores at corresponding alpha (Table 1).

    Both arguments map alpha -> mean score (dict or Series indexed by alpha; alphas are matched after
    rounding to 9 decimals). Every GT alpha must have a method score (otherwise ValueError); extra
    method alphas are ignored. For the baselines pass the scores at *scaled* alpha.
    """
    gt = _as_alpha_series(gt_scores, "gt_scores")
    me = _as_alpha_series(method_scores, "method_scores")
    if gt.empty:
        raise ValueError("mae: gt_scores is empty")
    missing = gt.index.difference(me.index)
    if len(missing):
        raise ValueError(f"mae: method has no score at GT alphas {sorted(missing.tolist())}")
    diff = (gt - me.reindex(gt.index)).abs()
    if diff.isna().any():
        raise ValueError("mae: missing (NaN) scores")
    return float(diff.mean())
