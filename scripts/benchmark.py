"""Clean-run benchmark of the workflow: wall time and per-rule breakdown, as ratios to the speed goals.

    .venv/bin/python scripts/benchmark.py [TARGET ...] [--configfile FILE] [--cores N] [--keep DIR]
    .venv/bin/python scripts/benchmark.py --suite [--configfile FILE] [--cores N] [--keep DIR]

Copies the workflow into a fresh directory (so no result is reused), runs Snakemake there, then sums the
`benchmark:` files of the jobs of that run per rule. The default target is figures/fig8.pdf.

--suite measures the three goals in one go: fig8 from a clean directory (goal 2.5 min on 2 cores), then, in the
same directory, Table 1 with figures 2, 3, 4, 10, 11 and their checks (goal: 2 more minutes), then the
multi-attribute and weight-space figures 5, 6, 7, 15, 17-33 and their checks (goal: 3 more minutes), then the
rest of `all` (the prompted model's targets, tables 2-6, the claims, the report), and the sum: `all` from clean
(goal 8 min); then the dial-a-style figure (its built-in requests: achieved vs target).
With --keep DIR an earlier run's results in DIR are reused, so a call measures what its targets cost beyond
what is already there; only jobs run now are counted. Not a test: timings on shared machines are noisy."""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from lminterp.workflow import timing  # noqa: E402
FIG8 = ("figures/fig8.pdf",)
SINGLE_ATTRIBUTE = ("tables/table1.csv", "figures/fig2.pdf", "figures/fig3.pdf", "figures/fig4.pdf",
                    "figures/fig10.pdf", "figures/fig11.pdf", "{results}/single_attribute_checks.json",
                    "{results}/sanity.json")
MULTI_ATTRIBUTE = tuple(f"figures/fig{k}.pdf" for k in (5, 15, 6, 7, *range(17, 34))) + (
    "{results}/checks.json",)
ALL = ("all",)
DIAL = ("figures/dial.pdf",)     # dial a style, after `all` (not part of the paper, not in the 8-minute goal)
# goal in seconds for a set of targets (fig8: from clean; the single-attribute set: after fig8; the
# multi-attribute and weight-space set: after both; `all` from clean: the sum of the suite's steps)
GOALS = {frozenset(FIG8): 150.0, frozenset(SINGLE_ATTRIBUTE): 120.0, frozenset(MULTI_ATTRIBUTE): 180.0}
ALL_GOAL = 480.0
MINI_GOAL = 3600.0   # `all` of the mini world (configs/mini.yaml) from clean on 2 cores, after its set-up


def results_dir(configfile: str | None) -> str:
    """The results directory the run will use (config.yaml's, unless the extra config file sets one)."""
    import yaml

    value = yaml.safe_load((ROOT / "config.yaml").read_text()).get("results_dir", "results")
    if configfile:
        value = (yaml.safe_load(Path(configfile).read_text()) or {}).get("results_dir", value)
    return value


def prepare(work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "config.yaml"):
        shutil.copy(ROOT / name, work / name)
    for name in ("rules", "scripts", "envs", "lminterp", "paper/captions", "requests", "configs"):
        if (work / name).exists():
            shutil.rmtree(work / name)
        shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "paper" / "reported.yaml", work / "paper" / "reported.yaml")
    if (ROOT / "hub_cache").is_dir() and not (work / "hub_cache").exists():   # the set-up's downloads (the mini world)
        (work / "hub_cache").symlink_to(ROOT / "hub_cache")


def run(work: Path, targets, cores: int, configfile: str | None, extra=()) -> tuple[float, dict[str, list[float]]]:
    """Build `targets` in `work` (Snakemake options `extra`); return the wall time and the job seconds per rule."""
    cmd = [sys.executable, "-m", "snakemake", "--cores", str(cores), "--directory", str(work), *extra, *targets]
    if configfile:
        cmd += ["--configfile", str(Path(configfile).resolve())]
    started = time.time()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
        raise SystemExit(proc.returncode)
    per_rule: dict[str, list[float]] = defaultdict(list)
    for stage, job, seconds in timing.job_times(work / "benchmarks", started):   # this run's jobs only
        name = job.split("/", 1)[-1]
        per_rule[f"{stage}/{name.split('_')[0] if stage == 'train' else name}"].append(seconds)
    return wall, per_rule


def report(targets, wall: float, per_rule: dict[str, list[float]], cores: int, work: Path, after: str,
           goal: float | None) -> None:
    job_s = sum(sum(v) for v in per_rule.values())
    print(f"targets: {' '.join(targets)}   cores: {cores}   workdir: {work}   ({after})")
    print(f"{'rule (stage/job)':44s} {'jobs':>4s} {'seconds':>9s} {'share':>6s}")
    for key, secs in sorted(per_rule.items(), key=lambda kv: -sum(kv[1])):
        print(f"{key:44s} {len(secs):4d} {sum(secs):9.1f} {sum(secs) / job_s if job_s else 0.0:6.1%}")
    print(f"{'sum of job times':44s} {'':4s} {job_s:9.1f}")
    print(f"{'wall time':44s} {'':4s} {wall:9.1f}")
    if wall > 0 and job_s > 0:
        print(f"parallel efficiency (job time / (wall x cores)): {job_s / (wall * cores):.2f}")
    if goal is not None:
        print(f"wall / goal: {wall / goal:.2f}  (goal {goal:.0f} s {after})")
    print()


PLAN_GOAL = 15.0   # seconds on 2 cores: planning the paper's world must not be a wait


def plan_paper(repeats: int = 3) -> int:
    """Snakemake's dry run of `all` with configs/paper.yaml (hub assets need no cache to plan; the local sources point
    at the stand-ins of tests/data/paper_sources), best of `repeats`, in a scratch copy of the workflow."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_workflow import copy_workflow

    from lminterp.workflow.cost import cost_table, parse_dry_run

    work = Path(tempfile.mkdtemp(prefix="lminterp-plan-"))
    copy_workflow(work)
    shutil.copytree(ROOT / "tests" / "data" / "paper_sources", work / "tests" / "data" / "paper_sources")
    cmd = [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--configfile", "configs/paper.yaml",
           "tests/data/paper_sources/standins.yaml", "--", "all"]
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode:
            sys.exit(proc.stdout[-3000:] + proc.stderr[-3000:])
    total = cost_table(parse_dry_run(proc.stdout))[-1]
    best = min(times)
    print(f"dry run of the paper world's all: {total['jobs']} jobs ({total['gpu_jobs']} on a GPU); best of {repeats} "
          f"{best:.1f} s (median {sorted(times)[len(times) // 2]:.1f} s); / goal: {best / PLAN_GOAL:.2f} "
          f"(goal {PLAN_GOAL:.0f} s on 2 cores)")
    shutil.rmtree(work, ignore_errors=True)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("targets", nargs="*")
    ap.add_argument("--suite", action="store_true", help="fig8 from clean, then the single-attribute, then the multi-attribute targets")
    ap.add_argument("--configfile", default=None)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--keep", default=None, help="run in this directory and keep it")
    ap.add_argument("--plan-paper", action="store_true",
                    help="time the dry run of `all` in the paper's world (configs/paper.yaml, thousands of jobs)")
    args = ap.parse_args()
    if args.plan_paper:
        return plan_paper()
    if args.suite and args.targets:
        ap.error("--suite runs its own targets; give either --suite or targets")
    results = results_dir(args.configfile)
    stages = [FIG8, SINGLE_ATTRIBUTE, MULTI_ATTRIBUTE, ALL, DIAL] if args.suite else [tuple(args.targets) or FIG8]
    work = Path(args.keep or tempfile.mkdtemp(prefix="lminterp-bench-"))
    fresh = not (work / results).exists()
    prepare(work)
    total = 0.0
    for i, stage in enumerate(stages):
        goal = GOALS.get(frozenset(stage)) if not args.configfile else None
        if args.configfile and Path(args.configfile).name == "mini.yaml" and stage == ALL:
            goal = MINI_GOAL
        targets = [t.format(results=results) for t in stage]
        wall, per_rule = run(work, targets, args.cores, args.configfile)
        total += wall if stage != DIAL else 0.0
        after = ("from clean" if fresh else "beyond what the directory held") if i == 0 else "after the above"
        report(targets, wall, per_rule, args.cores, work, after, goal)
    if args.suite and fresh:
        print(f"all from clean (the steps together): {total:.1f} s; / goal: {total / ALL_GOAL:.2f} "
              f"(goal {ALL_GOAL:.0f} s)\n")
    dial = work / "figures" / "dial.csv"
    if dial.exists():   # dial a style: how close the chosen models came to the requested scores
        import pandas as pd

        d = pd.read_csv(dial)
        err = (d["achieved"] - d["target"]).abs()
        print(f"dial a style: {int(d['within_tolerance'].sum())} of {len(d)} attribute targets achieved within the "
              f"tolerance (goal: 80 %: {d['within_tolerance'].mean():.0%}); |achieved - target| mean {err.mean():.3f}, "
              f"max {err.max():.3f}; |predicted - achieved| mean {(d['predicted'] - d['achieved']).abs().mean():.3f}")
        for _, r in d.iterrows():
            print(f"  {r['request']:<24} {r['attribute']:<11} target {r['target']:.2f}  predicted {r['predicted']:.2f}"
                  f"  achieved {r['achieved']:.2f} [{r['achieved_lo']:.2f}, {r['achieved_hi']:.2f}]")
    table4 = work / "tables" / "table4.csv"
    if table4.exists():   # table4's throughput ratios and their goals, as its job computed them
        import pandas as pd

        for method, r in pd.read_csv(table4, index_col=0).dropna(subset=["Goal"]).iterrows():
            print(f"tokens/s weight interpolation / {method}: {r['Interpolation speed-up']:.2f} (goal >= "
                  f"{r['Goal']:g}: ratio {r['Interpolation speed-up'] / r['Goal']:.2f})")
    if not args.configfile and (ROOT / "paper" / "reference").is_dir():   # the default world: reproduced?
        from lminterp.report import verify as V

        counts = V.summary(V.compare(work, ROOT / "paper" / "reference"))
        print("published numbers (paper/reference): " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
