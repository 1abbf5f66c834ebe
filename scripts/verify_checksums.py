"""Did this run reproduce the published numbers? Compares the sha256 of the built tables and figure CSVs with a
checksum file (default paper/checksums.sha256, the tiny world's default configuration).

    .venv/bin/python scripts/verify_checksums.py [--checksums FILE] [--directory DIR]
    .venv/bin/python scripts/verify_checksums.py --write FILE TARGET ...     # (re)write a checksum file

Exit status 0 when every listed file that was built matches, 1 when one differs, 2 when none was built. The
published sums hold on x86 machines with AVX2 under `cpu_kernels: avx2` (the default), with the pinned packages."""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_sums(path: Path) -> dict[str, str]:
    sums = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            sums[name.lstrip("*")] = digest
    return sums


def verify(sums: dict[str, str], directory: Path) -> tuple[list[str], list[str], list[str]]:
    """(matching, differing, missing) file names."""
    same, differ, missing = [], [], []
    for name, digest in sums.items():
        path = directory / name
        if not path.exists():
            missing.append(name)
        elif sha256(path) == digest:
            same.append(name)
        else:
            differ.append(name)
    return same, differ, missing


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checksums", default=str(ROOT / "paper" / "checksums.sha256"))
    ap.add_argument("--directory", default=".")
    ap.add_argument("--write", nargs="+", metavar=("FILE", "TARGET"), help="write FILE with the sums of TARGETs")
    args = ap.parse_args()
    directory = Path(args.directory)
    if args.write:
        out, *targets = args.write
        Path(out).write_text("".join(f"{sha256(directory / t)}  {t}\n" for t in targets))
        print(f"wrote {out}")
        return 0
    same, differ, missing = verify(read_sums(Path(args.checksums)), directory)
    for name in same:
        print(f"reproduced  {name}")
    for name in differ:
        print(f"DIFFERS     {name}")
    for name in missing:
        print(f"not built   {name}")
    if differ:
        print("Some numbers differ from the published ones: see README, 'The same numbers on every machine'.")
        return 1
    return 0 if same else 2


if __name__ == "__main__":
    sys.exit(main())
