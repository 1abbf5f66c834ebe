"""n-gram diversity dist-1/2/3 (paper Sec. 2.4, Table 1, Figs. 11-14), DExperts' definition, per model and with
bootstrap replicates over prompts. No torch. Kept apart from the score metrics so that editing it reruns only the jobs
that report diversity (see :mod:`lminterp.workflow.code_deps`)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lminterp.evaluation.intervals import prompt_bootstrap
from lminterp.evaluation.results import ResultFiles, read_generations
from lminterp.specs import Spec


def _ngrams(tokens: list[str], n: int) -> Iterable[tuple[str, ...]]:
    return (tuple(tokens[k : k + n]) for k in range(len(tokens) - n + 1))


def dist_n_prompt(samples: Sequence[str], n: int) -> float:
    """dist-n of the samples of ONE prompt: #distinct n-grams / #words, pooled over the samples.

    Tokenisation is ``str.split()`` (whitespace). n-grams never cross sample boundaries. The
    denominator is the total word count for every n (DExperts' definition, Liu et al. 2021).
    Returns NaN when the samples contain no words at all.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    distinct: set[tuple[str, ...]] = set()
    total_words = 0
    for text in samples:
        tokens = str(text).split()
        total_words += len(tokens)
        distinct.update(_ngrams(tokens, n))
    return len(distinct) / total_words if total_words else float("nan")


def dist_n(samples_by_prompt: Mapping[Any, Sequence[str]] | Sequence[Sequence[str]], n: int) -> float:
    """Mean over prompts of dist-n (Sec. 2.4; Table 1 Dist-1/2/3; Figs. 11-14).

    Follows DExperts' ``distinctness``: for each prompt, pool all of its generated samples, count the
    distinct n-grams (whitespace tokenisation, ``str.split()``; n-grams within one sample only) and
    divide by the total number of words of those samples; then average over prompts.

    ``samples_by_prompt`` is a dict ``prompt_id -> list of sample texts`` or a list of such lists.
    Prompts whose samples contain no words are skipped (like DExperts' ``nanmean``); if no prompt has
    any word the result is NaN (a degenerate model, e.g. far extrapolation, not an error).
    """
    groups = list(samples_by_prompt.values()) if isinstance(samples_by_prompt, Mapping) else list(samples_by_prompt)
    if not groups:
        raise ValueError("dist_n: no prompts given")
    for g in groups:
        if isinstance(g, str):
            raise TypeError("dist_n: each prompt must map to a list of sample strings, not a string")
    values = np.array([dist_n_prompt(g, n) for g in groups], dtype=float)
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def group_samples(df: pd.DataFrame, text_col: str = "text", prompt_col: str = "prompt_id") -> dict[Any, list[str]]:
    """Group a generations table (one row per sample) into ``{prompt_id: [texts]}`` for :func:`dist_n`.

    Rows are kept in table order within a prompt; missing texts count as empty strings.
    """
    for col in (text_col, prompt_col):
        if col not in df.columns:
            raise KeyError(f"group_samples: column {col!r} missing (have {list(df.columns)})")
    texts = df[text_col].fillna("").astype(str)
    return {pid: list(g) for pid, g in texts.groupby(df[prompt_col], sort=True)}


def diversity(samples_by_prompt: Mapping[Any, Sequence[str]] | Sequence[Sequence[str]],
              ns: Sequence[int] = (1, 2, 3)) -> dict[str, float]:
    """``{"dist_1": ..., "dist_2": ..., "dist_3": ...}`` (Table 1 diversity columns)."""
    return {f"dist_{n}": dist_n(samples_by_prompt, n) for n in ns}


def per_prompt_diversity(files: ResultFiles, spec: Spec, ns: Sequence[int] = (1, 2, 3)) -> pd.DataFrame:
    """dist-n of each prompt's samples of a model's generation set: columns prompt_id, dist_1, dist_2, dist_3
    (NaN for a prompt whose samples hold no word)."""
    groups = group_samples(read_generations(files, spec), text_col="continuation")
    return pd.DataFrame([{"prompt_id": pid, **{f"dist_{n}": dist_n_prompt(texts, n) for n in ns}}
                         for pid, texts in groups.items()])


def diversity_replicates(files: ResultFiles, specs: Sequence[Spec], stats: dict):
    """dist-1/2/3 of each model (mean over prompts of the per-prompt value, as :func:`dist_n`) and their
    replicates, resampling prompts (the same draws for every model): (bootstrap, {spec: {dist_n: (value,
    replicates)}})."""
    tables = {s: per_prompt_diversity(files, s) for s in specs}
    boot = prompt_bootstrap(list(tables.values()), stats)
    out = {s: {k: boot.mean(t[k], t["prompt_id"]) for k in ("dist_1", "dist_2", "dist_3")} for s, t in tables.items()}
    return boot, out


