"""A job's per-model input files, found by spec, and the per-model numbers read back from them (no torch).

Every per-model file is named by its canonical spec name (`lminterp.specs`), so the file stem is the key; the
paths themselves come from the rule's inputs and are never rebuilt here."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from lminterp.io import read_jsonl
from lminterp.specs import Spec, anchor_name

# the kinds of per-model file a figure or table can read ("adapters": the anchors' adapter directories), and
# "files": any other result file, named by its path relative to the results directory (data/lm/humor/1.jsonl)
MODEL_KINDS = ("scores", "generations", "perplexity", "adapters")
KINDS = MODEL_KINDS + ("files",)


class ResultFiles:
    """The per-model files among a job's inputs, by kind (`KINDS`) and spec."""

    def __init__(self, scores=(), generations=(), perplexity=(), adapters=(), files=()):
        self._files = {kind: {Path(f).stem: Path(f) for f in paths}
                       for kind, paths in (("scores", scores), ("generations", generations), ("perplexity", perplexity))}
        self._files["adapters"] = {Path(d).name: Path(d) for d in adapters}   # by anchor name, e.g. humor-1
        self._other = [Path(f) for f in files]
        self.cache: dict = {}   # tables already read, by (kind, spec name)

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

    def file(self, relpath: str) -> Path:
        """A result file by its path relative to the results directory, e.g. ``"data/lm/humor/1.jsonl"``."""
        want = Path(relpath).parts
        found = [p for p in self._other if p.parts[-len(want):] == want]
        if len(found) != 1:
            raise KeyError(f"{'no' if not found else 'more than one'} file {relpath} among this job's inputs")
        return found[0]

    def adapter(self, attribute: str, pole: int) -> Path:
        name = anchor_name(attribute, pole)
        try:
            return self._files["adapters"][name]
        except KeyError:
            raise KeyError(f"no adapter directory {name} among this job's inputs") from None


def _cached(files: ResultFiles, kind: str, spec: Spec, read):
    key = (kind, spec.name)
    if key not in files.cache:
        files.cache[key] = read(getattr(files, kind)(spec))
    return files.cache[key]


def read_scores(files: ResultFiles, spec: Spec) -> pd.DataFrame:
    """The score table of a model: one row per generated sample (prompt_id, sample, n_words, empty, one column
    per attribute; an empty continuation's scores are NaN)."""
    return _cached(files, "scores", spec, pd.read_csv)


def read_generations(files: ResultFiles, spec: Spec) -> pd.DataFrame:
    """The generation set of a model: one row per sample (prompt_id, sample, prompt, continuation)."""
    return _cached(files, "generations", spec, lambda path: pd.DataFrame(read_jsonl(path)))


def read_perplexity(files: ResultFiles, spec: Spec) -> dict:
    """A model's perplexity record (perplexity, nll_sum, n_scored_tokens, and per window: window_nll,
    window_tokens)."""
    return _cached(files, "perplexity", spec, lambda path: json.loads(path.read_text()))
