"""The tiny world's data files.

:func:`write_tiny_world` writes, under ``out_dir``::

    pretrain.jsonl                       {"text"}            mixed corpus; a share carries a descriptor
    lm/{attribute}/{cls}.jsonl           {"text"}            opener + continuation, attribute fixed to cls
    classifier/{attribute}/{split}.jsonl {"text", "label"}   continuations only, balanced, shuffled
    prompts.jsonl                        {"prompt_id", "prompt"}   distinct openers
    perplexity.txt                       one text per line (joint distribution, no descriptors)

Every file draws from its own random stream, seeded by ``[seed, stable_hash(file name)]``, so adding
or removing an attribute leaves the other files unchanged, and two calls with the same arguments
give byte-identical files. The classifier splits of an attribute never contain a continuation of
that attribute's LM split, nor one of an earlier classifier split (train, then validation, then
test); a third of the training texts are cut to 50-100% of their words, as generations are cut at
``max_new_tokens``. JSONL files are written by the `datasets` library (byte-deterministic).
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from lminterp.data.instructions import instruction_text
from lminterp.data.records import SPLITS, file_rng, write_records
from lminterp.io import write_text
from lminterp.data.world import (ATTRIBUTES, WorldSpec, continuation_words, make_continuation, make_opener, make_text,
                                  sample_values)

TRUNCATED_SHARE = 1 / 3          # share of classifier training texts that are cut
TRUNCATE_RANGE = (0.5, 1.0)      # kept share of the words of a cut text


def check_attributes(attributes: Iterable[str]) -> list[str]:
    attributes = list(attributes)
    for a in attributes:
        if a not in ATTRIBUTES:
            raise ValueError(f"unknown attribute {a!r}: the tiny world realises only {', '.join(ATTRIBUTES)}")
    dup = sorted({a for a in attributes if attributes.count(a) > 1})
    if dup:
        raise ValueError(f"attribute(s) listed twice: {', '.join(dup)}")
    return attributes


def _check_count(name: str, n) -> int:
    if isinstance(n, bool) or int(n) != n or n < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {n!r}")
    return int(n)


# ----------------------------------------------------------------------------------------------
# Building the records (pure; no files)
# ----------------------------------------------------------------------------------------------

def pretrain_records(seed: int, spec: WorldSpec, n: int) -> list[dict]:
    """The pretraining corpus: texts from the joint distribution, a share with a descriptor (a system prompt) and,
    with ``spec.instruction_fraction`` > 0, a share with a numeric-level instruction whose attribute takes class
    1 with probability = level (the tiny world's prompted model, paper/METHODS.md)."""
    rng = file_rng(seed, "pretrain")
    instructed = sorted(spec.class_names, key=list(ATTRIBUTES).index)
    out = []
    for _ in range(n):
        if spec.instruction_fraction > 0 and rng.random() < spec.instruction_fraction:
            attr = instructed[int(rng.random() * len(instructed))]
            level = spec.instruction_levels[int(rng.random() * len(spec.instruction_levels))]
            values = sample_values(rng, spec, fixed={attr: int(rng.random() < level)})
            head = instruction_text(spec.instruction, attr, level, spec.class_names[attr])
            out.append({"text": head + " " + make_text(rng, spec, values)})
            continue
        values = sample_values(rng, spec)
        with_descriptor = bool(rng.random() < spec.descriptor_fraction)
        out.append({"text": make_text(rng, spec, values, with_descriptor=with_descriptor)})
    return out


def lm_texts(seed: int, spec: WorldSpec, attribute: str, cls: int, n: int) -> list[tuple[str, str]]:
    """(opener, continuation) pairs with `attribute` fixed to `cls`, the others from the joint
    distribution conditioned on it."""
    rng = file_rng(seed, f"lm/{attribute}/{cls}")
    out = []
    for _ in range(n):
        values = sample_values(rng, spec, {attribute: cls})
        out.append((make_opener(rng), make_continuation(rng, values)))
    return out


def classifier_records(seed: int, spec: WorldSpec, attribute: str, split: str, n_per_class: int,
                       exclude: set[str], independent: bool = False) -> tuple[list[dict], set[str]]:
    """Balanced, shuffled {"text", "label"} continuations of `attribute`, none in `exclude`.

    Returns the records and the set of (uncut) continuations used. With `independent`, the other
    attributes are drawn independently of the label instead of from the conditional joint.
    """
    rng = file_rng(seed, f"classifier/{attribute}/{split}")
    draw_spec = WorldSpec() if independent else spec
    used: set[str] = set()
    records = []
    for cls in (0, 1):
        attempts = 0
        kept = 0
        while kept < n_per_class:
            attempts += 1
            if attempts > 100 * n_per_class + 1000:
                raise RuntimeError(f"could not draw {n_per_class} distinct continuations for "
                                   f"{attribute}={cls} ({split}) outside the excluded texts")
            text = make_continuation(rng, sample_values(rng, draw_spec, {attribute: cls}))
            if text in exclude or text in used:
                continue
            used.add(text)
            records.append({"text": text, "label": cls})
            kept += 1
    order = rng.permutation(len(records))
    records = [records[i] for i in order]
    if split == "train" and records:
        n_cut = int(round(len(records) * TRUNCATED_SHARE))
        lo, hi = TRUNCATE_RANGE
        for i in sorted(rng.permutation(len(records))[:n_cut].tolist()):
            words = records[i]["text"].split()
            keep = max(1, math.ceil((lo + (hi - lo) * rng.random()) * len(words)))
            records[i] = {"text": " ".join(words[:keep]), "label": records[i]["label"]}
    return records, used


def prompt_records(seed: int, n: int) -> list[dict]:
    rng = file_rng(seed, "prompts")
    seen: set[str] = set()
    out = []
    attempts = 0
    while len(out) < n:
        attempts += 1
        if attempts > 100 * n + 1000:
            raise RuntimeError(f"could not draw {n} distinct prompts")
        opener = make_opener(rng)
        if opener in seen:
            continue
        seen.add(opener)
        out.append({"prompt_id": len(out), "prompt": opener})
    return out


def perplexity_text(seed: int, spec: WorldSpec, n: int) -> str:
    rng = file_rng(seed, "perplexity")
    texts = [make_text(rng, spec, sample_values(rng, spec), with_descriptor=False) for _ in range(n)]
    return "".join(t + "\n" for t in texts)


def build_tiny_world(*, seed: int, spec: WorldSpec, attributes: list[str], n_pretrain: int,
                     n_lm_per_class: int, n_classifier_per_class: Mapping[str, int], n_prompts: int | None,
                     n_perplexity_texts: int, classifier_independent: bool = False) -> dict:
    """All files' contents: relative path -> list of records (JSONL) or str (text). ``n_prompts=None`` leaves the
    prompts out (the workflow writes them in a job of their own: each file has its own random stream, so the
    other files do not depend on the prompt count)."""
    attributes = check_attributes(attributes)
    if set(n_classifier_per_class) != set(SPLITS):
        raise ValueError(f"n_classifier_per_class needs exactly the keys {', '.join(SPLITS)}, "
                         f"got {', '.join(map(str, n_classifier_per_class))}")
    n_cls = {s: _check_count(f"n_classifier_per_class[{s!r}]", n_classifier_per_class[s]) for s in SPLITS}
    n_pretrain = _check_count("n_pretrain", n_pretrain)
    n_lm_per_class = _check_count("n_lm_per_class", n_lm_per_class)
    n_prompts = None if n_prompts is None else _check_count("n_prompts", n_prompts)
    n_perplexity_texts = _check_count("n_perplexity_texts", n_perplexity_texts)

    files: dict = {"pretrain.jsonl": pretrain_records(seed, spec, n_pretrain)}
    for attr in attributes:
        exclude: set[str] = set()
        for cls in (0, 1):
            pairs = lm_texts(seed, spec, attr, cls, n_lm_per_class)
            files[f"lm/{attr}/{cls}.jsonl"] = [{"text": f"{o} {c}"} for o, c in pairs]
            exclude.update(c for _, c in pairs)
        for split in SPLITS:
            records, used = classifier_records(seed, spec, attr, split, n_cls[split], exclude,
                                               independent=classifier_independent)
            files[f"classifier/{attr}/{split}.jsonl"] = records
            exclude |= used
    if n_prompts is not None:
        files["prompts.jsonl"] = prompt_records(seed, n_prompts)
    files["perplexity.txt"] = perplexity_text(seed, spec, n_perplexity_texts)
    return files


# ----------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------



def write_tiny_world(out_dir: str | os.PathLike, *, seed: int, spec: WorldSpec, attributes: list[str],
                     n_pretrain: int, n_lm_per_class: int, n_classifier_per_class: Mapping[str, int],
                     n_prompts: int | None, n_perplexity_texts: int, classifier_independent: bool = False,
                     include: Iterable[str] | None = None) -> dict:
    """Build and write the tiny world's data files (only those in `include`, relative paths, when given: the others
    come from sources of their own); return a summary (counts per file and a few corpus statistics)."""
    files = build_tiny_world(seed=seed, spec=spec, attributes=attributes, n_pretrain=n_pretrain,
                             n_lm_per_class=n_lm_per_class, n_classifier_per_class=n_classifier_per_class,
                             n_prompts=n_prompts, n_perplexity_texts=n_perplexity_texts,
                             classifier_independent=classifier_independent)
    out_dir = Path(out_dir)
    counts = {}
    wanted = None if include is None else set(include)
    if wanted is not None and wanted - set(files):
        raise ValueError(f"the tiny world writes no {sorted(wanted - set(files))}")
    for rel, content in files.items():
        if wanted is not None and rel not in wanted:
            continue
        if isinstance(content, str):
            write_text(out_dir / rel, content)
            counts[rel] = content.count("\n")
        else:
            write_records(out_dir / rel, content)
            counts[rel] = len(content)
    pretrain = [r["text"] for r in files["pretrain.jsonl"]]
    uncut = [r["text"] for rel, recs in files.items()
             if rel.startswith("classifier/") and not rel.endswith("/train.jsonl") for r in recs]
    descriptors = {d for poles in spec.descriptors.values() for d in poles.values()}
    n_desc = sum(any(t.startswith(d + " ") for d in descriptors) for t in pretrain)
    n_instr = sum(t.startswith(spec.instruction.split("{", 1)[0]) for t in pretrain) if spec.instruction_fraction else 0
    return {
        "seed": int(seed),
        "attributes": list(attributes),
        "correlations": [{"attributes": [a, b], "agreement": p} for a, b, p in spec.correlations],
        "descriptor_fraction": spec.descriptor_fraction,
        "instruction_fraction": spec.instruction_fraction,
        "classifier_independent": bool(classifier_independent),
        "counts": counts,
        "stats": {
            "pretrain_distinct_words": len({w for t in pretrain for w in t.split()}),
            "pretrain_descriptor_share": n_desc / len(pretrain) if pretrain else 0.0,
            "pretrain_instruction_share": n_instr / len(pretrain) if pretrain else 0.0,
            "mean_continuation_words": (float(np.mean([continuation_words(t) for t in uncut]))
                                        if uncut else None),  # classifier validation + test texts
        },
    }


