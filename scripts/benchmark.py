"""Clean-run benchmark of a target (default figures/fig8.pdf): wall time and per-rule breakdown.

With --keep DIR an earlier run's results in DIR are reused, so a second call measures what the new
targets cost beyond the first (e.g. Table 1 and fig2-11 after fig8); only jobs run now are counted.

    .venv/bin/python scripts/benchmark.py [TARGET ...] [--configfile FILE] [--cores N] [--keep DIR]

Copies the workflow into a fresh directory (so no result is reused), runs Snakemake there, then sums the
`benchmark:` files per rule. Prints the ratio of the wall time to the goal (2.5 minutes for fig8 on 2 cores).
Not a test: timings on shared machines are noisy."""
from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = {"figures/fig8.pdf": 150.0}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("targets", nargs="*", default=["figures/fig8.pdf"])
    ap.add_argument("--configfile", default=None)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--keep", default=None, help="run in this directory and keep it")
    args = ap.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="lminterp-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "config.yaml"):
        shutil.copy(ROOT / name, work / name)
    for name in ("rules", "scripts", "envs"):
        if (work / name).exists():
            shutil.rmtree(work / name)
        shutil.copytree(ROOT / name, work / name)
    cmd = [sys.executable, "-m", "snakemake", "--cores", str(args.cores), "--directory", str(work), *args.targets]
    if args.configfile:
        cmd += ["--configfile", str(Path(args.configfile).resolve())]
    started = time.time()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
        return proc.returncode
    per_rule: dict[str, list[float]] = defaultdict(list)
    for tsv in sorted((work / "benchmarks").rglob("*.tsv")):
        if tsv.stat().st_mtime < started:  # a job of an earlier run in a kept directory
            continue
        with open(tsv) as f:
            row = next(csv.DictReader(f, delimiter="\t"))
        rule = tsv.relative_to(work / "benchmarks").with_suffix("").as_posix()
        stage, name = rule.split("/", 1)
        key = f"{stage}/{name.split('_')[0] if stage == 'train' else name}"
        per_rule[key].append(float(row["s"]))
    job_s = sum(sum(v) for v in per_rule.values())
    print(f"targets: {' '.join(args.targets)}   cores: {args.cores}   workdir: {work}")
    print(f"{'rule (stage/job)':44s} {'jobs':>4s} {'seconds':>9s} {'share':>6s}")
    for key, secs in sorted(per_rule.items(), key=lambda kv: -sum(kv[1])):
        print(f"{key:44s} {len(secs):4d} {sum(secs):9.1f} {sum(secs) / job_s:6.1%}")
    print(f"{'sum of job times':44s} {'':4s} {job_s:9.1f}")
    print(f"{'wall time (clean run)':44s} {'':4s} {wall:9.1f}")
    print(f"parallel efficiency (job time / (wall x cores)): {job_s / (wall * args.cores):.2f}")
    for t in args.targets:
        if t in GOAL_S:
            print(f"wall / goal for {t}: {wall / GOAL_S[t]:.2f}  (goal {GOAL_S[t]:.0f} s)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
