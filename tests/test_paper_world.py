"""The paper's world (configs/paper.yaml), planned offline: the hub assets are not downloaded (a dry run needs none:
they are named in params, and checked before any job runs), and the local sources that cannot be redistributed point
at stand-ins in their real formats (tests/data/paper_sources/). The plan has the anchors, GT adapters, generation
sets and figures that the config's grids call for, every job that trains or generates asks for a GPU, and adding one
alpha to a grid plans only that model's jobs and what reads them."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from lminterp import registry as R
from lminterp.config import validate_config
from lminterp.workflow.cost import cost_table, parse_dry_run
from test_workflow import ROOT, copy_workflow

SNAKEMAKE = [sys.executable, "-m", "snakemake"]
STANDINS = "tests/data/paper_sources"
FIXTURES = (ROOT / STANDINS / "standins.yaml").read_text()
GPU_RULES = ("train_anchors", "train_gt_mixtures", "train_classifier", "generate_model", "score_model",
             "perplexity_model", "inference_cost")


def merged_config(*overlays: str) -> dict:
    """config.yaml updated by the overlays, as snakemake's --configfile does (nested mappings merged, rest replaced)."""
    def update(base, new):
        for k, v in new.items():
            base[k] = update(dict(base[k]), v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
        return base

    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    for text in overlays:
        cfg = update(cfg, yaml.safe_load(text))
    return cfg


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    wf = copy_workflow(tmp_path_factory.mktemp("paper"))
    (wf / STANDINS).parent.mkdir(parents=True, exist_ok=True)
    import shutil

    shutil.copytree(ROOT / STANDINS, wf / STANDINS)
    (wf / "fixtures.yaml").write_text(FIXTURES)
    return wf


def dry_run(wf: Path, *extra: str, targets=("all",)) -> tuple[str, float]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    t0 = time.perf_counter()
    proc = subprocess.run(SNAKEMAKE + ["-n", "--cores", "1", "--configfile", "configs/paper.yaml", "fixtures.yaml",
                                       *extra, "--", *targets], cwd=wf, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout, seconds


@pytest.fixture(scope="module")
def plan(workflow):
    out, seconds = dry_run(workflow)
    print(f"dry run of the paper world's `all`: {seconds:.1f} s")
    return parse_dry_run(out)


def test_the_plan_has_what_the_grids_call_for(plan, workflow):
    cfg = validate_config(merged_config((workflow / "configs/paper.yaml").read_text(), FIXTURES))
    by_rule = {}
    for j in plan:
        by_rule.setdefault(j.rule, []).append(j)
    attributes = list(cfg["attributes"])
    interior = [a for a in cfg["single_attribute"]["alphas"] if 0 < a < 1]
    assert sorted(o for j in by_rule["train_anchors"] for o in j.output) == sorted(
        f"results-paper/adapters/anchor/{a}-{p}" for a in attributes for p in "01")
    assert len([o for j in by_rule["train_gt_mixtures"] for o in j.output]) == len(attributes) * len(interior) == 15
    # one generation job per model whose generations or scores a target reads, one perplexity job per model whose
    # perplexity one reads: the registry's count, independently of the rules
    claimed = R.claims(cfg)
    generated = {s.name for _, needs in claimed for k in ("scores", "generations") for s in needs.get(k, ())}
    assert {j.wildcards["spec"] for j in by_rule["generate_model"]} == generated
    assert {j.wildcards["spec"] for j in by_rule["perplexity_model"]} == {
        s.name for _, needs in claimed for s in needs.get("perplexity", ())}
    assert len(generated) > 1000                                # the paper's world: well over a thousand sets
    figures = [t.name for t in R.active(cfg, "figure")]
    assert len(figures) == 32
    assert sorted(j.wildcards["fig"] for j in by_rule["plot_figure"]) == sorted(figures)
    assert cfg["data"]["prompts"] == 1000 and cfg["simplex"]["divisions"] == 10 and cfg["lora"]["r"] == 32


def test_every_job_that_trains_or_generates_asks_for_a_gpu_and_no_other_does(plan):
    for j in plan:
        wants = j.number("gpu")
        assert (wants >= 1) == (j.rule in GPU_RULES), (j.rule, j.resources)
        assert j.number("runtime") > 0 and j.number("mem_mb") > 0
    table = {r["stage"]: r for r in cost_table(plan)}
    assert table["total"]["jobs"] == len(plan) and table["generation"]["gpu_hours"] > table["scoring"]["gpu_hours"]


def test_the_cached_assets_are_checked_before_any_job(workflow):
    """Not a dry run: the hub assets are not in the cache, so the run stops before its first job, naming each one
    and the command that fetches it."""
    proc = subprocess.run(SNAKEMAKE + ["--cores", "1", "--configfile", "configs/paper.yaml", "fixtures.yaml", "--",
                                       "results-paper/data/prompts.jsonl"], cwd=workflow, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "not in the download cache" in out and "dataset euclaise/writingprompts (sources.prompts)" in out
    assert "model meta-llama/Llama-2-7b-hf (sources.base_model)" in out and "snakemake download" in out
    assert not (workflow / "results-paper").exists()
    # `download` itself plans one local job per hub asset and nothing else
    out, _ = dry_run(workflow, targets=("download",))
    jobs = parse_dry_run(out)
    assert sorted(j.wildcards["asset"] for j in jobs if j.rule == "download_asset") == [
        "datasets/Salesforce--wikitext/wikitext-2-raw-v1/main", "datasets/euclaise--writingprompts/default/main",
        "datasets/kmfoda--booksum/default/main", "datasets/roneneldan--TinyStories/default/main",
        "datasets/stanfordnlp--sst/dictionary/refs--convert--parquet", "models/FacebookAI--roberta-base/main",
        "models/meta-llama--Llama-2-7b-chat-hf/main", "models/meta-llama--Llama-2-7b-hf/main"]
    assert {j.rule for j in jobs} == {"download", "download_asset"}


DIRECTORY_OUTPUTS = ("/adapters/", "/classifiers/", "/base/")   # directory() outputs: adapters, classifiers, base


def build_tree(wf: Path, plan, targets) -> None:
    """A built tree, as far as Snakemake's planning can tell: every output of the plan made (directory outputs, such
    as adapters and classifiers, as directories), then `--touch --forceall` records every job's metadata (params,
    input set, code) as a real run would."""
    stamp = time.time()
    for j in plan:
        for out in j.output:
            path = wf / out
            if not any(d in f"/{out}" for d in DIRECTORY_OUTPUTS):
                path.parent.mkdir(parents=True, exist_ok=True)
                path.touch()
            else:
                path.mkdir(parents=True, exist_ok=True)
            os.utime(path, (stamp, stamp))
    proc = subprocess.run(SNAKEMAKE + ["--touch", "--forceall", "--cores", "1", "--configfile", "configs/paper.yaml",
                                       "fixtures.yaml", "--", *targets], cwd=wf, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


# Figures that read the extrapolation grid (fig3: scores, fig4: perplexity) and two that do not (fig31 from the
# anchors' weights, table3 from the data splits): a few hundred jobs, so that recording the tree's metadata is quick
RECOMPUTE_TARGETS = ("figures/fig3.pdf", "figures/fig4.pdf", "figures/fig31.pdf", "tables/table3.csv")


def test_one_more_alpha_plans_only_its_models_and_their_readers(workflow):
    out, _ = dry_run(workflow, targets=RECOMPUTE_TARGETS)
    build_tree(workflow, parse_dry_run(out), RECOMPUTE_TARGETS)
    out, _ = dry_run(workflow, targets=RECOMPUTE_TARGETS)
    assert parse_dry_run(out) == [], "a built tree plans nothing"
    alphas = merged_config((workflow / "configs/paper.yaml").read_text())["single_attribute"]["extrapolation_alphas"]
    (workflow / "more.yaml").write_text(f"single_attribute: {{extrapolation_alphas: {json.dumps(alphas + [5.0])}}}\n")
    out, _ = dry_run(workflow, "more.yaml", targets=RECOMPUTE_TARGETS)
    jobs = parse_dry_run(out)
    new_models = sorted(f"interp_{a}-a5" for a in ("sentiment", "politeness", "formality", "simplicity", "humor"))
    for rule in ("generate_model", "score_model", "perplexity_model"):
        assert sorted(j.wildcards["spec"] for j in jobs if j.rule == rule) == new_models, rule
    assert sorted((j.rule, j.wildcards.get("fig")) for j in jobs if "spec" not in j.wildcards) == [
        ("figure_numbers", "fig3"), ("figure_numbers", "fig4"), ("plot_figure", "fig3"), ("plot_figure", "fig4")]


def test_prompted_jobs_run_on_the_chat_model(workflow, tmp_path):
    """sources.prompted_model: the prompted baseline's jobs load the chat model (here a local directory, so that it
    shows as their input), every other job the base model."""
    chat = workflow / "chat-model"
    chat.mkdir(exist_ok=True)
    (chat / "config.json").write_text('{"model_type": "llama"}\n')   # a model directory (a dry run loads nothing)
    (workflow / "chat.yaml").write_text(f"sources: {{prompted_model: {{local: {chat.name}}}}}\n")
    proc = subprocess.run(SNAKEMAKE + ["-n", "--cores", "1", "--configfile", "configs/local-example.yaml", "chat.yaml",
                                       "--", "figures/fig9.pdf", "tables/table6.csv"], cwd=workflow, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    generating = [j for j in parse_dry_run(proc.stdout) if j.rule.startswith("generate_")]
    prompted = [j for j in generating if "prompted" in j.rule]
    assert prompted and len(prompted) < len(generating)
    for j in generating:
        uses_chat = chat.name in j.input
        assert uses_chat == (j in prompted), (j.rule, j.input)
        assert ("results-local/base/model" in j.input) != uses_chat, (j.rule, j.input)
