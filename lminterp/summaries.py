"""Per-model summaries read back from the workflow's files (no torch): mean scores, diversity,
perplexity, and the long tables behind the single-attribute figures and Table 1."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from lminterp.io import read_jsonl
from lminterp.metrics import diversity, group_samples, mae, score_summary
from lminterp.specs import Spec


class ResultFiles:
    """A job's input files, found by spec: every per-model file is named by its canonical spec name, so the
    file stem is the key (the paths themselves come from the rule's inputs, never rebuilt here)."""

    def __init__(self, scores=(), generations=(), perplexity=()):
        self._files = {kind: {Path(f).stem: Path(f) for f in paths}
                       for kind, paths in (("scores", scores), ("generations", generations), ("perplexity", perplexity))}

    def _get(self, kind: str, spec: Spec) -> Path:
        try:
            return self._files[kind][spec.name]
        except KeyError:
            raise KeyError(f"no {kind} file for model {spec.name} among this job's inputs") from None

    def scores(self, spec: Spec) -> Path:
        return self._get("scores", spec)

    def generations(self, spec: Spec) -> Path:
        return self._get("generations", spec)

    def perplexity(self, spec: Spec) -> Path:
        return self._get("perplexity", spec)


def score_stats(files: ResultFiles, spec: Spec, attribute: str) -> dict:
    """Mean score of `attribute` over all samples, and std across prompts of the per-prompt mean."""
    summary = score_summary(pd.read_csv(files.scores(spec)), [attribute])
    return {"mean": float(summary.loc[attribute, "mean"]), "std": float(summary.loc[attribute, "std"])}


def diversity_stats(files: ResultFiles, spec: Spec) -> dict:
    """dist-1/2/3 of a generation set (per prompt over its samples, mean over prompts)."""
    records = pd.DataFrame(read_jsonl(files.generations(spec)))
    return diversity(group_samples(records, text_col="continuation"))


def perplexity_of(files: ResultFiles, spec: Spec) -> float:
    return float(json.loads(files.perplexity(spec).read_text())["perplexity"])


def score_curves(files: ResultFiles, specs_by_method: dict[str, dict[str, list[Spec]]]) -> pd.DataFrame:
    """Long table: method, attribute, alpha, mean, std (the attribute's own score)."""
    rows = []
    for method, by_attr in specs_by_method.items():
        for attribute, specs in by_attr.items():
            for spec in specs:
                rows.append({"method": method, "attribute": attribute, "alpha": spec.alpha(attribute),
                             **score_stats(files, spec, attribute)})
    return pd.DataFrame(rows)


def table1_inputs(files: ResultFiles, specs_by_method: dict[str, dict[str, list[Spec]]], attributes: list[str]):
    """MAE to GT per method and attribute (paired by alpha), and perplexity / dist-n averaged over the grid."""
    means = {m: {a: {spec.alpha(a): score_stats(files, spec, a)["mean"] for spec in specs}
                 for a, specs in by_attr.items()} for m, by_attr in specs_by_method.items()}
    mae_rows = {m: {a: mae(means["gt"][a], means[m][a]) for a in attributes} for m in specs_by_method if m != "gt"}
    quality_rows = {}
    for m, by_attr in specs_by_method.items():
        specs = [s for ss in by_attr.values() for s in ss]
        div = [diversity_stats(files, s) for s in specs]
        quality_rows[m] = {"perplexity": float(np.mean([perplexity_of(files, s) for s in specs])),
                           **{k: float(np.mean([d[k] for d in div])) for k in ("dist_1", "dist_2", "dist_3")}}
    return mae_rows, quality_rows
