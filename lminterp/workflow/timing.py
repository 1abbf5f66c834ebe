"""Where a run's time went: the wall time of every job that ran (its `benchmark:` file, written by Snakemake when
the job ends), summed by stage (the benchmark's folder: data, base, train, generate, score, perplexity, evaluate,
figures, tables), beside the run's own wall time. Printed at the end of a successful run (Snakefile, onsuccess).

Job seconds add up to more than the wall time when jobs ran side by side (--cores 2: up to twice)."""
from __future__ import annotations

import csv
import os
from pathlib import Path


def job_times(root: str | os.PathLike, since: float) -> list[tuple[str, str, float]]:
    """(stage, job, seconds) of every benchmark file under `root` written at or after `since` (a time.time())."""
    out = []
    for path in sorted(Path(root).rglob("*.tsv")):
        if path.stat().st_mtime < since:
            continue
        with path.open(newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        if rows and rows[-1].get("s"):
            rel = path.relative_to(root)
            out.append((rel.parts[0] if len(rel.parts) > 1 else "other", rel.with_suffix("").as_posix(),
                        float(rows[-1]["s"])))
    return out


def summary(times: list[tuple[str, str, float]], wall: float, top: int = 5) -> str:
    """A table by stage (jobs, job seconds, share) and the `top` longest jobs."""
    if not times:
        return "where the time went: no job of this run wrote a benchmark file"
    total = sum(t for _, _, t in times)
    stages: dict[str, list[float]] = {}
    for stage, _, t in times:
        stages.setdefault(stage, []).append(t)
    lines = [f"where the time went: {len(times)} jobs, {total:.0f} s of job time in {wall:.0f} s of wall time",
             f"  {'stage':<12}{'jobs':>6}{'seconds':>10}{'share':>8}"]
    for stage, ts in sorted(stages.items(), key=lambda kv: -sum(kv[1])):
        lines.append(f"  {stage:<12}{len(ts):>6}{sum(ts):>10.0f}{sum(ts) / total:>8.0%}")
    lines.append("  longest jobs: " + ", ".join(f"{job} {t:.0f} s" for _, job, t in
                                                  sorted(times, key=lambda x: -x[2])[:top]))
    return "\n".join(lines)
