import pytest

from lminterp import registry as R
from lminterp import specs as S

ORDER = ["sentiment", "politeness", "formality", "simplicity", "humor"]


@pytest.mark.parametrize("x,expected", [(0.25, "0.25"), (1.0, "1"), (-0.0, "0"), (0.1 + 0.2, "0.3"),
                                        (-1.5, "-1.5"), (0.250000001, "0.25"), (2, "2"), (1e-7, "0")])
def test_format_number_one_way_only(x, expected):
    assert S.format_number(x) == expected


def test_names_round_trip():
    cases = [
        S.make("interp", ORDER, ("sentiment", 0.25)),
        S.make("interp", ORDER, ("humor", 0.75, 0.5), ("sentiment", 1, 0.5)),
        S.make("dexperts-raw", ORDER, ("humor", -1.5)),
        S.make("arith", ORDER, ("politeness", 0.5, 0.3), ("formality", 0, 0.7)),
        S.make("gt", ORDER, ("simplicity", 0.3)),
        S.Spec("base"),
        S.make("interp", ORDER, *[(a, 0.2 * k, 0.2) for k, a in enumerate(ORDER)]),
    ]
    for spec in cases:
        name = spec.name
        assert S.parse_spec(name) == spec
        assert S.canonical(S.parse_spec(name), ORDER).name == name
        import re
        assert re.fullmatch(S.SPEC_NAME_REGEX, name)


def test_canonical_order_and_zero_lambda():
    a = S.make("interp", ORDER, ("humor", 1, 0.5), ("sentiment", 0, 0.5))
    assert a.name == "interp_sentiment-a0-l0.5_humor-a1-l0.5"
    # a zero-lambda term has no effect on the model, so it is not part of the name
    b = S.make("interp", ORDER, ("humor", 0.3, 0.0), ("sentiment", 0.5, 1.0))
    assert b == S.make("interp", ORDER, ("sentiment", 0.5))


def test_gt_endpoints_are_the_anchors():
    assert S.make("gt", ORDER, ("humor", 1.0)) == S.make("interp", ORDER, ("humor", 1))
    assert S.make("gt", ORDER, ("humor", 0)).name == "interp_humor-a0"
    assert S.make("gt", ORDER, ("humor", 0.5)).method == "gt"


@pytest.mark.parametrize("bad", [
    lambda: S.make("interp", ORDER, ("sentiment", 0.5, 0.5)),            # lambdas sum to 0.5
    lambda: S.make("interp", ORDER, ("nonsense", 0.5)),                 # unknown attribute
    lambda: S.make("gt", ORDER, ("humor", 1.5)),                        # GT fraction outside [0, 1]
    lambda: S.make("teleport", ORDER, ("humor", 1)),                    # unknown method
    lambda: S.parse_spec("interp_humor-x1"),                            # malformed term
    lambda: S.make("interp", ORDER, ("humor", 0.5, 0.5), ("humor", 1, 0.5)),  # attribute twice
])
def test_bad_specs_fail(bad):
    with pytest.raises(ValueError):
        bad()


def test_entanglement_specs_share_models():
    cfg = {"attributes": {a: {} for a in ORDER}, "entanglement": {"alphas": [0, 0.25, 0.5, 0.75, 1], "lambda": 0.5},
           "baselines": {"raw_strengths": [-1, 0, 1]},
           "single_attribute": {"alphas": [0, 0.5, 1], "extrapolation_alphas": [-1, 0, 1, 2]},
           "multi_attribute": {"alphas": [0, 1], "lambdas": [0.5, 1]}, "simplex": {"divisions": 2},
           "prompted": {"table6_alphas": [0, 1]}}
    fig8 = S.entanglement_specs("interp", ORDER, [0, 0.25, 0.5, 0.75, 1], 0.5, 1.0)
    assert len(fig8) == 20
    flat = {s for g in fig8.values() for s in g}
    assert len(flat) == 20 * 5 - 10      # (i=1, j=1) is the same model as (j=1, i=1)
    fig16 = {s for g in S.entanglement_specs("interp", ORDER, [0, 0.25, 0.5, 0.75, 1], 0.5, 0.0).values() for s in g}
    assert len(flat | fig16) == 10 * 16  # per unordered pair: the 5x5 grid less its 3x3 interior
    every = R.all_specs(cfg)
    assert len(every) == len(set(every))
    sweeps = R.sweeps(cfg)
    owned = [s for ss in sweeps.values() for s in ss]
    assert sorted(owned, key=S.spec_name) == every  # each spec owned by exactly one sweep
    assert set(sweeps) >= {"scaling-interp-anchors", "fig8-interp-pair", "scaling-arith-raw-single",
                           "fig8-dexperts-pair", "fig16-arith-pair"}
    assert len(sweeps["scaling-interp-anchors"]) == 2 * len(ORDER)
    assert all(len({s.method for s in ss}) == 1 for ss in sweeps.values())  # one method per sweep
    # fig8 owns all of its models; fig16 owns only the ones fig8 does not need
    fig8_owned = {s for k, ss in sweeps.items() if k.startswith("fig8-") for s in ss}
    assert fig8_owned == {s for m in ("interp", "dexperts", "arith")
                          for g in S.entanglement_specs(m, ORDER, [0, 0.25, 0.5, 0.75, 1], 0.5, 1.0).values() for s in g}
    assert len(sweeps["fig16-interp-pair"]) == 10 * 16 - 90
    fine = R.sweeps({**cfg, "generation": {"sweep_by": "attributes"}})
    assert "fig8-interp-pair-sentiment-humor" in fine and len(fine) > len(sweeps)


@pytest.mark.parametrize("n", [3, 6, 10, 12])
def test_simplex_lattice_names_are_exact(n):
    points = S.simplex_lattice(n)
    assert len(points) == (n + 1) * (n + 2) // 2 and len(set(points)) == len(points)
    assert all(sum(p) == n and min(p) >= 0 for p in points)            # sums to 1 exactly (integer numerators)
    assert {(n, 0, 0), (0, n, 0), (0, 0, n)} <= set(points)
    triple = ["sentiment", "politeness", "humor"]
    specs = S.simplex_specs("interp", ORDER, triple, [1.0, 0.5, 0.0], n)
    names = [s.name for s in specs]
    assert len(set(names)) == len(names)                               # one name per point ...
    for spec in specs:                                                 # ... that round-trips
        assert S.canonical(S.parse_spec(spec.name), ORDER) == spec
    # vertices and edges are the models other figures name: the anchors and the two-attribute models
    assert S.make("interp", ORDER, ("sentiment", 1)) in specs and S.make("interp", ORDER, ("humor", 0)) in specs
    if n % 2 == 0:
        assert S.make("interp", ORDER, ("sentiment", 1, 0.5), ("humor", 0, 0.5)) in specs


@pytest.mark.parametrize("other_alpha", [0.0, 1.0])
def test_multi_attribute_grid(other_alpha):
    cfg = {"attributes": {a: {} for a in ORDER},
           "multi_attribute": {"alphas": [0.0, 0.5, 1.0], "lambdas": [0.2, 0.6, 1.0]}}
    grid = S.multi_attribute_specs(cfg, other_alpha)
    assert list(grid) == ORDER and all(len(ss) == 3 * 3 for ss in grid.values())
    for a, specs in grid.items():
        for spec in specs:
            lam = {t.attribute: t.lam for t in spec.terms}
            assert sum(lam.values()) == pytest.approx(1.0, abs=1e-5)
            others = [t for t in spec.terms if t.attribute != a]
            assert all(t.alpha == other_alpha for t in others)
            assert len({t.lam for t in others}) <= 1                   # every other attribute: (1 - lambda_i) / 4
        # lambda_i = 1 is the single-attribute model other figures use; 0.2 weighs all five alike
        assert S.make("interp", ORDER, (a, 0.5)) in specs
    uniform = S.make("interp", ORDER, *((b, other_alpha, 0.2) for b in ORDER))
    assert all(uniform in ss for ss in grid.values())                   # one model, shared by all five panels


def test_triple_simplex_specs_refuse_unknown_attributes():
    cfg = {"attributes": {a: {} for a in ORDER}, "simplex": {"divisions": 3}}
    assert len(S.triple_simplex_specs(cfg, ("humor", "formality", "simplicity"), 1.0)) == 10
    with pytest.raises(ValueError, match="not in the config"):
        S.triple_simplex_specs(cfg, ("humor", "formality", "irony"), 1.0)


def test_prompted_model_spec_and_recipe():
    from lminterp.mixing.recipes import recipe_for

    spec = S.make("prompted", ORDER, ("humor", 0.3))
    assert spec.name == "prompted_humor-a0.3" and S.family(spec) == "single"
    instruction = {"template": "make it {attribute} at {level} ({class_0} to {class_1}) :",
                   "class_names": {"humor": ["serious", "funny"]}}
    (component,) = recipe_for(spec, instruction=instruction).components
    assert component.prefix == "make it humor at 0.3 (serious to funny) :" and component.adapter_weights == ()
    for bad in (S.Spec("prompted", (S.Term("humor", 1.5),)),
                S.Spec("prompted", (S.Term("humor", 1.0, 0.5), S.Term("formality", 1.0, 0.5)))):
        with pytest.raises(ValueError, match="prompted model"):
            S.canonical(bad, ORDER)
    with pytest.raises(ValueError, match="instruction"):
        recipe_for(spec)
