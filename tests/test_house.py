"""The rules of the house, read from the library's imports (every `import` anywhere in a module, as the code hashes
read them: lminterp/workflow/code_deps.py): no import circle, no import that runs up the stages of the DAG, and no
torch below the figures, numbers, report or dial."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lminterp.workflow import code_deps

LIB = code_deps.PACKAGE_DIR
# The stages in DAG order: a module imports from its own stage and the stages before it, never after it.
STAGES = ("data", "training", "mixing", "evaluation", "numbers", "dial", "figures", "report", "workflow")
GROUND = {"lminterp", "lminterp.io", "lminterp.specs", "lminterp.runtime", "lminterp.version", "lminterp.labels"}
TOP = {"lminterp.config", "lminterp.registry"}   # read the whole configuration / name every target's functions
NO_TORCH = ("evaluation", "numbers", "dial", "figures", "report")
HEAVY = ("torch", "transformers", "peft", "bitsandbytes", "accelerate", "safetensors.torch")


def _modules(root: Path = LIB) -> dict[str, Path]:
    return {code_deps._module_name(p): p for p in sorted(root.rglob("*.py"))}


def _graph(root: Path = LIB) -> dict[str, set[str]]:
    mods = _modules(root)
    graph = {}
    for name, path in mods.items():
        own_parents = {".".join(name.split(".")[:k]) for k in range(1, name.count(".") + 1)}
        graph[name] = {m for m in code_deps.imported_modules(path) if m != name and m not in own_parents}
    return graph


def _stage(module: str) -> str:
    if module in GROUND:
        return "ground"
    if module in TOP:
        return "top"
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in STAGES:
        return parts[1]
    raise AssertionError(f"{module} is in no stage: put it in a subpackage of {STAGES} or name it in GROUND/TOP")


def violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import that runs up the stages, with the rule it breaks."""
    out = []
    for module, imports in sorted(graph.items()):
        stage = _stage(module)
        for other in sorted(imports):
            if other in {".".join(other.split(".")[:1])} or (other not in graph):   # the package itself, or not ours
                continue
            to = _stage(other)
            if to == "top" and stage != "top":
                out.append(f"{module} imports {other}: only the workflow's scripts and rules read config/registry")
            elif stage == "ground" and to != "ground":
                out.append(f"{module} imports {other}: a ground module imports only ground modules")
            elif stage in STAGES and to in STAGES and STAGES.index(to) > STAGES.index(stage):
                out.append(f"{module} imports {other}: stage {stage} runs before {to} in the DAG")
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles (strongly connected components with more than one module), Tarjan's algorithm."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def third_party(path: Path) -> set[str]:
    """The modules outside this library that a file imports (anywhere in it), with their parent packages."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module)
    parents = {".".join(n.split(".")[:k]) for n in names for k in range(1, n.count(".") + 2)}
    return {n for n in parents if n.split(".")[0] != "lminterp"}


def test_every_module_has_a_stage_and_no_import_runs_up_the_stages():
    graph = _graph()
    assert not violations(graph), "\n".join(violations(graph))


def test_there_is_no_import_circle():
    assert not cycles(_graph()), cycles(_graph())


def test_no_torch_below_the_figures_numbers_report_and_dial():
    """Their jobs start in a second, not after a torch import (lminterp/figures never imports torch, nor anything
    it imports)."""
    mods = _modules()
    for name, path in mods.items():
        if _stage(name) in NO_TORCH:
            heavy = {(p.relative_to(LIB).as_posix(), h) for p in code_deps.module_closure(path)
                     for h in third_party(p) & set(HEAVY)}
            assert not heavy, (name, sorted(heavy))


def test_each_subpackage_init_is_a_docstring_only():
    """An __init__.py is hashed into every job that imports its package: code there would rerun them all."""
    for stage in STAGES:
        tree = ast.parse((LIB / stage / "__init__.py").read_text())
        assert len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr), stage


@pytest.mark.parametrize("module, line, rule", [
    ("training/lora.py", "from lminterp.numbers.curves import score_curves", "stage training runs before numbers"),
    ("figures/style.py", "import torch", "torch"),
    ("mixing/adapters.py", "from lminterp.mixing.generation import generate_sweep", "circle"),
    ("labels.py", "from lminterp.figures.style import PALETTE", "a ground module imports only ground modules"),
])
def test_the_rules_fail_when_broken(tmp_path, module, line, rule):
    """A copy of the library with one bad import added: the same checks find it."""
    import shutil

    copy = tmp_path / "lminterp"
    shutil.copytree(LIB, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text() + f"\n\ndef _added():\n    {line}\n")
    original = code_deps.PACKAGE_DIR
    code_deps.PACKAGE_DIR = copy
    try:
        graph = _graph(copy)
        if rule == "circle":
            assert cycles(graph)
        elif rule == "torch":
            assert "torch" in third_party(target)
            assert _stage("lminterp.figures.style") in NO_TORCH
        else:
            assert any(rule in v for v in violations(graph)), violations(graph)
    finally:
        code_deps.PACKAGE_DIR = original


def test_where_the_time_went_sums_this_runs_jobs_by_stage(tmp_path):
    """The table a successful run prints (Snakefile, onsuccess): only benchmark files written since the run began."""
    import os

    from lminterp.workflow import timing

    def bench(rel, seconds, mtime):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"s\th:m:s\tmax_rss\n{seconds}\t0:00:00\t1\n")
        os.utime(path, (mtime, mtime))

    bench("generate/fig2-interp-single.tsv", 30.0, 2000)
    bench("generate/fig8-arith-pair.tsv", 90.0, 2000)
    bench("train/anchors_sentiment.tsv", 60.0, 2000)
    bench("train/anchors_humor.tsv", 999.0, 500)              # an earlier run's
    times = timing.job_times(tmp_path, since=1000)
    assert sorted(times) == [("generate", "generate/fig2-interp-single", 30.0),
                             ("generate", "generate/fig8-arith-pair", 90.0), ("train", "train/anchors_sentiment", 60.0)]
    text = timing.summary(times, wall=100.0, top=2)
    assert "3 jobs, 180 s of job time in 100 s of wall time" in text
    assert "generate         2       120     67%" in text and "train            1        60     33%" in text
    assert text.index("generate  ") < text.index("train  ")
    assert text.endswith("longest jobs: generate/fig8-arith-pair 90 s, train/anchors_sentiment 60 s")
    assert "no job of this run" in timing.summary([], 1.0)
