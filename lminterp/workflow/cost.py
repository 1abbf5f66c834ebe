"""What a run will cost before it runs: the jobs of a Snakemake dry run (`snakemake -n`, not --quiet), parsed from
its printout, and a table of jobs, GPU-hours and wall-hours per stage from each job's `gpu` and `runtime` (minutes)
resource tags. Upper bounds: `runtime` is the limit a job asks of the scheduler, not what it will take."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# stage of a job, by rule name (the first pattern that matches)
STAGES = [("download", r"download"), ("data", r"(tiny_world|source|attribute)_"), ("base model", r"(tokenizer|pretrain_base)$"),
          ("training", r"train_"), ("generation", r"generate_"), ("scoring", r"score_"), ("perplexity", r"perplexity_"),
          ("evaluation", r"(alpha_scaling|sanity|single_attribute_checks|checks|claims|inference_cost)$"),
          ("figures and tables", r"(figure_numbers|plot_figure|table|report)$"), ("dial", r"dial")]


@dataclass
class PlannedJob:
    rule: str
    input: list[str] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    wildcards: dict[str, str] = field(default_factory=dict)
    resources: dict[str, str] = field(default_factory=dict)

    @property
    def stage(self) -> str:
        return next((name for name, pattern in STAGES if re.match(pattern, self.rule)), "other")

    def number(self, key: str, default: float = 0.0) -> float:
        try:
            return float(self.resources.get(key, default))
        except ValueError:
            return default


def _pairs(text: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in re.split(r",\s*", text.strip()) if "=" in part)


def parse_dry_run(text: str) -> list[PlannedJob]:
    """The jobs a dry run prints (one `rule <name>:` / `localrule <name>:` block each, with output, wildcards and
    resources lines). The aggregate rule `all` has no work and is left out."""
    jobs: list[PlannedJob] = []
    job = None
    for line in text.splitlines():
        m = re.match(r"^(?:local)?(?:rule|checkpoint) (\S+):$", line)
        if m:
            job = PlannedJob(m.group(1))
            if job.rule != "all":
                jobs.append(job)
            continue
        if job is None or not line.startswith("    "):
            if line.strip() == "" or line.startswith("[") or line.startswith("Shell command"):
                continue
            job = None
            continue
        key, _, value = line.strip().partition(": ")
        if key in ("input", "output"):
            setattr(job, key, [p.strip() for p in value.split(", ") if p.strip()])
        elif key == "wildcards":
            job.wildcards = _pairs(value)
        elif key == "resources":
            job.resources = _pairs(value)
    return jobs


def cost_table(jobs: list[PlannedJob]) -> list[dict]:
    """Per stage, in pipeline order: jobs, GPU jobs, GPU-hours (gpu x runtime) and wall-hours (runtime, summed)."""
    order = [name for name, _ in STAGES] + ["other"]
    rows = {}
    for j in jobs:
        r = rows.setdefault(j.stage, {"stage": j.stage, "jobs": 0, "gpu_jobs": 0, "gpu_hours": 0.0, "job_hours": 0.0})
        gpus, hours = j.number("gpu"), j.number("runtime") / 60
        r["jobs"] += 1
        r["gpu_jobs"] += gpus > 0
        r["gpu_hours"] += gpus * hours
        r["job_hours"] += hours
    out = [rows[s] for s in order if s in rows]
    out.append({"stage": "total", **{k: sum(r[k] for r in out) for k in ("jobs", "gpu_jobs", "gpu_hours", "job_hours")}})
    return out


def format_table(rows: list[dict]) -> str:
    lines = ["| stage | jobs | GPU jobs | GPU-hours (at most) | job-hours (at most) |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {r['stage']} | {r['jobs']} | {r['gpu_jobs']} | {r['gpu_hours']:.0f} | {r['job_hours']:.0f} |"
              for r in rows]
    return "\n".join(lines)
