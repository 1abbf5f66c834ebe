"""Dial a style, the workflow side: request files, the measured points the surfaces are fitted on, the chosen model's
canonical spec, and the answer with target, predicted and achieved scores (lminterp/dial/surfaces.py fits and solves).

A request (requests/<name>.yaml):

    world: tiny                          # optional: the world it was written for (checked against the config)
    targets: {sentiment: 0.6, formality: 0.8}    # 1 to 3 attributes, scores in [0, 1]
    alpha_bounds: [0.0, 1.0]             # optional; default: single_attribute.stable_region
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd
import yaml

from lminterp.dial import surfaces as D
from lminterp import specs as S
from lminterp.evaluation.intervals import prompt_bootstrap
from lminterp.evaluation.results import ResultFiles, read_scores

MAX_TARGETS = 3


class RequestError(ValueError):
    pass


def load_request(path: str | Path, cfg: dict) -> dict:
    """Read and check a request file; returns {name, targets, alpha_bounds} (bounds filled from the config)."""
    path = Path(path)
    if not path.is_file():
        raise RequestError(f"{path}: no such request file (write one like requests/example.yaml: "
                           "targets: {attribute: score, ...})")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise RequestError(f"{path}: a request is a mapping with a `targets` key")
    unknown = set(raw) - {"world", "targets", "alpha_bounds", "description"}
    if unknown:
        raise RequestError(f"{path}: unknown keys {sorted(unknown)} (allowed: world, targets, alpha_bounds, "
                           "description)")
    if "world" in raw and raw["world"] != cfg["world"]:
        raise RequestError(f"{path}: world: written for the {raw['world']!r} world, but the config runs "
                           f"{cfg['world']!r}; use a config of that world or drop the key")
    targets = raw.get("targets")
    if not isinstance(targets, dict) or not 1 <= len(targets) <= MAX_TARGETS:
        raise RequestError(f"{path}: targets: give 1 to {MAX_TARGETS} attributes with a score each, "
                           "e.g. {sentiment: 0.7}")
    attrs = list(cfg["attributes"])
    for a, v in targets.items():
        if a not in attrs:
            raise RequestError(f"{path}: targets.{a}: not an attribute of this config ({', '.join(attrs)})")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
            raise RequestError(f"{path}: targets.{a}: a score is a number in [0, 1], got {v!r}")
    bounds = raw.get("alpha_bounds", cfg["single_attribute"]["stable_region"])
    if (not isinstance(bounds, (list, tuple)) or len(bounds) != 2
            or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)
            or not bounds[0] < bounds[1]):
        raise RequestError(f"{path}: alpha_bounds: two numbers [low, high] with low < high, got {bounds!r}")
    ordered = {a: float(targets[a]) for a in attrs if a in targets}     # config order: canonical names follow it
    return {"name": path.stem, "targets": ordered, "alpha_bounds": [float(bounds[0]), float(bounds[1])]}


def measured_points(files: ResultFiles, specs: Sequence[S.Spec], cfg: dict) -> pd.DataFrame:
    """One row per (model, attribute) in dial.COLUMNS: the attribute's own alpha and lambda in the model (lambda 0
    when the model lacks it), its mean score and bootstrap interval over prompts."""
    tables = {s: read_scores(files, s) for s in specs}
    boot = prompt_bootstrap(list(tables.values()), cfg["statistics"])
    rows = []
    for spec, t in tables.items():
        terms = {term.attribute: term for term in spec.terms}
        for a in cfg["attributes"]:
            mean, reps = boot.mean(t[a], t["prompt_id"])
            lo, hi = boot.interval(reps)
            term = terms.get(a)
            rows.append({"model": spec.name, "attribute": a, "alpha": term.alpha if term else float("nan"),
                         "lam": term.lam if term else 0.0, "score": mean, "lo": lo, "hi": hi})
    return pd.DataFrame(rows, columns=list(D.COLUMNS))


def chosen_spec(solution: D.Solution, attribute_order) -> S.Spec:
    return S.make("interp", attribute_order, *((a, solution.alphas[a], solution.lambdas[a]) for a in solution.alphas))


def solve_request(request: dict, points: pd.DataFrame, cfg: dict) -> dict:
    """Fit every requested attribute's surface and solve; the record written to results/dial/<name>.solution.json."""
    surfaces = D.fit_surfaces(points, list(request["targets"]))
    tolerance = cfg["dial"]["tolerance"]
    sol = D.solve(request["targets"], surfaces, alpha_bounds=tuple(request["alpha_bounds"]), tolerance=tolerance)
    spec = chosen_spec(sol, list(cfg["attributes"]))
    return {"request": request["name"], "targets": request["targets"], "alpha_bounds": request["alpha_bounds"],
            "spec": spec.name, "alphas": sol.alphas, "lambdas": sol.lambdas, "predicted": sol.predicted,
            "predicted_half_width": sol.half_width, "reachable": sol.reachable, "message": sol.message,
            "tolerance": tolerance,
            "fit": {a: {"rms": s.rms, "points": s.n_points, "params": list(s.params)} for a, s in surfaces.items()},
            "fitted_on": int(points["model"].nunique())}


def answer(solution: Mapping, scores: pd.DataFrame, cfg: dict) -> dict:
    """results/dial/<name>.json: per requested attribute the target, the predicted score (± the fit's half-width)
    and the achieved one (mean over the chosen model's generations, bootstrap interval over prompts)."""
    boot = prompt_bootstrap([scores], cfg["statistics"])
    tol = solution["tolerance"]
    per = {}
    for a, target in solution["targets"].items():
        mean, reps = boot.mean(scores[a], scores["prompt_id"])
        lo, hi = boot.interval(reps)
        per[a] = {"target": target, "alpha": solution["alphas"][a], "lambda": solution["lambdas"][a],
                  "predicted": solution["predicted"][a], "predicted_half_width": solution["predicted_half_width"][a],
                  "achieved": mean, "achieved_lo": lo, "achieved_hi": hi, "error": mean - target,
                  "within_tolerance": bool(abs(mean - target) <= tol)}
    within = sum(v["within_tolerance"] for v in per.values())
    note = solution["message"] if not solution["reachable"] else (
        f"{within} of {len(per)} targets achieved within {tol:g}")
    return {"request": solution["request"], "model": solution["spec"], "reachable": solution["reachable"],
            "message": note, "tolerance": tol, "attributes": per}


def dial_table(answers: Sequence[Mapping]) -> pd.DataFrame:
    """figures/dial.csv: one row per request and attribute."""
    rows = [{"request": ans["request"], "model": ans["model"], "reachable": ans["reachable"], "attribute": a,
             **{k: v[k] for k in ("target", "alpha", "lambda", "predicted", "predicted_half_width", "achieved",
                                  "achieved_lo", "achieved_hi", "error", "within_tolerance")}}
            for ans in answers for a, v in ans["attributes"].items()]
    return pd.DataFrame(rows)
