"""Fetching the hub assets a config names into the download cache (`snakemake download`, a local rule run where the
network is). Compute jobs then read them from the cache with the hub offline (lminterp/data/sources.py):

    <cache>/datasets/<owner--name>/<config>/<revision>/data/    DatasetDict.save_to_disk
    <cache>/models/<owner--name>/<revision>/                     snapshot_download (config, weights, tokenizer)

and a marker file written last in each (its presence means the asset is complete; it records what was fetched)."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from lminterp.data.sources import DOWNLOAD_MARKER

MODEL_FILES = ["*.json", "*.safetensors", "tokenizer*", "*.model", "*.txt"]   # no pickled .bin when safetensors exist


def fetch_dataset(source: dict, dest: str | os.PathLike, repo: str | None = None) -> dict:
    """Download a hub dataset (all its splits) into `dest`; `repo` overrides where it is loaded from (a local copy
    of the repository, as the tests use). Returns the marker's record."""
    import datasets

    dest = Path(dest)
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    dd = datasets.load_dataset(repo or source["hub"], source.get("config"), revision=source.get("revision"))
    dd.save_to_disk(str(tmp / "data"))
    record = {"hub": source["hub"], "config": source.get("config"), "revision": source.get("revision"),
              "splits": {name: split.num_rows for name, split in dd.items()},
              "columns": {name: list(split.column_names) for name, split in dd.items()},
              "fetched": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    return _commit(tmp, dest, record)


def fetch_model(source: dict, dest: str | os.PathLike) -> dict:
    """Download a hub model (config, safetensors weights, tokenizer) into `dest`."""
    from huggingface_hub import snapshot_download

    dest = Path(dest)
    tmp = dest.with_name(dest.name + ".partial")
    snapshot_download(source["hub"], revision=source.get("revision"), local_dir=str(tmp), allow_patterns=MODEL_FILES)
    record = {"hub": source["hub"], "revision": source.get("revision"),
              "files": sorted(p.name for p in tmp.iterdir() if p.is_file()),
              "fetched": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    return _commit(tmp, dest, record)


def _commit(tmp: Path, dest: Path, record: dict) -> dict:
    (tmp / DOWNLOAD_MARKER).write_text(json.dumps(record, indent=1) + "\n")
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    return record
