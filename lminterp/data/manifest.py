"""Data files that cannot change silently: the job that writes a dataset's files (the splits, the perplexity
corpus, the prompts) writes a manifest of them beside (`<data dir>/manifests/<job>.json`: per file its line count
and SHA-256), and every job that reads one verifies it first. A file edited, truncated or swapped after its job
ran fails the reading job with the file, what differs and how to rebuild it, instead of training on it."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Iterable

from lminterp.io import read_jsonl, write_json

MANIFEST_DIR = "manifests"


class ManifestError(RuntimeError):
    pass


def _facts(path: Path) -> dict:
    data = path.read_bytes()
    return {"lines": data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1),
            "sha256": hashlib.sha256(data).hexdigest()}


def write_manifest(root: str | os.PathLike, job: str, files: Iterable[str | os.PathLike]) -> Path:
    """Write `<root>/manifests/<job>.json` for `files` (paths under `root`); return its path."""
    root = Path(root)
    entries = {Path(f).resolve().relative_to(root.resolve()).as_posix(): _facts(Path(f)) for f in files}
    out = root / MANIFEST_DIR / f"{job}.json"
    write_json(out, {"job": job, "files": dict(sorted(entries.items()))})
    return out


def _root_of(path: Path) -> Path:
    for parent in path.resolve().parents:
        if (parent / MANIFEST_DIR).is_dir():
            return parent
    raise ManifestError(f"{path}: no {MANIFEST_DIR}/ directory above it, so nothing records what the file should "
                        "hold; rebuild the data (snakemake --forcerun <the data job's output>)")


def verify(path: str | os.PathLike) -> Path:
    """Check `path` against the manifest that lists it; return the path."""
    path = Path(path)
    root = _root_of(path)
    rel = path.resolve().relative_to(root.resolve()).as_posix()
    for manifest in sorted((root / MANIFEST_DIR).glob("*.json")):
        entry = json.loads(manifest.read_text())["files"].get(rel)
        if entry is None:
            continue
        got = _facts(path)
        if got != entry:
            raise ManifestError(
                f"{path}: {got['lines']} lines, sha256 {got['sha256'][:12]}..., but {manifest} records "
                f"{entry['lines']} lines, sha256 {entry['sha256'][:12]}...: the file changed after the job that "
                f"wrote it; rebuild it (snakemake --forcerun {path})")
        return path
    raise ManifestError(f"{path}: not listed in any manifest of {root / MANIFEST_DIR}; rebuild the data "
                        f"(snakemake --forcerun {path})")


def read_split_jsonl(path: str | os.PathLike) -> list[dict]:
    return read_jsonl(verify(path))


def read_split_text(path: str | os.PathLike) -> str:
    return verify(path).read_text(encoding="utf-8")
