"""The registry of figures and tables: ownership stays stable, every target is consistent, code hashes follow the
imports."""
import json
from pathlib import Path

import pytest

from lminterp import code_deps
from lminterp import registry as R
from lminterp import specs as S
from lminterp.config import load_config
from lminterp.results import KINDS

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
                     "lminterp.curves:extrapolation_scores", (), plot="lminterp.plots:extrapolation_figure")
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


def test_code_closure_follows_imports(tmp_path):
    gen = {p.name for p in code_deps.module_closure(ROOT / "scripts" / "generate.py")}
    assert {"generation.py", "recipes.py", "mixing.py", "specs.py", "runtime.py", "__init__.py"} <= gen
    assert "diversity.py" not in gen and "plots.py" not in gen
    ppl = {p.name for p in code_deps.module_closure(ROOT / "scripts" / "perplexity.py")}
    assert "generation.py" not in ppl and "recipes.py" in ppl
    scaling = {p.name for p in code_deps.module_closure(ROOT / "scripts" / "alpha_scaling.py")}
    assert "diversity.py" not in scaling and "scaling.py" in scaling
    # a module named at run time (a registry function) brings its own imports
    table = {p.name for p in code_deps.module_closure(ROOT / "scripts" / "table.py", "lminterp.table1")}
    assert {"table1.py", "diversity.py", "tables.py", "plots.py"} <= table
    # imports inside functions count, relative ones too
    script = tmp_path / "job.py"
    script.write_text("def f():\n    from lminterp.recipes import load_sweep\n")
    assert {p.name for p in code_deps.module_closure(script)} >= {"recipes.py", "specs.py", "job.py"}
    with pytest.raises(ValueError):
        code_deps.module_closure("lminterp.no_such_module")


def test_figure_jobs_do_not_depend_on_plotting_code():
    """Every numbers and checks job imports the registry: if the registry pulled in plots.py, editing a plot
    would rerun every figure's numbers (the rerun audit once caught exactly that)."""
    plotting = {"plots.py", "tables.py", "ternary.py", "setup_tables.py"}
    for t in R.TARGETS:
        if t.kind == "figure":
            closure = {p.name for p in code_deps.module_closure(ROOT / "scripts" / "figure_numbers.py",
                                                                t.numbers.partition(":")[0])}
            assert not closure & (plotting | {"world.py"}), (t.name, closure & plotting)
    checks = {p.name for p in code_deps.module_closure(ROOT / "scripts" / "figure_checks.py",
                                                       *(t.check.partition(":")[0] for t in R.TARGETS if t.check))}
    assert not checks & plotting, checks & plotting


def test_code_digest_changes_with_content(tmp_path):
    script = tmp_path / "job.py"
    script.write_text("from lminterp import specs\n")
    a = code_deps.code_digest(script)
    script.write_text("from lminterp import specs\n# edited\n")
    assert code_deps.code_digest(script) != a


def test_every_rule_hashes_the_script_it_runs():
    """Each rule with a `script:` carries `code=code("<that script>", ...)` in its params: the hash covers the
    code the job runs (a rule without it would miss library edits; one naming another script, its own)."""
    import re

    checked = 0
    for smk in sorted((ROOT / "rules").glob("*.smk")):
        blocks = re.split(r"\n(?=\s*rule\b)", smk.read_text())
        for block in blocks:
            script = re.search(r'script:\s*\n\s*"\.\./scripts/([\w.]+)"', block)
            if not script or "# no code hash:" in block:   # said why, beside the rule
                continue
            codes = re.findall(r'code\("([\w.]+)"', block)
            assert codes == [script.group(1)], (smk.name, script.group(1), codes)
            checked += 1
    assert checked >= 15



def test_figure_and_table_code_never_imports_torch():
    """Numbers and plotting jobs (and the Snakefile's imports) load no torch: a figure job costs no 4 s import."""
    import subprocess
    import sys

    modules = ["lminterp.registry", "lminterp.code_deps", "lminterp.config", "lminterp.curves", "lminterp.table1",
               "lminterp.diversity", "lminterp.entanglement", "lminterp.intervals", "lminterp.weight_space",
               "lminterp.plots", "lminterp.tables", "lminterp.results", "lminterp.score_files", "lminterp.scaling"]
    code = f"import sys; import {', '.join(modules)}; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_the_published_reference_is_every_figure_csv_table_and_the_claims():
    """paper/reference (what `./repro verify` compares with) holds one file per figure with numbers, every table but
    table4 (a timing) and the claims; the smoke world's reference the same files."""
    from lminterp import registry as R
    from lminterp.verify import reference_files

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
