"""Dial a style, the workflow side (lminterp/dial/requests.py): request files refused with the key named, the
measured points read from score files, the chosen model's canonical name, and the answer on planted scores."""
import numpy as np
import pandas as pd
import pytest

from lminterp.dial import surfaces as D
from lminterp import specs as S
from lminterp.dial import requests as Q
from lminterp.evaluation.results import ResultFiles

ATTRS = ["sentiment", "politeness", "formality"]
CFG = {"world": "tiny", "attributes": {a: {} for a in ATTRS}, "single_attribute": {"stable_region": [-1.0, 2.0]},
       "statistics": {"replicates": 200, "seed": 0, "level": 0.95}, "dial": {"tolerance": 0.1}}


def _request(tmp_path, text, name="mine"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def test_a_request_is_read_in_config_order_with_default_bounds(tmp_path):
    req = Q.load_request(_request(tmp_path, "world: tiny\ntargets: {formality: 0.3, sentiment: 0.8}\n"), CFG)
    assert req == {"name": "mine", "targets": {"sentiment": 0.8, "formality": 0.3}, "alpha_bounds": [-1.0, 2.0]}


@pytest.mark.parametrize("text, message", [
    ("targets: {humor: 0.5}\n", r"targets.humor: not an attribute of this config \(sentiment, politeness"),
    ("targets: {sentiment: 1.5}\n", r"targets.sentiment: a score is a number in \[0, 1\], got 1.5"),
    ("targets: {sentiment: yes}\n", r"targets.sentiment: a score is a number"),
    ("targets: {}\n", "targets: give 1 to 3 attributes"),
    ("targets: {sentiment: .1, politeness: .1, formality: .1, humor: .1}\n", "targets: give 1 to 3"),
    ("world: hub\ntargets: {sentiment: 0.5}\n", "world: written for the 'hub' world, but the config runs 'tiny'"),
    ("targets: {sentiment: 0.5}\nalpha_bounds: [2, 1]\n", r"alpha_bounds: two numbers \[low, high\] with low < high"),
    ("targets: {sentiment: 0.5}\nalpha: 1\n", r"unknown keys \['alpha'\]"),
    ("- sentiment\n", "a request is a mapping"),
])
def test_bad_requests_name_the_key(tmp_path, text, message):
    with pytest.raises(Q.RequestError, match=message):
        Q.load_request(_request(tmp_path, text), CFG)


def test_a_missing_request_says_how_to_write_one(tmp_path):
    with pytest.raises(Q.RequestError, match="no such request file"):
        Q.load_request(tmp_path / "nope.yaml", CFG)


def _scores(tmp_path, spec, level: dict, n_prompts=6, samples=3, seed=0):
    rng = np.random.default_rng(seed)
    rows = [{"prompt_id": p, "sample": k, **{a: float(np.clip(level.get(a, 0.2) + rng.normal(0, 0.02), 0, 1))
                                               for a in ATTRS}}
            for p in range(n_prompts) for k in range(samples)]
    path = tmp_path / f"{spec.name}.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _truth(alpha, lam):          # the planted surface: score = 0.2 + 0.6 * lam * alpha
    return 0.2 + 0.6 * lam * alpha


def test_measured_points_carry_each_attributes_own_alpha_and_lambda(tmp_path):
    specs = [S.make("interp", ATTRS, ("sentiment", a)) for a in (0.0, 0.5, 1.0)]
    specs.append(S.make("interp", ATTRS, ("sentiment", 1.0, 0.5), ("formality", 0.0, 0.5)))
    paths = [_scores(tmp_path, s, {t.attribute: _truth(t.alpha, t.lam) for t in s.terms}) for s in specs]
    pts = Q.measured_points(ResultFiles(scores=paths), specs, CFG)
    assert len(pts) == len(specs) * len(ATTRS) and list(pts.columns) == list(D.COLUMNS)
    pair = pts[pts["model"] == specs[-1].name].set_index("attribute")
    assert pair.loc["sentiment", ["alpha", "lam"]].tolist() == [1.0, 0.5]
    assert pair.loc["politeness", "lam"] == 0.0 and np.isnan(pair.loc["politeness", "alpha"])
    assert abs(pair.loc["sentiment", "score"] - 0.5) < 0.02                 # 0.2 + 0.6 * 0.5 * 1
    assert (pts["lo"] <= pts["score"]).all() and (pts["score"] <= pts["hi"]).all()


def test_solve_then_answer_on_a_planted_surface(tmp_path):
    """Measured models on a planted surface; the request's model, 'built' from the same surface, reaches it."""
    specs = []
    for a in ATTRS:
        specs += [S.make("interp", ATTRS, (a, x)) for x in (-1.0, -0.5, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)]
        specs += [S.make("interp", ATTRS, (a, x, lam), *((b, 0.0, (1 - lam) / 2) for b in ATTRS if b != a))
                  for x in (0.0, 0.5, 1.0) for lam in (0.4, 0.6, 0.8)]
    specs = sorted(set(specs), key=S.spec_name)
    paths = [_scores(tmp_path, s, {t.attribute: _truth(t.alpha, t.lam) for t in s.terms}, seed=k)
             for k, s in enumerate(specs)]
    points = Q.measured_points(ResultFiles(scores=paths), specs, CFG)
    request = Q.load_request(_request(tmp_path, "targets: {sentiment: 0.5, formality: 0.35}\n"), CFG)
    record = Q.solve_request(request, points, CFG)
    spec = S.parse_spec(record["spec"])
    assert spec == S.canonical(spec, ATTRS) and spec.attributes == ("sentiment", "formality")
    assert abs(sum(t.lam for t in spec.terms) - 1.0) < 1e-9
    for a, target in request["targets"].items():
        assert abs(record["predicted"][a] - target) < 0.03, record
    built = _scores(tmp_path / "..", spec, {t.attribute: _truth(t.alpha, t.lam) for t in spec.terms}, seed=99)
    ans = Q.answer(record, pd.read_csv(built), CFG)
    assert ans["model"] == spec.name and ans["reachable"]
    for a, v in ans["attributes"].items():
        assert v["within_tolerance"] and abs(v["achieved"] - v["target"]) < 0.05, ans
        assert v["achieved_lo"] <= v["achieved"] <= v["achieved_hi"]
    table = Q.dial_table([ans])
    assert list(table["attribute"]) == ["sentiment", "formality"] and table["within_tolerance"].all()


def test_an_unreachable_request_gets_the_closest_model_and_says_so(tmp_path):
    specs = [S.make("interp", ATTRS, ("sentiment", x)) for x in (-1.0, -0.5, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)]
    specs += [S.make("interp", ATTRS, ("politeness", x)) for x in (0.0, 1.0)]
    paths = [_scores(tmp_path, s, {t.attribute: min(0.7, _truth(t.alpha, t.lam)) for t in s.terms}, seed=k)
             for k, s in enumerate(specs)]
    points = Q.measured_points(ResultFiles(scores=paths), specs, CFG)
    request = Q.load_request(_request(tmp_path, "targets: {sentiment: 0.95}\n"), CFG)
    record = Q.solve_request(request, points, CFG)
    assert not record["reachable"] and "sentiment 0.95 is out of reach" in record["message"]
    assert record["predicted"]["sentiment"] == pytest.approx(0.7, abs=0.03)
    ans = Q.answer(record, pd.read_csv(paths[-3]), CFG)
    assert ans["message"] == record["message"] and not ans["attributes"]["sentiment"]["within_tolerance"]
