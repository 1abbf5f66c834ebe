"""Did a build reproduce the published numbers? Compares built tables, figure CSVs and claims with reference copies
(`paper/reference/` for the default world, `tests/data/smoke-reference/` for the test world), number by number.

A file is *identical* (same bytes), *within tolerance* or *differs*. Cells are compared column by column:

- a numeric cell passes when ``|built - reference|`` is at most ``atol`` (default 1e-6), or at most one unit of the
  last digit the reference printed (a CSV written with six decimals cannot agree closer than 1e-6), or at most
  ``rtol_halfwidth`` (default 1 %) of the 95 % interval half-width that belongs to it in the reference: its own
  (``x_lo``/``x_hi`` or ``x lo``/``x hi`` beside ``x``, ``lo``/``hi`` beside ``mean`` or ``value``), otherwise the
  row's first one;
- a text cell must be equal, except the numbers written inside it (a claim's evidence), which pass by the same
  rule as numeric cells without a half-width;
- a claim's ``verdict`` must be equal, always: a verdict that changed is named as a failure of its own.

No torch: numbers only (pandas reads the files as text, so that "0.100000" keeps its printed precision).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

ATOL = 1e-6
RTOL_HALFWIDTH = 0.01
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


@dataclass
class ColumnDiff:
    column: str
    largest: float = 0.0                 # largest absolute difference in the column
    share_of_halfwidth: float | None = None   # that difference over its half-width, where one exists
    row: int | None = None               # 0-based data row of the largest difference


@dataclass
class FileResult:
    name: str
    status: str                          # identical | within tolerance | differs | missing
    columns: list[ColumnDiff] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)   # "column, row i (key): built vs reference ..." lines

    @property
    def largest(self) -> ColumnDiff | None:
        return max(self.columns, key=lambda c: c.largest, default=None)


def _float(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _unit(text: str) -> float:
    """One unit in the last printed digit of a decimal number ("0.123" -> 0.001; "12" -> 1)."""
    mant, _, exp = text.strip().lower().partition("e")
    decimals = len(mant.partition(".")[2]) if "." in mant else 0
    return 10.0 ** (-decimals + (int(exp) if exp else 0))


def _halfwidths(ref: pd.DataFrame) -> dict[str, pd.Series]:
    """Per column, the reference's interval half-width of each row (NaN where the row has none)."""
    cols = list(ref.columns)
    num = {c: pd.to_numeric(ref[c], errors="coerce") for c in cols}
    own: dict[str, pd.Series] = {}
    for c in cols:
        for sep in ("_", " "):   # figure CSVs: auc_lo / auc_hi; tables: "Average lo" / "Average hi"
            lo, hi = f"{c}{sep}lo", f"{c}{sep}hi"
            if lo in num and hi in num:
                own[c] = own[lo] = own[hi] = (num[hi] - num[lo]) / 2
    if "lo" in num and "hi" in num:
        hw = (num["hi"] - num["lo"]) / 2
        for c in ("mean", "value", "lo", "hi"):
            if c in num:
                own[c] = hw
    first = None
    for c in cols:
        if c in own:
            first = own[c] if first is None else first.fillna(own[c])
    nan = pd.Series(float("nan"), index=ref.index)
    return {c: own.get(c, first if first is not None else nan) for c in cols}


def _row_key(ref: pd.DataFrame, i: int) -> str:
    """The row's text cells (method, attribute, ...) that name it for a reader."""
    texts = [str(v) for v in ref.iloc[i] if isinstance(v, str) and _float(v) is None and len(v) <= 40]
    return " ".join(texts[:3])


def _close(built: float, reference: float, ref_text: str, halfwidth: float, atol: float, rtol: float) -> bool:
    diff = abs(built - reference)
    return bool(diff <= atol or diff <= _unit(ref_text) * (1 + 1e-9)
                or (halfwidth == halfwidth and halfwidth > 0 and diff <= rtol * halfwidth))


def compare_file(built_path: Path, ref_path: Path, name: str, atol: float = ATOL,
                 rtol_halfwidth: float = RTOL_HALFWIDTH) -> FileResult:
    if not built_path.exists():
        return FileResult(name, "missing")
    if built_path.read_bytes() == ref_path.read_bytes():
        return FileResult(name, "identical")
    built = pd.read_csv(built_path, dtype=str, keep_default_na=False)
    ref = pd.read_csv(ref_path, dtype=str, keep_default_na=False)
    if list(built.columns) != list(ref.columns) or len(built) != len(ref):
        return FileResult(name, "differs", failures=[
            f"shape: columns {list(built.columns)} x {len(built)} rows, reference {list(ref.columns)} x {len(ref)} rows"])
    halfwidths = _halfwidths(ref)
    result = FileResult(name, "within tolerance")
    for c in ref.columns:
        col = ColumnDiff(c)
        numeric = False
        for i, (b, r) in enumerate(zip(built[c], ref[c])):
            if b == r:
                continue
            fb, fr = _float(b), _float(r)
            where = f"{c!r}, row {i + 1} ({_row_key(ref, i)})"
            if c == "verdict":
                result.failures.append(f"claim {ref.iloc[i, 0]} verdict: {b!r}, reference {r!r}")
                continue
            if fb is not None and fr is not None:
                numeric = True
                hw = float(halfwidths[c].iloc[i])
                diff = abs(fb - fr)
                if diff > col.largest or col.row is None:
                    col.largest, col.row = diff, i
                    col.share_of_halfwidth = diff / hw if hw == hw and hw > 0 else None
                if not _close(fb, fr, r, hw, atol, rtol_halfwidth):
                    share = f", {diff / hw:.1%} of its half-width {hw:.3g}" if hw == hw and hw > 0 else ""
                    result.failures.append(f"{where}: {b} vs reference {r} (difference {diff:.3g}{share})")
                continue
            # text: equal outside its numbers; the numbers within one unit of their last printed digit
            nb, nr = _NUMBER.findall(b), _NUMBER.findall(r)
            if _NUMBER.sub("#", b) != _NUMBER.sub("#", r) or len(nb) != len(nr):
                result.failures.append(f"{where}: text {b!r} vs reference {r!r}")
                continue
            for tb, tr in zip(nb, nr):
                diff = abs(float(tb) - float(tr))
                if diff > col.largest or col.row is None:
                    col.largest, col.row = diff, i
                if not _close(float(tb), float(tr), tr, float("nan"), atol, rtol_halfwidth):
                    result.failures.append(f"{where}: number {tb} vs reference {tr} in {b!r}")
        if col.row is not None or numeric:
            result.columns.append(col)
    if result.failures:
        result.status = "differs"
    return result


def reference_files(reference_dir: Path) -> list[str]:
    """The published files of a reference directory, as paths relative to it (build-relative paths)."""
    return sorted(str(p.relative_to(reference_dir)) for p in reference_dir.rglob("*.csv"))


def compare(build_dir: Path, reference_dir: Path, atol: float = ATOL,
            rtol_halfwidth: float = RTOL_HALFWIDTH) -> list[FileResult]:
    build_dir, reference_dir = Path(build_dir), Path(reference_dir)
    names = reference_files(reference_dir)
    if not names:
        raise FileNotFoundError(f"no reference CSV files under {reference_dir}")
    return [compare_file(build_dir / n, reference_dir / n, n, atol, rtol_halfwidth) for n in names]


def describe(r: FileResult) -> str:
    """One line for a file: its status and, within tolerance, its largest difference."""
    if r.status in ("identical", "missing"):
        return f"{r.status:<17} {r.name}"
    if r.status == "within tolerance":
        big = r.largest
        if big is None:
            return f"{r.status:<17} {r.name}"
        share = f" ({big.share_of_halfwidth:.2%} of its half-width)" if big.share_of_halfwidth is not None else ""
        return f"{r.status:<17} {r.name}   largest difference {big.largest:.2g} in {big.column!r}, row {big.row + 1}{share}"
    first = r.failures[0]
    more = f" (+{len(r.failures) - 1} more)" if len(r.failures) > 1 else ""
    return f"{'DIFFERS':<17} {r.name}   {first}{more}"


def summary(results: list[FileResult]) -> dict[str, int]:
    counts = {"identical": 0, "within tolerance": 0, "differs": 0, "missing": 0}
    for r in results:
        counts[r.status] += 1
    return counts


def verdict_line(results: list[FileResult]) -> str:
    """One sentence for the report: the counts and the largest difference within tolerance or the failures."""
    counts = summary(results)
    text = f"{len(results)} files: " + ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    within = [r for r in results if r.status == "within tolerance" and r.largest is not None]
    if within:
        worst = max(within, key=lambda r: r.largest.largest)
        text += f"; largest difference {worst.largest.largest:.2g} ({worst.name}, {worst.largest.column!r})"
    differ = [r.name for r in results if r.status in ("differs", "missing")]
    if differ:
        text += "; not reproduced: " + ", ".join(differ)
    return text
