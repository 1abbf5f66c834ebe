"""Jobs and GPU-hours per stage of a build, before running it, from Snakemake's dry run and the rules' `gpu` and
`runtime` tags (lminterp/workflow/cost.py). Arguments after the options go to snakemake (targets, --configfile ...):

    python scripts/cost.py --configfile configs/paper.yaml            # `all` of the paper's world
    python scripts/cost.py --configfile configs/paper.yaml -- figures/fig2.pdf
"""
import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the library beside this script
from lminterp.workflow.cost import cost_table, format_table, parse_dry_run  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--configfile", nargs="+", default=[])
parser.add_argument("targets", nargs="*", default=["all"])
args = parser.parse_args()
cmd = [sys.executable, "-m", "snakemake", "-n", "--cores", "1", *(["--configfile", *args.configfile] if args.configfile
                                                                   else []), "--", *args.targets]
proc = subprocess.run(cmd, capture_output=True, text=True)
if proc.returncode != 0:
    sys.exit(proc.stdout[-3000:] + proc.stderr[-3000:])
print(format_table(cost_table(parse_dry_run(proc.stdout))))
