"""paper/report.html: the reproduction report (lminterp/report/html.py), from the built files only."""
import json
import subprocess
from pathlib import Path

import pandas as pd

from lminterp.version import __version__
from lminterp.report import html as rep
from lminterp.io import write_text
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False)
inp, p = snakemake.input, snakemake.params


def git(*args) -> str:
    try:
        return subprocess.run(["git", "-C", snakemake.scriptdir, *args], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


commit = git("rev-parse", "HEAD")
dirty = bool(git("status", "--porcelain", "--untracked-files=no")) if commit else False
provenance = {
    "world": p.cfg["world"],
    "lminterp version": __version__,
    "git commit": (commit + (" (with uncommitted changes)" if dirty else "")) if commit else "not a git checkout",
    "results": p.cfg["results_dir"],
}
if p.compare_reference:   # paper/reference, beside paper/reported.yaml
    from lminterp.report import verify as V

    results = V.compare(Path("."), Path(inp.reported).parent / "reference")
    provenance["published numbers"] = V.verdict_line(results)
else:
    provenance["published numbers"] = ("not compared: this configuration is not the one paper/reference was "
                                       "published from (paper/reference/results/config.json)")
pngs = {Path(f).stem: Path(f) for f in inp.figures}
csvs = {Path(f).stem: Path(f) for f in inp.tables}
items = [rep.Item(name=it["name"], kind=it["kind"], caption=it["caption"], paper_note=it["paper_note"],
                  steps=tuple(rep.Step(rule, script, function, rep.seconds_from_benchmark(bench))
                              for rule, script, function, bench in it["steps"]),
                  image=pngs.get(it["name"]), table=csvs.get(it["name"]))
         for it in p.targets]
reported = rep.load_reported(inp.reported)
table1 = rep.table1_beside(pd.read_csv(csvs["table1"]), reported) if "table1" in csvs else None
extras = {name: json.loads(Path(getattr(inp, name)).read_text()) for name in ("sanity", "single_checks")}
if inp.checks:
    extras["checks"] = json.loads(Path(inp.checks[0]).read_text())
html = rep.render(items=items, claims=pd.read_csv(inp.claims), table1=table1, reported=reported, config=p.cfg,
                  provenance=provenance, extras=extras)
write_text(snakemake.output[0], html)
print(f"{snakemake.output[0]}: {len(items)} figures and tables, {len(html) / 1e6:.1f} MB")
