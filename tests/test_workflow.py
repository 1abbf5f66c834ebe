"""Workflow tests: dry runs of the DAG, and the tiny world end to end at smoke size."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def smk(workdir, *args, check=True):
    cmd = SNAKEMAKE + ["--cores", "2", "--directory", str(workdir), *args]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc.stdout + proc.stderr


def copy_workflow(dst: Path) -> Path:
    for name in ("Snakefile", "config.yaml"):
        shutil.copy(ROOT / name, dst / name)
    for name in ("rules", "scripts", "envs"):
        shutil.copytree(ROOT / name, dst / name)
    shutil.copy(ROOT / "tests" / "data" / "smoke.yaml", dst / "smoke.yaml")
    return dst


def planned_jobs(output: str) -> dict[str, int]:
    """Parse Snakemake's 'Job stats' table of a dry run."""
    jobs, in_table = {}, False
    for line in output.splitlines():
        if line.startswith("job ") and "count" in line:
            in_table = True
            continue
        if in_table:
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                if parts[0] != "total":
                    jobs[parts[0]] = int(parts[1])
            elif parts and not set(line.strip()) <= {"-", " "}:
                break
    return jobs


def test_dry_run_lists_every_stage(tmp_path):
    wf = copy_workflow(tmp_path)
    jobs = planned_jobs(smk(wf, "-n", "figures/fig8.pdf"))
    assert jobs["train_anchors"] == 5 and jobs["train_classifier"] == 5
    for rule in ("tiny_world_data", "tokenizer", "pretrain_base", "generate_scaling_anchor_bank",
                 "generate_fig8_interp_pair", "generate_scaling_arith_raw_single", "generate_fig8_arith_pair",
                 "score_fig8_dexperts_pair", "alpha_scaling", "entanglement_table", "entanglement_figure"):
        assert rule in jobs, rule
    assert jobs["alpha_scaling"] == 2
    assert not any(rule.startswith(("generate_fig16", "score_fig16")) for rule in jobs)  # fig8 makes only its own models


def test_bad_config_fails_before_any_job(tmp_path):
    wf = copy_workflow(tmp_path)
    (wf / "bad.yaml").write_text("lora:\n  r: 0\n")
    proc = subprocess.run(SNAKEMAKE + ["-n", "--cores", "1", "--directory", str(wf), "--configfile", "bad.yaml"],
                          cwd=wf, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "lora.r" in proc.stdout + proc.stderr
    assert not (wf / "results").exists()


@pytest.mark.slow
def test_tiny_world_end_to_end(tmp_path):
    wf = copy_workflow(tmp_path)
    smk(wf, "figures/fig8.pdf", "results/sanity.json", "--configfile", "smoke.yaml")
    assert (wf / "figures/fig8.pdf").stat().st_size > 5000
    # a second run has nothing to do
    assert "Nothing to be done" in smk(wf, "figures/fig8.pdf", "-n", "--configfile", "smoke.yaml")
    # fig16 after fig8 trains nothing and regenerates none of fig8's models: only fig16's own sweeps run
    jobs = planned_jobs(smk(wf, "figures/fig16.pdf", "-n", "--configfile", "smoke.yaml"))
    assert jobs and all(rule.startswith(("generate_fig16", "score_fig16", "entanglement")) for rule in jobs), jobs
    # editing only fig8's plotting code reruns exactly its plotting job
    script = wf / "scripts" / "plot_entanglement.py"
    script.write_text(script.read_text() + "\n# restyled\n")
    jobs = planned_jobs(smk(wf, "figures/fig8.pdf", "-n", "--configfile", "smoke.yaml"))
    assert jobs == {"entanglement_figure": 1}
    # tiny-world sanity: accurate classifiers, anchors that move their attribute
    sanity = json.loads((wf / "results/sanity.json").read_text())
    for attribute, metrics in sanity["classifiers"].items():
        assert metrics["test_accuracy"] >= 0.9, (attribute, metrics["test_accuracy"])
    for attribute, rise in sanity["anchors"].items():
        assert rise["rise"] >= 0.3, (attribute, rise)
    # the figure's numbers: three methods x 20 ordered pairs, AUCs in [0, 1]
    import pandas as pd
    table = pd.read_csv(wf / "figures/fig8.csv")
    assert len(table) == 3 * 20 and table["auc"].between(0, 1).all()

    # Single-attribute science after fig8: no adapter fig8 trained is retrained, no generation set it
    # produced is regenerated (only the GT mixtures and the fig2/fig3 sweeps are new)
    single = ["tables/table1.csv", "figures/fig2.pdf", "figures/fig3.pdf", "figures/fig4.pdf", "figures/fig10.pdf",
              "figures/fig11.pdf", "results/single_attribute_checks.json"]
    jobs = planned_jobs(smk(wf, *single, "-n", "--configfile", "smoke.yaml"))
    assert jobs["train_gt_mixtures"] == 5
    redone = [r for r in jobs if r in ("tiny_world_data", "pretrain_base", "train_anchors", "train_classifier")
              or r.startswith(("generate_scaling", "generate_fig8", "score_scaling", "score_fig8"))]
    assert not redone, redone
    smk(wf, *single, "--configfile", "smoke.yaml")
    t1 = pd.read_csv(wf / "tables/table1.csv", index_col=0)
    assert list(t1.index) == ["Fine-tuned (ground truth)", "DExperts", "Model arithmetic", "Weight interpolation"]
    assert t1.loc["Weight interpolation", "Average"] >= 0 and (t1["Perplexity"] > 1).all()
    assert t1[["Dist-1", "Dist-2", "Dist-3"]].stack().between(0, 1).all()
    checks = json.loads((wf / "results/single_attribute_checks.json").read_text())
    assert checks["passed"], checks  # GT scores rise with the class-1 fraction for every attribute
    for fig in ("fig2", "fig3", "fig4", "fig10", "fig11"):
        assert (wf / f"figures/{fig}.pdf").stat().st_size > 5000 and (wf / f"figures/{fig}.csv").exists()


@pytest.mark.slow
def test_two_clean_runs_give_identical_tables(tmp_path):
    """Everything is seeded: two clean runs give byte-identical files, from the data to the scores of every
    kind of sweep (interpolation, DExperts and model arithmetic; the micro-sized anchors are too weak for an
    alpha scaling, so the scaled baselines are not part of this run)."""
    runs = []
    for k in range(2):
        wf = tmp_path / f"run{k}"
        wf.mkdir()
        copy_workflow(wf)
        shutil.copy(ROOT / "tests" / "data" / "micro.yaml", wf / "micro.yaml")
        smk(wf, "score_fig8_interp_pair", "score_scaling_anchor_bank", "score_scaling_arith_raw_single",
            "--configfile", "micro.yaml")
        runs.append(wf)
    compared = 0
    for pattern in ("results/scores/*.csv", "results/generations/*.jsonl",
                    "results/data/**/*.jsonl", "results/base/model/model.safetensors",
                    "results/adapters/anchor/*/adapter_model.safetensors", "results/classifiers/*/model.safetensors"):
        files = sorted(runs[0].glob(pattern))
        assert files, pattern
        for f in files:
            twin = runs[1] / f.relative_to(runs[0])
            assert f.read_bytes() == twin.read_bytes(), f.relative_to(runs[0])
            compared += 1
    assert compared > 50
