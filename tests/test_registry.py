"""The registry of figures and tables: ownership stays stable, every target is consistent, code hashes follow the
imports."""
import json
from pathlib import Path

import pytest

from lminterp.workflow import code_deps
from lminterp import registry as R
from lminterp import specs as S
from lminterp.config import load_config
from lminterp.evaluation.results import KINDS

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "tests" / "data" / "ownership.json"


@pytest.fixture(scope="module")
def cfg():
    return load_config(ROOT / "config.yaml")


def test_no_model_changes_owner(cfg):
    """{spec: sweep} of the default config against the snapshot: a target added to the registry may bring new
    models, never take one from the sweep that owns it (which would regenerate it, and everything after it).
    After an intended change, rewrite the snapshot with `python tests/test_registry.py`."""
    snapshot = json.loads(SNAPSHOT.read_text())
    now = {s.name: sid for s, sid in R.owners(cfg).items()}
    moved = {name: (old, now.get(name)) for name, old in snapshot.items() if now.get(name) != old}
    assert not moved, f"{len(moved)} models changed owner or vanished, e.g. {list(moved.items())[:5]}"


def test_appending_a_target_changes_no_owner(cfg, monkeypatch):
    """Ownership follows claim order (registry order): a new target appended at the end, even one needing
    models that others own, changes no owner."""
    before = R.owners(cfg)
    extra = R.Target("figX", "figure", lambda c: {"scores": [s for ss in S.extrapolation_specs(c).values()
                                                             for s in ss]},
                     "lminterp.numbers.curves:extrapolation_scores", (), plot="lminterp.figures.curves:extrapolation_figure")
    monkeypatch.setattr(R, "TARGETS", R.TARGETS + (extra,))
    assert R.owners(cfg) == before


def test_every_model_is_owned_once_and_generated_or_measured(cfg):
    sweeps, ppl = R.sweeps(cfg), R.perplexity_sweeps(cfg)
    owned = [s for ss in sweeps.values() for s in ss]
    assert len(owned) == len(set(owned))
    needed = {s for _, needs in R.claims(cfg) for kind in ("scores", "generations") for s in needs.get(kind, ())}
    assert set(owned) == needed
    owner = R.owners(cfg)
    for sid, specs in ppl.items():   # perplexity jobs are grouped like their models' generation sweeps
        assert all(owner[s] == sid for s in specs)
    assert all(len({S.METHOD_INFO[s.method].scaling for s in ss}) == 1 for ss in sweeps.values())


def test_targets_resolve_and_declare_existing_config(cfg):
    for t in R.TARGETS:
        assert callable(R.resolve(t.numbers))
        if t.plot:
            assert callable(R.resolve(t.plot))
        if t.check:
            assert callable(R.resolve(t.check))
        narrow = R.narrow_config(cfg, t)
        assert list(narrow["attributes"]) == list(cfg["attributes"])
        for key in t.config:
            node = narrow
            for part in key.split("."):
                node = node[part]
        assert set(t.needs(cfg)) <= set(KINDS)


def test_a_config_without_an_attribute_leaves_out_the_simplices_that_need_it(cfg):
    """A researcher's config with four attributes: the simplices of humor are not part of its workflow (and
    building the rest does not fail); every other target still is."""
    four = {**cfg, "attributes": {a: v for a, v in cfg["attributes"].items() if a != "humor"}}
    names = {t.name for t in R.active(four)}
    assert {"fig6", "fig20", "fig28", "fig29", "fig5", "fig8"} <= names
    assert not names & {"fig7", "fig17", "fig18", "fig19", "fig25", "fig26", "fig27", "fig30"}
    assert all("humor" not in s.name for s in R.all_specs(four))
    assert {t.name for t in R.checked(four)} == {"fig8", "fig16", "table1", "fig9", "fig5", "fig15", "fig6", "fig20", "fig21",
                                                "fig22", "fig23", "fig24", "fig28", "fig29", "fig32"}


def test_simplex_figures_share_their_sweeps(cfg):
    """The twelve simplex figures and fig27-30 own their models as one group: a pair sweep and a triple sweep
    (vertices and the alpha = 1 edge midpoints belong to the anchors, fig3 and fig8)."""
    sweeps = R.sweeps(cfg)
    simplex = {sid for sid in sweeps if sid.startswith("simplex-")}
    assert simplex == {"simplex-interp-pair", "simplex-interp-triple"}
    n = cfg["simplex"]["divisions"]
    assert len(sweeps["simplex-interp-triple"]) == 4 * 3 * (n - 1) * (n - 2) // 2   # 4 triples x 3 alphas x interior
    assert set(R.perplexity_sweeps(cfg)["simplex-interp-triple"]) == set(sweeps["simplex-interp-triple"])


def test_narrow_config_holds_only_declared_keys(cfg):
    t = R.BY_NAME["table1"]
    narrow = R.narrow_config(cfg, t)
    assert narrow == {"attributes": list(cfg["attributes"]), "statistics": cfg["statistics"],
                      "single_attribute": {"alphas": cfg["single_attribute"]["alphas"]}}
    # the extrapolation grid is no business of Table 1's
    assert "extrapolation_alphas" not in narrow["single_attribute"]


def _closure(*entries) -> set[str]:
    """The files a job's code hash covers, as paths relative to the repository."""
    return {p.relative_to(ROOT).as_posix() for p in code_deps.module_closure(*entries)}


def test_code_closure_follows_imports(tmp_path):
    gen = _closure(ROOT / "scripts" / "generate.py")
    assert {"lminterp/mixing/generation.py", "lminterp/mixing/recipes.py", "lminterp/mixing/layers.py",
            "lminterp/specs.py", "lminterp/runtime.py", "lminterp/__init__.py", "lminterp/mixing/__init__.py"} <= gen
    assert "lminterp/evaluation/diversity.py" not in gen and not any(p.startswith("lminterp/figures/") for p in gen)
    ppl = _closure(ROOT / "scripts" / "perplexity.py")
    assert "lminterp/mixing/generation.py" not in ppl and "lminterp/mixing/recipes.py" in ppl
    scaling = _closure(ROOT / "scripts" / "alpha_scaling.py")
    assert "lminterp/evaluation/diversity.py" not in scaling and "lminterp/evaluation/scaling.py" in scaling
    # a module named at run time (a registry function) brings its own imports
    table = _closure(ROOT / "scripts" / "table.py", "lminterp.numbers.table1")
    assert {"lminterp/numbers/table1.py", "lminterp/evaluation/diversity.py", "lminterp/report/tables.py",
            "lminterp/labels.py"} <= table
    # imports inside functions count
    script = tmp_path / "job.py"
    script.write_text("def f():\n    from lminterp.mixing.recipes import load_sweep\n")
    assert {p.name for p in code_deps.module_closure(script)} >= {"recipes.py", "specs.py", "job.py"}
    with pytest.raises(ValueError):
        code_deps.module_closure("lminterp.no_such_module")


TRAINERS = {"lminterp/training/lora.py", "lminterp/training/pretrain.py", "lminterp/training/classifier.py"}


@pytest.mark.parametrize("script, own", [
    ("train_classifier.py", "lminterp/training/classifier.py"), ("score.py", "lminterp/training/classifier.py"),
    ("train_anchors.py", "lminterp/training/lora.py"), ("train_gt.py", "lminterp/training/lora.py"),
    ("pretrain_base.py", "lminterp/training/pretrain.py"), ("generate.py", None), ("perplexity.py", None),
    ("inference_cost.py", None)])
def test_a_job_hashes_only_its_own_training_loop(script, own):
    """Editing the LoRA trainer reruns no classifier, editing the classifier no adapter, and no generation or
    perplexity job hashes any training loop (they load a base through lminterp/training/models.py)."""
    closure = _closure(ROOT / "scripts" / script)
    assert closure & TRAINERS == ({own} if own else set()), closure & TRAINERS


def test_only_the_tiny_world_jobs_hash_its_generator():
    """The tiny world's generator (lminterp/data/world.py) is in the code hash of the tiny world's own data jobs
    and nowhere else: score and classifier jobs import its oracle by name, and only a world with tiny-world
    attributes names it (rules/common.smk, ORACLE). So editing the generator reruns nothing in a world of your own
    data (configs/local-example.yaml) and leaves the paper world's plan as it was."""
    import re

    world = "lminterp/data/world.py"
    jobs = {name for f in (ROOT / "rules").glob("*.smk") for name in re.findall(r'"\.\./scripts/(\w+\.py)"', f.read_text())}
    assert "score.py" in jobs and "train_classifier.py" in jobs
    own = {"tiny_world_data.py", "tiny_world_prompts.py"}
    hashing = {s for s in jobs if world in _closure(ROOT / "scripts" / s)}
    assert hashing <= own, hashing - own
    assert "tiny_world_data.py" in hashing
    smk = (ROOT / "rules" / "common.smk").read_text()
    assert 'ORACLE = "lminterp.data.world:oracle" if TINY_ATTRIBUTES else None' in smk


def test_figure_jobs_do_not_depend_on_plotting_code():
    """Every numbers and checks job imports the registry: if the registry pulled in a plotting module, editing a
    plot would rerun every figure's numbers (the rerun audit once caught exactly that). Table jobs draw nothing."""
    for t in R.TARGETS:
        entries = [ROOT / "scripts" / ("figure_numbers.py" if t.kind == "figure" else "table.py"),
                   t.numbers.partition(":")[0]]
        closure = _closure(*entries)
        drawn = {p for p in closure if p.startswith("lminterp/figures/")}
        assert not drawn and "lminterp/data/world.py" not in closure, (t.name, drawn)
    checks = _closure(ROOT / "scripts" / "figure_checks.py", *(t.check.partition(":")[0] for t in R.TARGETS if t.check))
    assert not {p for p in checks if p.startswith("lminterp/figures/")}


def test_a_figure_family_is_one_module_in_numbers_and_one_in_figures():
    """Each figure's numbers come from lminterp/numbers/<family>.py and its drawing from lminterp/figures/<family>.py
    (the same family name, so a reader goes from a figure id to its code in two hops)."""
    for t in R.TARGETS:
        if t.kind != "figure":
            continue
        numbers, plot = t.numbers.partition(":")[0], t.plot.partition(":")[0]
        assert plot.startswith("lminterp.figures."), (t.name, plot)
        family = plot.rsplit(".", 1)[1]
        assert numbers == f"lminterp.numbers.{family}", (t.name, numbers, plot)


def test_figure_and_table_code_never_imports_torch():
    """Numbers and plotting jobs (and the Snakefile's imports) load no torch: a figure job costs no 4 s import."""
    import subprocess
    import sys

    modules = ["lminterp.registry", "lminterp.workflow.code_deps", "lminterp.config", "lminterp.numbers.curves", "lminterp.numbers.table1",
               "lminterp.evaluation.diversity", "lminterp.numbers.entanglement", "lminterp.evaluation.intervals", "lminterp.numbers.weight_space",
               "lminterp.figures.style", "lminterp.figures.curves", "lminterp.figures.entanglement", "lminterp.figures.weight_space", "lminterp.figures.multi_attribute", "lminterp.figures.prompted", "lminterp.report.tables", "lminterp.evaluation.results", "lminterp.evaluation.score_files", "lminterp.evaluation.scaling"]
    code = f"import sys; import {', '.join(modules)}; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_the_published_reference_is_every_figure_csv_table_and_the_claims():
    """paper/reference (what `./repro verify` compares with) holds one file per figure with numbers, every table but
    table4 (a timing) and the claims; the smoke world's reference the same files."""
    from lminterp import registry as R
    from lminterp.report.verify import reference_files

    for ref in (ROOT / "paper" / "reference", ROOT / "tests" / "data" / "smoke-reference"):
        names = set(reference_files(ref))
        figures = {n for n in names if n.startswith("figures/")}
        assert {f"tables/{t}.csv" for t in R.TABLES if t != "table4"} | {"results/claims.csv"} <= names, ref
        assert {Path(n).stem for n in figures} <= set(R.FIGURES) and len(names) == 38, ref


if __name__ == "__main__":
    full = load_config(ROOT / "config.yaml")
    SNAPSHOT.write_text(json.dumps({s.name: sid for s, sid in sorted(R.owners(full).items(),
                                                                      key=lambda kv: kv[0].name)},
                                   indent=0, sort_keys=True))
    print(f"wrote {SNAPSHOT}")
