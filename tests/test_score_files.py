"""Empty continuations: counted per set, left out of every mean (as METHODS documents), reported in the CSVs."""
import numpy as np
import pandas as pd
import pytest

from lminterp import specs as S
from lminterp.numbers.curves import score_curves
from lminterp.evaluation.results import ResultFiles
from lminterp.evaluation.score_files import score_table

STATS = {"replicates": 200, "level": 0.95, "seed": 0}


def test_empty_continuations_have_no_scores():
    records = [{"prompt_id": 0, "sample": 0, "continuation": " it was fine ."},
               {"prompt_id": 0, "sample": 1, "continuation": "   "},
               {"prompt_id": 1, "sample": 0, "continuation": ""}]
    table = score_table(records, {"humor": [0.9, 0.985, 0.985]}, oracle=lambda text: {"humor": 1.0})
    assert table["empty"].tolist() == [0, 1, 1]
    assert table["humor"].tolist()[0] == 0.9 and table["humor"].isna().tolist() == [False, True, True]
    assert table["oracle_humor"].isna().tolist() == [False, True, True]
    with pytest.raises(ValueError, match="2 scores"):
        score_table(records, {"humor": [0.1, 0.2]})


def test_means_leave_empty_texts_out_and_count_them(tmp_path):
    order = ["humor"]
    spec = S.make("interp", order, ("humor", 1))
    records = [{"prompt_id": p, "sample": j, "continuation": "" if (p, j) == (1, 1) else "ha ha"}
               for p in range(3) for j in range(2)]
    table = score_table(records, {"humor": [0.2, 0.4, 0.6, 0.99, 0.8, 1.0]})
    path = tmp_path / f"{spec.name}.csv"
    table.to_csv(path, index=False)
    got = score_curves(ResultFiles(scores=[path]), {"interp": {"humor": [spec]}}, STATS)
    row = got.iloc[0]
    assert row["mean"] == pytest.approx(np.mean([0.2, 0.4, 0.6, 0.8, 1.0]))   # the empty text's 0.99 is not in it
    assert row["n_empty"] == 1 and row["lo"] <= row["mean"] <= row["hi"]
    assert set(got.columns) >= {"method", "attribute", "alpha", "mean", "lo", "hi", "std", "n_empty"}
