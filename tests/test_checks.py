"""The GT monotonicity check on planted score files: a rise passes, a flat or falling curve fails."""
import numpy as np
import pytest

from lminterp import specs as S
from lminterp.numbers.curves import gt_monotonicity
from lminterp.evaluation.results import ResultFiles
from lminterp.evaluation.score_files import score_table

CFG = {"attributes": ["humor"], "single_attribute": {"alphas": [0.0, 0.5, 1.0]},
       "statistics": {"replicates": 500, "level": 0.95, "seed": 0}}


def _files(tmp_path, means):
    rng = np.random.default_rng(0)
    paths = []
    for spec, mean in zip(S.single_attribute_specs(CFG)["gt"]["humor"], means):
        records = [{"prompt_id": p, "sample": j, "continuation": "ha"} for p in range(20) for j in range(3)]
        scores = np.clip(mean + rng.normal(0, 0.1, len(records)), 0, 1)
        path = tmp_path / f"{spec.name}.csv"
        score_table(records, {"humor": scores}).to_csv(path, index=False)
        paths.append(path)
    return ResultFiles(scores=paths)


@pytest.mark.parametrize("means, passed", [((0.1, 0.5, 0.9), True),      # a clear rise
                                           ((0.1, 0.45, 0.5), True),     # rising, one small step
                                           ((0.5, 0.5, 0.5), False),     # flat: no significant rise
                                           ((0.1, 0.8, 0.4), False)])    # a significant fall
def test_gt_monotonicity(tmp_path, means, passed):
    got = gt_monotonicity(_files(tmp_path, means), CFG)
    assert got["passed"] is passed, got
    assert got["failed"] is (means == (0.1, 0.8, 0.4)), got        # only a significant fall contradicts it
    assert len(got["gt_spearman"]["humor"]["step_intervals"]) == 2
