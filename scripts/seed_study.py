"""How much sampling noise moves the tiny world's verdicts, under two sampling designs (paper/METHODS.md).

    .venv/bin/python scripts/seed_study.py [--seeds 0 1 2] [--keep DIR] [--cores 2]

Builds fig8's CSV and Table 1 once per design and sampling seed (`generation.sampling_seed`), in one directory, so
the world (data, base model, adapters, classifiers, perplexity) is built once and only generation and what
follows is redone. The designs:
  before:      the design before common random numbers: noise per model (`generation.noise: per_model`),
               36 prompts x 1 sample;
  independent: noise per model with the configuration's prompts x samples (isolates common random numbers);
  after:       the configuration's design (common random numbers, its prompts x samples).
A run that fails (e.g. an alpha scaling on a flat baseline curve) is reported as such.
Prints, per design: the standard deviation over seeds of each of fig8's weight-interpolation AUCs (mean over the
20 cells), of Table 1's average MAE per method, and the planted pair's AUC (politeness-formality, both
directions) minus the largest other pair's, per seed. Not a test: it takes minutes per seed."""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmark import ROOT, prepare, run  # noqa: E402

TARGETS = ["figures/fig8.csv", "tables/table1.csv"]
PLANTED = {("politeness", "formality"), ("formality", "politeness")}
DESIGNS = {"before": {"generation": {"noise": "per_model", "samples_per_prompt": 1}, "data": {"prompts": 36}},
           "independent": {"generation": {"noise": "per_model"}},
           "after": {}}


def measure(fig8: pd.DataFrame, table1: pd.DataFrame) -> dict:
    interp = fig8[fig8["method"] == "interp"]
    pairs = list(zip(interp["attribute_i"], interp["attribute_j"]))
    planted = interp[[p in PLANTED for p in pairs]]["auc"].mean()
    other = interp[[p not in PLANTED for p in pairs]]["auc"].max()
    return {"aucs": interp["auc"].to_numpy(), "mae": table1["Average"].dropna().to_dict(),
            "planted_margin": float(planted - other),
            "mean_auc": fig8.groupby("method")["auc"].mean().to_dict()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--keep", default=None)
    ap.add_argument("--cores", type=int, default=2)
    args = ap.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="lminterp-seeds-"))
    prepare(work)
    base = yaml.safe_load((ROOT / "config.yaml").read_text())
    results: dict[str, list[dict]] = {}
    for design, overlay in DESIGNS.items():
        for seed in args.seeds:
            cfg = {**overlay, "generation": {**overlay.get("generation", {}), "sampling_seed": seed}}
            path = work / f"overlay-{design}-{seed}.yaml"
            path.write_text(yaml.safe_dump(cfg))
            try:
                wall, _ = run(work, TARGETS, args.cores, str(path), extra=["--rerun-incomplete"])
            except SystemExit:
                reason = "the build failed (its output is above)"
                print(f"{design} seed {seed}: FAILED: {reason}", flush=True)
                results.setdefault(design, []).append({"failed": reason})
                continue
            got = measure(pd.read_csv(work / "figures/fig8.csv"), pd.read_csv(work / "tables/table1.csv", index_col=0))
            results.setdefault(design, []).append(got)
            print(f"{design} seed {seed}: {wall:.0f} s, mean AUC {got['mean_auc']}, average MAE {got['mae']}, "
                  f"planted margin {got['planted_margin']:.3f}", flush=True)
    gen = base["generation"]
    print(f"\nafter = noise {gen.get('noise', 'common')}, {base['data']['prompts']} prompts x "
          f"{gen['samples_per_prompt']} samples; before = per-model noise, 36 prompts x 1 sample; "
          f"sampling seeds {args.seeds}\n")
    print("| design | std of fig8 interp AUCs (mean over cells) | std of Table 1 average MAE (interp / DExperts / "
          "model arithmetic) | planted pair's AUC minus largest other pair's (per seed) |")
    print("|---|---|---|---|")
    for design, runs in results.items():
        failed = [r for r in runs if "failed" in r]
        runs = [r for r in runs if "failed" not in r]
        if failed:
            print(f"| {design} | {len(failed)} of {len(failed) + len(runs)} seeds failed: {failed[0]['failed'][:120]} | | |")
        if len(runs) < 2:
            continue
        auc_sd = np.std(np.stack([r["aucs"] for r in runs]), axis=0, ddof=1).mean()
        mae = pd.DataFrame([r["mae"] for r in runs]).std(ddof=1)
        margins = ", ".join(f"{r['planted_margin']:.3f}" for r in runs)
        print(f"| {design} | {auc_sd:.4f} | {mae.get('Weight interpolation', np.nan):.4f} / "
              f"{mae.get('DExperts', np.nan):.4f} / {mae.get('Model arithmetic', np.nan):.4f} | {margins} |")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
