"""Ground-truth mixture adapters train on an alpha fraction of class-1 data, as many texts as the anchors."""
import pytest

from lminterp import registry as R
from lminterp import specs as S
from lminterp.data.records import mixture_texts

C0 = [f"zero text {k}" for k in range(200)]
C1 = [f"one text {k}" for k in range(240)]


@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.25, 0.5, 0.75, 1.0])
def test_mixture_has_the_requested_class_fraction(alpha):
    texts = mixture_texts(C0, C1, alpha, seed=7)
    assert len(texts) == 200                     # one class's LM split: the anchors' number of texts
    n1 = sum(t.startswith("one") for t in texts)
    assert n1 == round(alpha * 200)
    assert len(set(texts)) == len(texts)         # no text drawn twice


def test_mixture_is_seeded_and_shuffled():
    a = mixture_texts(C0, C1, 0.5, seed=7)
    assert a == mixture_texts(C0, C1, 0.5, seed=7)
    assert a != mixture_texts(C0, C1, 0.5, seed=8)
    first_half = sum(t.startswith("one") for t in a[:100])
    assert 30 < first_half < 70                  # classes interleaved, not blocked


def test_mixture_rejects_impossible_fractions():
    with pytest.raises(ValueError):
        mixture_texts(C0, C1, 1.5, seed=0)


def test_single_attribute_groups_share_the_anchors_with_fig8():
    order = ["sentiment", "politeness", "formality", "simplicity", "humor"]
    cfg = {"attributes": {a: {} for a in order},
           "entanglement": {"alphas": [0, 0.25, 0.5, 0.75, 1], "lambda": 0.5},
           "baselines": {"raw_strengths": [-1, 0, 1]},
           "single_attribute": {"alphas": [0, 0.25, 0.5, 0.75, 1], "extrapolation_alphas": [-1, 0, 0.5, 1, 2]},
           "multi_attribute": {"alphas": [0, 1], "lambdas": [0.5, 1]}, "simplex": {"divisions": 2},
           "prompted": {"table6_alphas": [0, 1]}}
    single = S.single_attribute_specs(cfg)
    # GT endpoints are the anchors, which fig8's alpha scaling already owns
    assert single["gt"]["humor"][0] == single["interp"]["humor"][0] == S.make("interp", order, ("humor", 0))
    sweeps = R.sweeps(cfg)
    owner = {s: k for k, ss in sweeps.items() for s in ss}
    assert owner[single["gt"]["humor"][-1]] == "scaling-interp-anchors"
    assert owner[single["gt"]["humor"][1]] == "fig2-gt-single"
    # fig3's alpha = 0.5 model is fig2's: one file, one job
    assert owner[S.extrapolation_specs(cfg)["humor"][2]] == "fig2-interp-single"
    ppl = {s for ss in R.perplexity_sweeps(cfg).values() for s in ss}
    assert single["dexperts"]["sentiment"][2] in ppl and S.extrapolation_specs(cfg)["humor"][0] in ppl
