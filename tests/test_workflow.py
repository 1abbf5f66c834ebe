"""Workflow tests: dry runs of the DAG, the tiny world end to end at smoke size, and the rerun audit (what a
change plans on a built tree)."""
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
TRAINING = ("tiny_world_data", "tokenizer", "pretrain_base", "train_anchors", "train_gt_mixtures", "train_classifier")


def smk(workdir, *args, check=True, env=None):
    cmd = SNAKEMAKE + ["--cores", "2", "--directory", str(workdir), *args]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc.stdout + proc.stderr


def copy_workflow(dst: Path) -> Path:
    """A self-contained copy: the Snakefile runs (and hashes) the library next to it, so edits to the copy's
    `lminterp/` are what its jobs would run."""
    for name in ("Snakefile", "config.yaml"):
        shutil.copy(ROOT / name, dst / name)
    for name in ("rules", "scripts", "envs", "lminterp", "paper/captions", "requests", "configs"):
        shutil.copytree(ROOT / name, dst / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "paper" / "reported.yaml", dst / "paper" / "reported.yaml")
    shutil.copy(ROOT / "tests" / "data" / "smoke.yaml", dst / "smoke.yaml")
    return dst


def planned_jobs(output: str) -> dict[str, int]:
    """Parse Snakemake's 'Job stats' table of a dry run (without the aggregate rule `all`)."""
    jobs, in_table = {}, False
    for line in output.splitlines():
        if line.startswith("job ") and "count" in line:
            in_table = True
            continue
        if in_table:
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                if parts[0] not in ("total", "all"):
                    jobs[parts[0]] = int(parts[1])
            elif parts and not set(line.strip()) <= {"-", " "}:
                break
    return jobs


def test_dry_run_lists_every_stage(tmp_path):
    wf = copy_workflow(tmp_path)
    jobs = planned_jobs(smk(wf, "-n", "figures/fig8.pdf"))
    assert jobs["train_anchors"] == 5 and jobs["train_classifier"] == 5
    for rule in ("tiny_world_data", "tokenizer", "pretrain_base", "generate_scaling_interp_anchors",
                 "generate_scaling_dexperts_raw_single", "generate_fig8_interp_pair",
                 "generate_scaling_arith_raw_single", "generate_fig8_arith_pair", "score_fig8_dexperts_pair",
                 "alpha_scaling", "figure_numbers", "plot_figure"):
        assert rule in jobs, rule
    assert jobs["alpha_scaling"] == 2
    assert not any(rule.startswith(("generate_fig16", "score_fig16")) for rule in jobs)  # fig8 makes only its own models


def test_no_model_is_generated_twice(tmp_path):
    """The plan of `all` (default config) writes one generation set per distinct model some target reads, each
    by one job, and one perplexity file per model some target measures: figures share models instead of
    regenerating them."""
    sys.path.insert(0, str(ROOT))
    import yaml

    from lminterp import registry as R
    from lminterp import specs as S
    from lminterp.config import validate_config

    wf = copy_workflow(tmp_path)
    cfg = validate_config(yaml.safe_load((ROOT / "config.yaml").read_text()))
    needs = {kind: set() for kind in ("scores", "generations", "perplexity")}
    for t in R.active(cfg):
        for kind, specs in t.needs(cfg).items():
            if kind != "files":
                needs.setdefault(kind, set()).update(s.name for s in specs)
    rows = [line.split("\t") for line in smk(wf, "--summary", "all").splitlines() if line.startswith("results/")]
    planned = {}
    for row in rows:
        planned.setdefault(row[0], []).append(row[2])
    assert all(len(jobs) == 1 for jobs in planned.values())
    generated = [Path(f).stem for f in planned if f.startswith("results/generations/")]
    measured = {Path(f).stem for f in planned if f.startswith("results/perplexity/")}
    # the alpha scaling reads the raw sweeps and the anchors besides what the targets read
    assert set(generated) == needs["scores"] | needs["generations"] | {s.name for s in S.scaling_specs(cfg)}
    assert len(generated) == len(set(generated)) > 1000
    assert measured == needs["perplexity"]


def test_bad_config_fails_before_any_job(tmp_path):
    wf = copy_workflow(tmp_path)
    (wf / "bad.yaml").write_text("lora:\n  r: 0\n")
    proc = subprocess.run(SNAKEMAKE + ["-n", "--cores", "1", "--directory", str(wf), "--configfile", "bad.yaml"],
                          cwd=wf, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "lora.r" in proc.stdout + proc.stderr
    assert not (wf / "results").exists()


# ------------------------------------------------------------------------------------ the smoke world, built
SINGLE = ["tables/table1.csv", "figures/fig2.pdf", "figures/fig3.pdf", "figures/fig4.pdf", "figures/fig10.pdf",
          "figures/fig11.pdf", "results/single_attribute_checks.json"]


@pytest.fixture(scope="module")
def smoke_world(tmp_path_factory):
    """The smoke world built step by step as a user would (fig8, then fig16, then the single-attribute
    targets, i.e. everything of `all`), with what each step planned."""
    wf = copy_workflow(tmp_path_factory.mktemp("smoke"))
    seen = {}
    smk(wf, "figures/fig8.pdf", "results/sanity.json", "--configfile", "smoke.yaml")
    seen["fig8 again"] = smk(wf, "figures/fig8.pdf", "-n", "--configfile", "smoke.yaml")
    seen["fig16 after fig8"] = planned_jobs(smk(wf, "figures/fig16.pdf", "-n", "--configfile", "smoke.yaml"))
    seen["single after fig8"] = planned_jobs(smk(wf, *SINGLE, "-n", "--configfile", "smoke.yaml"))
    smk(wf, "all", "--configfile", "smoke.yaml")
    seen["all again"] = smk(wf, "all", "-n", "--configfile", "smoke.yaml")
    return wf, seen


@pytest.mark.slow
def test_tiny_world_end_to_end(smoke_world):
    wf, seen = smoke_world
    assert (wf / "figures/fig8.pdf").stat().st_size > 5000
    # a second run has nothing to do
    assert "Nothing to be done" in seen["fig8 again"] and "Nothing to be done" in seen["all again"]
    # fig16 after fig8 trains nothing and regenerates none of fig8's models: only fig16's own sweeps run
    jobs = seen["fig16 after fig8"]
    assert jobs and all(rule.startswith(("generate_fig16", "score_fig16", "figure_numbers", "plot_figure"))
                        for rule in jobs), jobs
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
    jobs = seen["single after fig8"]
    assert jobs["train_gt_mixtures"] == 5
    redone = [r for r in jobs if r in ("tiny_world_data", "pretrain_base", "train_anchors", "train_classifier")
              or r.startswith(("generate_scaling", "generate_fig8", "score_scaling", "score_fig8"))]
    assert not redone, redone
    t1 = pd.read_csv(wf / "tables/table1.csv", index_col=0)
    assert list(t1.index) == ["Fine-tuned (ground truth)", "DExperts", "Model arithmetic", "Weight interpolation"]
    assert t1.loc["Weight interpolation", "Average"] >= 0 and (t1["Perplexity"] > 1).all()
    assert t1[["Dist-1", "Dist-2", "Dist-3"]].stack().between(0, 1).all()
    checks = json.loads((wf / "results/single_attribute_checks.json").read_text())
    assert checks["passed"], checks  # GT scores rise with the class-1 fraction for every attribute
    for fig in ("fig2", "fig3", "fig4", "fig10", "fig11", "fig16"):
        assert (wf / f"figures/{fig}.pdf").stat().st_size > 5000 and (wf / f"figures/{fig}.csv").exists()

    # Multi-attribute and weight-space figures, and their checks
    for fig in ("fig5", "fig15", "fig6", "fig7", "fig17", "fig26", "fig27", "fig30", "fig31", "fig32", "fig33"):
        assert (wf / f"figures/{fig}.pdf").stat().st_size > 5000 and (wf / f"figures/{fig}.csv").exists()
    fig6 = pd.read_csv(wf / "figures/fig6.csv")
    assert len(fig6) == 3 * 10 and "interp_sentiment-a1-l0.333333_politeness-a1-l0.333333_simplicity-a1-l0.333333" \
        in set(fig6["model"])                                           # the centre of the n = 3 lattice
    # Tables 2, 3, 5: the anchors saved what was configured; split sizes are those of smoke.yaml
    t2 = pd.read_csv(wf / "tables/table2.csv", index_col=0)
    assert (t2["Match"] == "yes").all(), t2
    t3 = pd.read_csv(wf / "tables/table3.csv", index_col=0)
    assert (t3["LM class 1"] == 400).all() and (t3["Classifier train class 0"] == 300).all()
    assert len(pd.read_csv(wf / "tables/table5.csv")) == 10
    t4 = pd.read_csv(wf / "tables/table4.csv", index_col=0)
    assert t4["Forward rows per token (counted)"].tolist() == t4["Paper"].astype(float).tolist() == [1, 3, 3, 1, 5, 5,
                                                                                                 1, 1]
    assert t4.index[-1] == "Weight interpolation, adapters merged (the limit), N = 2"     # the limit, N = 1 and 2
    assert t4["Goal"].fillna(0).tolist() == pytest.approx([0, 2.4, 2.4, 0, 4.0, 4.0, 0.8, 0.8])
    checks = json.loads((wf / "results/checks.json").read_text())
    assert set(checks) == {"fig8", "fig16", "table1", "fig9", "fig5", "fig15", "fig6", "fig7",
                           *(f"fig{k}" for k in range(17, 31)), "fig32"}
    claims = pd.read_csv(wf / "results/claims.csv").set_index("claim")
    assert list(claims.index) == list(range(1, 9))
    assert claims["verdict"].isin(["holds", "does not hold", "inconclusive"]).all(), claims


# ------------------------------------------------------------------------------------------- rerun audit
def _append(relpath, text="\n# edited\n"):
    def edit(wf):
        path = wf / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        before = path.read_bytes() if path.exists() else None
        path.write_text((before or b"").decode() + text)
        return lambda: path.write_bytes(before) if before is not None else path.unlink()
    return edit


def _overlay(yaml_text):
    def edit(wf):
        (wf / "overlay.yaml").write_text(yaml_text)
        return lambda: (wf / "overlay.yaml").unlink()
    return edit


def _generation(jobs):
    return {r for r in jobs if r.startswith(("generate_", "score_", "perplexity_"))}


ALL_RULES: dict = {}   # workdir -> {rule: jobs} of a forced run of `all`
SCALED = ("fig8_dexperts", "fig8_arith", "fig16_dexperts", "fig16_arith", "fig2_dexperts", "fig2_arith")


def _expect_every_plot(jobs, wf):
    every = ALL_RULES[wf]   # every figure is redrawn, no table (the tables' labels live in lminterp/labels.py)
    assert jobs == {**{r: every[r] for r in ("plot_figure", "dial_figure") if r in every}, "report": 1}, jobs


def _expect_one_family(jobs, wf):
    assert jobs == {"plot_figure": 2, "report": 1}, jobs   # fig8 and fig16 only


def _expect_lora_training(jobs, wf):
    assert {"train_anchors", "train_gt_mixtures"} <= set(jobs), jobs
    assert not {"train_classifier", "pretrain_base", "train_tokenizer", "tiny_world_data"} & set(jobs), jobs


def _expect_dist_n(jobs, wf):
    assert jobs == {"figure_numbers": 4, "plot_figure": 4, "table": 1, "report": 1}, jobs   # fig11, 12-14, Table 1


def _expect_generation(jobs, wf):
    assert not set(jobs) & set(TRAINING), jobs
    generate = {r for r in ALL_RULES[wf] if r.startswith("generate_")}
    assert generate <= set(jobs), generate - set(jobs)          # every generation sweep
    # perplexity does not run the sampling engine: only the scaled baselines' (their scaling table is redone)
    assert {r for r in jobs if r.startswith("perplexity_")} == {"perplexity_fig2_dexperts_single",
                                                               "perplexity_fig2_arith_single"}, jobs


def _expect_multi_attribute(jobs, wf):
    assert jobs == {"plot_figure": 18, "report": 1}, jobs   # fig5, 15, 6, 7, 17-26 and fig27-30, and the report


def _expect_nothing(jobs, wf):
    assert jobs == {}, jobs


def _expect_report_only(jobs, wf):
    assert jobs == {"report": 1}, jobs


def _expect_raw_strengths(jobs, wf):
    assert not set(jobs) & set(TRAINING), jobs
    allowed = {"alpha_scaling", "figure_numbers", "plot_figure", "table", "checks", "claims", "result_config", "report"}
    baseline_sweeps = {r for r in _generation(jobs) if r.split("_", 1)[1].startswith(("scaling_dexperts_raw",
                                                                                       "scaling_arith_raw", *SCALED))}
    assert set(jobs) == allowed | baseline_sweeps, jobs                   # no interpolation or GT job
    assert {"generate_scaling_dexperts_raw_single", "generate_scaling_arith_raw_single"} <= set(jobs)
    assert jobs["alpha_scaling"] == 2 and jobs["figure_numbers"] == 3     # fig8, fig16, fig2 (and Table 1)


def _expect_extrapolation(jobs, wf):
    assert "table" not in jobs and not set(jobs) & set(TRAINING), jobs
    assert _generation(jobs) == {"generate_fig3_interp_single", "score_fig3_interp_single",
                                 "perplexity_fig3_interp_single"}, jobs
    assert jobs["figure_numbers"] == 4 and jobs["plot_figure"] == 4      # fig3, fig4, fig10, fig11


# (change, expected plan): each row once failed before the mechanism it checks existed (paper/METHODS.md)
AUDIT = {
    "edit the figures' shared style": (_append("lminterp/figures/style.py"), _expect_every_plot),
    "restyle one figure family (entanglement)": (_append("lminterp/figures/entanglement.py"), _expect_one_family),
    "edit the dist-n code": (_append("lminterp/evaluation/diversity.py"), _expect_dist_n),
    "edit the multi-attribute plots": (_append("lminterp/figures/multi_attribute.py"), _expect_multi_attribute),
    "edit the LoRA trainer": (_append("lminterp/training/lora.py"), _expect_lora_training),
    "edit lminterp/mixing/generation.py": (_append("lminterp/mixing/generation.py"), _expect_generation),
    "edit an unrelated module (config.py)": (_append("lminterp/config.py"), _expect_nothing),
    "change generation.batch_rows": (_overlay("generation: {batch_rows: 64}\n"), _expect_nothing),
    "change threads_per_job": (_overlay("threads_per_job: 2\n"), _expect_nothing),
    "change checkpoints.every_steps": (_overlay("checkpoints: {every_steps: 7}\n"), _expect_nothing),
    "widen baselines.raw_strengths": (_overlay("baselines: {raw_strengths: [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0]}\n"),
                                      _expect_raw_strengths),
    "add an extrapolation alpha": (
        _overlay("single_attribute: {extrapolation_alphas: [-2.0, -1.0, 0.0, 0.5, 1.0, 2.0, 2.5, 3.0]}\n"),
        _expect_extrapolation),
    "edit README.md": (_append("README.md"), _expect_nothing),
    "edit paper/METHODS.md": (_append("paper/METHODS.md"), _expect_nothing),
    "edit the paper's numbers (paper/reported.yaml)": (_append("paper/reported.yaml"), _expect_report_only),
}


@pytest.mark.slow
@pytest.mark.parametrize("change", list(AUDIT))
def test_rerun_audit(smoke_world, change):
    """A change plans exactly the jobs whose outputs it can change (README: "What reruns when")."""
    wf, _ = smoke_world
    if wf not in ALL_RULES:
        ALL_RULES[wf] = planned_jobs(smk(wf, "all", "-n", "--forceall", "--configfile", "smoke.yaml"))
    edit, expect = AUDIT[change]
    undo = edit(wf)
    try:
        overlay = ["--configfile", "smoke.yaml"] + (["overlay.yaml"] if (wf / "overlay.yaml").exists() else [])
        jobs = planned_jobs(smk(wf, "all", "-n", *overlay))
    finally:
        undo()
    expect(jobs, wf)
    assert "Nothing to be done" in smk(wf, "all", "-n", "--configfile", "smoke.yaml")  # the undo restored it


# --------------------------------------------------------------------------------------------- dial a style
@pytest.mark.slow
def test_dial_a_style_closes_the_loop(smoke_world):
    """The built-in requests of smoke.yaml: solved on the measured grids, the chosen models generated and scored
    like any other (an owned model's files reused), answered with target, predicted and achieved scores; a request
    no model in the bounds reaches is answered with the closest one and says so."""
    wf, _ = smoke_world
    (wf / "requests" / "too-positive.yaml").write_text("targets: {sentiment: 1.0}\nalpha_bounds: [0.0, 1.0]\n")
    smk(wf, "figures/dial.pdf", "results/dial/too-positive.json", "--configfile", "smoke.yaml")
    import pandas as pd
    table = pd.read_csv(wf / "figures/dial.csv")
    assert list(dict.fromkeys(table["request"])) == ["formal", "humorous-informal", "positive-polite-funny"]
    assert len(table) == 1 + 2 + 3 and (wf / "figures/dial.png").stat().st_size > 5000
    for name in ("formal", "humorous-informal", "positive-polite-funny", "too-positive"):
        answer = json.loads((wf / f"results/dial/{name}.json").read_text())
        solution = json.loads((wf / f"results/dial/{name}.solution.json").read_text())
        assert answer["model"] == solution["spec"] and solution["fitted_on"] > 50
        owned = wf / f"results/scores/{answer['model']}.csv"
        assert owned.exists() or (wf / f"results/dial/scores/{answer['model']}.csv").exists()
        assert abs(sum(solution["lambdas"].values()) - 1.0) < 1e-9
        for attribute, v in answer["attributes"].items():
            assert v["achieved_lo"] <= v["achieved"] <= v["achieved_hi"]
            assert v["within_tolerance"] == (abs(v["achieved"] - v["target"]) <= answer["tolerance"])
    too = json.loads((wf / "results/dial/too-positive.json").read_text())
    assert not too["reachable"] and "sentiment 1 is out of reach" in too["message"], too
    assert "Nothing to be done" in smk(wf, "figures/dial.pdf", "-n", "--configfile", "smoke.yaml")


# ------------------------------------------------------------------------------ the report in a browser
ARTIFACTS = ROOT / "test-artifacts"     # CI keeps what lands here (the report's screenshot)
_PROBE = """<script>window.addEventListener("load", () => {
  const imgs = [...document.querySelectorAll("figure img")];
  const probe = {images: imgs.length, loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
                 claims: document.querySelectorAll("#claims-table tr").length - 1,
                 table1: document.querySelectorAll("#table1-beside tr").length - 1};
  const pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = JSON.stringify(probe);
  document.body.appendChild(pre);
});</script>"""


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, installed by the test set-up when it is missing (as root, from the package archive)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found and shutil.which("apt-get") and os.geteuid() == 0:
        install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(install, capture_output=True, env=env).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env)
            subprocess.run(install, capture_output=True, env=env)
        found = shutil.which("chromium")
    if not found:
        pytest.skip("no Chromium, and not root to install Debian's package: apt-get install chromium")
    return found


def _headless(browser, *args):
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


@pytest.mark.slow
def test_report_renders_in_a_browser(smoke_world, chromium, tmp_path):
    """paper/report.html opened in headless Chromium: every figure image decoded (non-zero natural width), the
    claim table has the eight claims, Table 1 sits beside the paper's; a screenshot is kept for CI."""
    wf, _ = smoke_world
    page = (wf / "paper/report.html").read_text(encoding="utf-8")
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page   # nothing fetched
    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    dom = _headless(chromium, "--dump-dom", "--virtual-time-budget=20000", probed.as_uri()).stdout
    probe = json.loads(dom.split('<pre id="probe">', 1)[1].split("</pre>", 1)[0])
    n_figures = len(list(wf.glob("figures/fig*.pdf")))      # the paper's figures (not figures/dial.pdf)
    assert probe == {"images": n_figures, "loaded": n_figures, "claims": 8, "table1": 8}, probe
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    _headless(chromium, f"--screenshot={shot}", "--window-size=1200,2400", (wf / "paper/report.html").as_uri())
    assert shot.stat().st_size > 10_000


@pytest.mark.slow
def test_snakemake_report_of_the_build(smoke_world, tmp_path):
    """`snakemake --report` works offline on the build, with the figures and tables marked report(...)."""
    wf, _ = smoke_world
    out = tmp_path / "snakemake-report.html"
    smk(wf, "all", "--configfile", "smoke.yaml", "--report", str(out))
    text = out.read_text(encoding="utf-8", errors="replace")
    assert out.stat().st_size > 100_000 and "fig8.png" in text and "table1.csv" in text


# ------------------------------------------------------------------------------------ a reviewer's archive
REDONE_BY_AN_ARCHIVE = ("tiny_world", "tokenizer", "pretrain", "train_", "generate_", "score_", "perplexity_",
                        "alpha_scaling", "inference_cost")


@pytest.mark.slow
def test_archive_rebuilds_every_figure_without_expensive_jobs(smoke_world, tmp_path):
    """./repro archive in the built tree, ./repro unpack in a fresh copy: `all` there plans no training,
    generation, scoring or perplexity job, and rebuilds every figure, table, check and claim byte for byte."""
    wf, _ = smoke_world
    archive = tmp_path / "smoke.tar.gz"
    run = [sys.executable, "scripts/archive.py"]
    subprocess.run(run + ["pack", "--configfile", "smoke.yaml", "--output", str(archive)], cwd=wf, check=True)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    copy_workflow(fresh)
    unpacked = subprocess.run(run + ["unpack", str(archive), "--configfile", "smoke.yaml"], cwd=fresh,
                              capture_output=True, text=True, check=True).stdout
    assert "the archive was made with this configuration" in unpacked, unpacked
    jobs = planned_jobs(smk(fresh, "all", "-n", "--configfile", "smoke.yaml"))
    print(f"the unpacked clone plans {sum(jobs.values())} jobs: {jobs}")
    assert not [r for r in jobs if r.startswith(REDONE_BY_AN_ARCHIVE)], jobs
    assert jobs["figure_numbers"] == jobs["plot_figure"] == len(list(wf.glob("figures/fig*.pdf"))), jobs
    smk(fresh, "all", "--configfile", "smoke.yaml")
    rebuilt = [*sorted(wf.glob("figures/fig*.csv")), *sorted(wf.glob("tables/*")),
               *(wf / "results" / name for name in ("claims.csv", "checks.json", "sanity.json"))]
    differ = [f.relative_to(wf) for f in rebuilt if f.read_bytes() != (fresh / f.relative_to(wf)).read_bytes()]
    assert not differ, differ
    assert (fresh / "paper/report.html").stat().st_size > 100_000


def _has_avx2() -> bool:
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        return any(line.startswith("flags") and " avx2 " in f" {line} " for line in open("/proc/cpuinfo"))
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not _has_avx2(), reason="the published numbers hold under the pinned x86 AVX2 code paths")
def test_smoke_world_reproduces_published_numbers(smoke_world):
    """The same numbers on every machine: the smoke world's tables, figure CSVs and claims agree with the published
    ones (tests/data/smoke-reference, written with scripts/verify.py --write) within verify's tolerance, and every
    claim has its published verdict."""
    from lminterp.report import verify as V

    wf, _ = smoke_world
    results = V.compare(wf, ROOT / "tests" / "data" / "smoke-reference")
    print("\n".join(V.describe(r) for r in results))
    bad = [V.describe(r) + "\n" + "\n".join(r.failures[:5]) for r in results if r.status != "identical"
           and r.status != "within tolerance"]
    assert len(results) == 38 and not bad, "\n".join(bad)



OFFLINE_GUARD = """
import os, socket
_log = os.environ["LMINTERP_NETWORK_LOG"]
_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex
def _allowed(sock, address):
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return True                                  # unix sockets: local by definition
    host = str(address[0])
    return host.startswith("127.") or host in ("::1", "localhost")
def _guarded(real):
    def connect(self, address, *args):
        if not _allowed(self, address):
            with open(_log, "a") as f:
                f.write(f"pid {os.getpid()}: connect to {address!r}\\n")
            raise OSError(f"offline test: connection to {address!r} refused")
        return real(self, address, *args)
    return connect
socket.socket.connect, socket.socket.connect_ex = _guarded(_connect), _guarded(_connect_ex)
"""


def offline_env(tmp_path):
    site = tmp_path / "offline-site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(OFFLINE_GUARD)
    log = tmp_path / "network.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}   # nothing preset
    env.update(PYTHONPATH=os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")])),
               LMINTERP_NETWORK_LOG=str(log))
    return env, log


def test_the_offline_guard_catches_a_connection(tmp_path):
    """The guard itself: a process that reaches for the network is stopped and recorded (else the offline runs
    below would prove nothing)."""
    env, log = offline_env(tmp_path)
    probe = "import socket\ntry:\n    socket.create_connection(('93.184.216.34', 80), timeout=5)\nexcept OSError as e:\n    print(e)"
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True).stdout
    assert "offline test: connection to ('93.184.216.34', 80) refused" in out
    assert "93.184.216.34" in log.read_text()


def test_every_module_imports_offline(tmp_path):
    env, log = offline_env(tmp_path)
    code = ("import importlib, pkgutil, lminterp\n"
            "for m in pkgutil.walk_packages(lminterp.__path__, 'lminterp.'):\n"
            "    importlib.import_module(m.name)\n"
            "print('imported', len(list(pkgutil.walk_packages(lminterp.__path__))))")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and "imported" in proc.stdout, proc.stderr[-3000:]
    assert not log.exists(), log.read_text()
