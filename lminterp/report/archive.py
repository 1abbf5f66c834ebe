"""A reviewer's archive: what the expensive jobs made, in one tarball with checksums.

`pack` takes every file under the results directory (the split files, the base model and tokenizer, the
adapters, classifiers, generation sets, scores, perplexities, alpha scalings and the inference-cost run) except
the summaries that the cheap jobs rebuild from them (checks, claims, sanity), adds the resolved config, a
manifest of SHA-256 checksums and a description, and writes a gzipped tar. Modification times travel with the
files, so Snakemake sees every output newer than its inputs after unpacking.

`unpack` verifies every checksum before anything lands in the results directory, refuses to overwrite one that
exists, and says which config to build with. In a fresh clone, asking for `all` (or any figure) then plans no
training, generation, scoring or perplexity job: only figures, tables, checks, claims and the report."""
from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import Mapping

import yaml

from lminterp.io import sha256_file

META_DIR = "archive"                       # inside the results directory
MANIFEST = "MANIFEST.sha256"
DESCRIPTION = "archive.json"
RESOLVED_CONFIG = "config.resolved.yaml"
# rebuilt in seconds from the archived files, and rebuilt to show that they are (archive test)
REBUILT = ("checks.json", "claims.csv", "sanity.json", "single_attribute_checks.json")


class ArchiveError(RuntimeError):
    pass


def _temporary(rel: Path) -> bool:
    """A half-written file of lminterp.io (.name.XXXX.tmp), a staging directory of an unpack, or a training
    checkpoint left by a killed job (lminterp/training/checkpoints.py)."""
    return any(p == ".checkpoints" or (p.startswith(".") and (p.endswith(".tmp") or p.startswith(".unpack.")))
               for p in rel.parts)


def members(results_dir: str | os.PathLike) -> list[Path]:
    """The files of the results directory that go into the archive, sorted (paths relative to its parent)."""
    root = Path(results_dir)
    if not root.is_dir():
        raise ArchiveError(f"{root}/ does not exist: build the targets first (./repro build all), then pack")
    files = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or rel.parts[0] == META_DIR or _temporary(rel):
            continue
        if len(rel.parts) == 1 and rel.name in REBUILT:
            continue
        files.append(path)          # Snakemake's .snakemake_timestamp inside directory outputs included: it is
                                    # what dates a directory output
    if not files:
        raise ArchiveError(f"{root}/ holds no results: build the targets first (./repro build all), then pack")
    return files


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(mtime), 0o644
    tar.addfile(info, io.BytesIO(data))


def pack(results_dir: str | os.PathLike, out: str | os.PathLike, config: Mapping,
         description: Mapping | None = None) -> dict:
    """Write the archive of `results_dir` (a path relative to the working directory) to `out`; return its
    description (counts per kind, total bytes)."""
    results_dir = Path(results_dir)
    files = members(results_dir)
    manifest = "".join(f"{sha256_file(f)}  {f.as_posix()}\n" for f in files)
    kinds: dict[str, int] = {}
    for f in files:
        kind = f.relative_to(results_dir).parts[0] if len(f.relative_to(results_dir).parts) > 1 else "other"
        kinds[kind] = kinds.get(kind, 0) + 1
    desc = {**(description or {}), "results_dir": results_dir.as_posix(), "files": len(files),
            "bytes": sum(f.stat().st_size for f in files), "files_per_kind": dict(sorted(kinds.items()))}
    newest = max(f.stat().st_mtime for f in files)
    meta = f"{results_dir.as_posix()}/{META_DIR}"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        with tarfile.open(tmp, "w:gz") as tar:
            _add_bytes(tar, f"{meta}/{DESCRIPTION}", (json.dumps(desc, indent=2) + "\n").encode(), newest)
            _add_bytes(tar, f"{meta}/{MANIFEST}", manifest.encode(), newest)
            _add_bytes(tar, f"{meta}/{RESOLVED_CONFIG}",
                       yaml.safe_dump(dict(config), sort_keys=False, allow_unicode=True).encode(), newest)
            dirs = sorted({d for f in files for d in f.parents if d != results_dir.parent and d != Path(".")})
            for f in [*files, *dirs]:       # directories too: their times date directory outputs
                tar.add(f, arcname=f.as_posix(), recursive=False)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return desc


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise ArchiveError(f"archive member {name!r} points outside the working directory: refusing to unpack")
    return path


def unpack(archive: str | os.PathLike, workdir: str | os.PathLike = ".") -> dict:
    """Verify and unpack `archive` into `workdir`; return its description, with the archived config under
    "config". Nothing lands unless every checksum matches; an existing results directory is never overwritten."""
    archive, workdir = Path(archive), Path(workdir)
    if not archive.is_file():
        raise ArchiveError(f"{archive}: no such archive (make one with ./repro archive)")
    staging = Path(tempfile.mkdtemp(prefix=".unpack.", dir=workdir))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            names = [m.name for m in tar.getmembers()]
            for m in tar.getmembers():
                _safe_name(m.name)
                if not (m.isfile() or m.isdir()):
                    raise ArchiveError(f"archive member {m.name!r} is not a regular file: refusing to unpack")
            tar.extractall(staging, filter="data")
        metas = [n for n in names if n.endswith(f"/{META_DIR}/{MANIFEST}")]
        if len(metas) != 1:
            raise ArchiveError(f"{archive}: not an archive of this workflow (no {META_DIR}/{MANIFEST})")
        results_dir = PurePosixPath(metas[0]).parent.parent
        listed = {}
        for line in (staging / metas[0]).read_text().splitlines():
            digest, _, name = line.partition("  ")
            listed[name] = digest
        extracted = {n for n in names if (staging / n).is_file()} - {
            f"{results_dir}/{META_DIR}/{x}" for x in (MANIFEST, DESCRIPTION, RESOLVED_CONFIG)}
        if extracted != set(listed):
            raise ArchiveError(f"{archive}: files and manifest disagree (unlisted: {sorted(extracted - set(listed))[:5]}, "
                               f"missing: {sorted(set(listed) - extracted)[:5]})")
        bad = [n for n, digest in listed.items() if sha256_file(staging / n) != digest]
        if bad:
            raise ArchiveError(f"{archive}: {len(bad)} files do not match their checksums (first: {bad[0]}); "
                               "the archive is damaged: copy it again")
        target = workdir / results_dir
        if target.exists() and any(target.iterdir()):
            raise ArchiveError(f"{target}/ exists and is not empty: unpack into a fresh clone, or move it away first")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.rmdir()
        os.replace(staging / results_dir, target)
        meta = target / META_DIR
        desc = json.loads((meta / DESCRIPTION).read_text())
        desc["config"] = yaml.safe_load((meta / RESOLVED_CONFIG).read_text())
        desc["config_path"] = str(meta / RESOLVED_CONFIG)
        return desc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
