"""Did this build reproduce the published numbers? Compares every reference file (default paper/reference/, the
tiny world's default configuration) with the built file of the same path, number by number (lminterp/report/verify.py):
one line per file (identical / within tolerance, with its largest difference / DIFFERS, naming the column and the
row), then a summary. A changed claim verdict always fails.

    .venv/bin/python scripts/verify.py [--reference DIR] [--directory DIR] [--atol 1e-6] [--rtol-halfwidth 0.01]
    .venv/bin/python scripts/verify.py --write DIR TARGET ...     # (re)publish: copy the built TARGETs into DIR

Exit status 0 when every reference file was built and agrees, 1 when one differs or is missing, 2 when none was
built. --json FILE writes the per-column differences."""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lminterp.report import verify as V  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", default=str(ROOT / "paper" / "reference"))
    ap.add_argument("--directory", default=".")
    ap.add_argument("--atol", type=float, default=V.ATOL)
    ap.add_argument("--rtol-halfwidth", type=float, default=V.RTOL_HALFWIDTH)
    ap.add_argument("--json", metavar="FILE", help="write every file's per-column differences")
    ap.add_argument("--write", nargs="+", metavar=("DIR", "TARGET"), help="copy the built TARGETs into DIR")
    args = ap.parse_args()
    directory = Path(args.directory)
    if args.write:
        out, *targets = args.write
        missing = [t for t in targets if not (directory / t).exists()]
        if missing:
            print(f"not built: {', '.join(missing)}", file=sys.stderr)
            return 2
        if Path(out).exists():
            shutil.rmtree(out)
        for t in targets:
            (Path(out) / t).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(directory / t, Path(out) / t)
        print(f"wrote {len(targets)} reference files under {out}")
        return 0
    results = V.compare(directory, Path(args.reference), args.atol, args.rtol_halfwidth)
    for r in results:
        print(V.describe(r))
        for line in r.failures[1:10]:
            print(f"{'':<17}   {line}")
    counts = V.summary(results)
    print(f"{len(results)} files: " + ", ".join(f"{n} {k}" for k, n in counts.items())
          + f" (tolerance: {args.atol:g} absolute or one printed digit, or {args.rtol_halfwidth:.0%} of the 95 % "
            "interval half-width)")
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in results], indent=1) + "\n")
    if counts["missing"] == len(results):
        return 2
    return 1 if counts["differs"] or counts["missing"] else 0


if __name__ == "__main__":
    sys.exit(main())
