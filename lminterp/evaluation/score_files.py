"""A model's score file: one row per generated sample with every attribute's classifier score (and, in the tiny
world, the oracle's true values). An empty continuation (no word) has nothing to judge: its row says `empty` = 1
and carries no scores (NaN), so every mean leaves it out; figure CSVs report how many were left out."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd


def is_empty(text: str) -> bool:
    return not str(text).split()


def score_table(records: Sequence[dict], scores: Mapping[str, Sequence[float]],
                oracle: Callable[[str], Mapping[str, float]] | None = None,
                oracle_attributes: Sequence[str] | None = None) -> pd.DataFrame:
    """The score file of one generation set: ``records`` its rows (prompt_id, sample, continuation), ``scores``
    attribute -> the classifier's P(class 1) per record, ``oracle`` text -> true attribute values (tiny world), for
    ``oracle_attributes`` (default: every scored attribute; the tiny world's generator defines only its own)."""
    empty = np.array([is_empty(r["continuation"]) for r in records], dtype=bool)
    table = pd.DataFrame({"prompt_id": [r["prompt_id"] for r in records], "sample": [r["sample"] for r in records],
                          "n_words": [len(r["continuation"].split()) for r in records],
                          "empty": empty.astype(int)})
    for attribute, values in scores.items():
        values = np.asarray(values, dtype=float)
        if values.shape != (len(records),):
            raise ValueError(f"score_table: {len(values)} scores of {attribute} for {len(records)} texts")
        table[attribute] = np.where(empty, np.nan, values)
    if oracle is not None:
        truth = [oracle(r["continuation"]) for r in records]
        for attribute in (scores if oracle_attributes is None else oracle_attributes):
            table[f"oracle_{attribute}"] = np.where(empty, np.nan, [o[attribute] for o in truth])
    return table
