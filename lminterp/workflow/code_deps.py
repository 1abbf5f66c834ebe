"""The code a workflow job runs: its script plus every module of this library it imports, hashed.

Snakemake reruns a job when its script changes, but it does not see the library modules the script imports.
Each rule therefore carries ``params: code=...``, the digest of its script and of the closure of the `lminterp`
modules it imports (found statically with ``ast``: every ``import``/``from ... import`` anywhere in a file,
including imports inside functions, followed transitively; parent packages count too). Editing a module reruns
exactly the jobs whose code imports it; editing an unrelated module, the README or the methods notes reruns
nothing. Content, not modification time, decides: a checkout or a ``touch`` that leaves the bytes as they were
reruns nothing.

A job that imports a module by name at run time (``importlib``, e.g. the numbers and plotting function a figure
names in the registry) lists that module among the entries.

    python -m lminterp.workflow.code_deps scripts/generate.py [lminterp.numbers.curves ...]   # the files a job's code hash covers
"""
from __future__ import annotations

import ast
import functools
import hashlib
import sys
from pathlib import Path

PACKAGE = "lminterp"
PACKAGE_DIR = Path(__file__).resolve().parents[1]   # lminterp/


def module_file(name: str) -> Path | None:
    """The source file of a module of this package (``lminterp.specs`` -> .../lminterp/specs.py), else None."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    path = PACKAGE_DIR.joinpath(*parts[1:])
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return None


def _module_name(path: Path) -> str | None:
    try:
        rel = path.resolve().relative_to(PACKAGE_DIR)
    except ValueError:
        return None
    parts = [PACKAGE, *rel.with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> frozenset[str]:
    """Names of the modules of this package that the file imports directly (anywhere in it), with their parent
    packages."""
    st = path.stat()
    return _imported_modules(path, st.st_mtime_ns, st.st_size)


@functools.cache
def _imported_modules(path: Path, mtime_ns: int, size: int) -> frozenset[str]:   # cached per file version
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    module = _module_name(path)
    package = None
    if module is not None:
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if package is None:
                    continue  # a relative import outside the package (not ours)
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import submodule`
    out = set()
    for name in names:
        parts = name.split(".")
        for k in range(1, len(parts) + 1):
            prefix = ".".join(parts[:k])
            if module_file(prefix) is not None:
                out.add(prefix)
    return frozenset(out)


def module_closure(*entries: str | Path) -> list[Path]:
    """The files behind ``entries`` (script paths and/or module names): the entries themselves and every module
    of this package they import, transitively; sorted."""
    todo: list[Path] = []
    for entry in entries:
        if isinstance(entry, Path) or str(entry).endswith(".py"):
            path = Path(entry)
            if not path.is_file():
                raise FileNotFoundError(f"code_deps: no file {path}")
            todo.append(path.resolve())
        else:
            path = module_file(str(entry))
            if path is None:
                raise ValueError(f"code_deps: {entry!r} is not a module of the {PACKAGE} package")
            todo.append(path)
            parts = str(entry).split(".")
            todo += [module_file(".".join(parts[:k])) for k in range(1, len(parts))]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo.extend(module_file(name) for name in imported_modules(path))
    return sorted(seen)


def _label(path: Path) -> str:
    try:
        return path.relative_to(PACKAGE_DIR.parent).as_posix()
    except ValueError:
        return path.name


def code_digest(*entries: str | Path) -> str:
    """A short digest of the contents of ``module_closure(*entries)`` (16 hex digits)."""
    h = hashlib.sha256()
    for path in module_closure(*entries):
        h.update(_label(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[-1].strip())
        return 2
    for path in module_closure(*argv):
        print(_label(path))
    print(f"digest: {code_digest(*argv)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
