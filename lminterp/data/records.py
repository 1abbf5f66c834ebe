"""Data files of every world: seeded random streams per file, JSONL written by `datasets`, the texts of a
ground-truth mixture (no generator of the tiny world here, so a world of real data does not depend on it)."""
from __future__ import annotations

import contextlib
import hashlib
import os
from typing import Sequence

import numpy as np

from lminterp.io import atomic_path, write_text

SPLITS = ("train", "validation", "test")
# written last into each asset of the download cache (a hub dataset or model, a wheel): the asset is complete
DOWNLOAD_MARKER = ".lminterp-download.json"


def stable_hash(name: str) -> int:
    """A 64-bit hash of `name` that is the same in every process (unlike ``hash()``)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


def file_rng(seed: int, name: str) -> np.random.Generator:
    """The random stream of one data file."""
    return np.random.default_rng([int(seed), stable_hash(name)])


@contextlib.contextmanager
def quiet_datasets():
    """Within the block, the `datasets` library shows no progress bars (jobs' logs stay readable)."""
    import datasets

    was_enabled = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield datasets
    finally:
        if was_enabled:
            datasets.enable_progress_bars()


def write_records(path: str | os.PathLike, records: list[dict]) -> None:
    """Write JSONL with `datasets` (one compact JSON object per line), atomically."""
    if not records:
        write_text(path, "")
        return
    with quiet_datasets() as datasets, atomic_path(path) as tmp:
        datasets.Dataset.from_list(records).to_json(str(tmp), lines=True)


def mixture_texts(class0_texts: Sequence[str], class1_texts: Sequence[str], alpha: float, seed: int) -> list[str]:
    """Training texts of a ground-truth mixture adapter: an `alpha` fraction from class 1 and the rest from
    class 0, as many texts as one class's LM split (the anchors' data size), in a seeded random order.

    Uses round(alpha * n) class-1 texts, n = min(len(class0), len(class1)); alpha must lie in [0, 1]."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"a mixture's class-1 fraction must lie in [0, 1], got {alpha}")
    n = min(len(class0_texts), len(class1_texts))
    if n == 0:
        raise ValueError("mixture_texts: both classes need texts")
    k1 = int(round(alpha * n))
    rng = np.random.default_rng([seed, stable_hash(f"mixture:{alpha:.6f}")])
    pick1 = rng.permutation(len(class1_texts))[:k1]
    pick0 = rng.permutation(len(class0_texts))[: n - k1]
    texts = [class1_texts[i] for i in pick1] + [class0_texts[i] for i in pick0]
    return [texts[i] for i in rng.permutation(len(texts))]
