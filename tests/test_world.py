"""The tiny world: generator, oracle, joint distribution and data files."""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from lminterp.data.records import SPLITS, file_rng, stable_hash

from lminterp.data.tiny_world import classifier_records, write_tiny_world
from lminterp.data.world import (ATTRIBUTES, DEFAULT_DESCRIPTORS, MARKERS, WorldSpec, continuation_words,
                            joint_distribution, make_continuation, make_opener, make_text, marker_counts,
                            oracle, sample_values)

CORR = WorldSpec(correlations=(("politeness", "formality", 0.75),))
SMALL = dict(n_pretrain=300, n_lm_per_class=60, n_classifier_per_class={"train": 40, "validation": 10, "test": 20},
             n_prompts=30, n_perplexity_texts=25)
WORD_RANGE = (18, 40)   # words per continuation (punctuation not counted)


def _random_values(rng):
    return {a: int(rng.random() < 0.5) for a in ATTRIBUTES}


def _read_jsonl(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


# ---------------------------------------------------------------------------------------------
# Oracle
# ---------------------------------------------------------------------------------------------

def test_oracle_agrees_with_construction_on_continuations():
    rng = np.random.default_rng(0)
    for _ in range(2000):
        values = _random_values(rng)
        text = make_continuation(rng, values)
        assert oracle(text) == {a: float(v) for a, v in values.items()}, text
        counts = marker_counts(text)
        for a in ATTRIBUTES:  # no marker of the wrong pole at all
            assert counts[a][1 - values[a]] == 0, (a, text)


def test_oracle_agrees_on_full_texts_with_opener_and_descriptor():
    rng = np.random.default_rng(1)
    for i in range(1000):
        values = sample_values(rng, CORR)
        text = make_text(rng, CORR, values, with_descriptor=bool(i % 2))
        if i % 2:
            assert text.startswith("the following is ")
        assert oracle(text) == {a: float(v) for a, v in values.items()}, text


def test_oracle_undecided_without_markers_and_never_wrong_on_prefixes():
    rng = np.random.default_rng(2)
    half = {a: 0.5 for a in ATTRIBUTES}
    assert oracle("") == half
    assert oracle("the and of , .") == half
    for poles in DEFAULT_DESCRIPTORS.values():
        for d in poles.values():
            assert oracle(d) == half, d
    for _ in range(300):
        assert oracle(make_opener(rng)) == half
    undecided = 0
    for _ in range(300):
        values = _random_values(rng)
        words = make_continuation(rng, values).split()
        prefix = " ".join(words[: int(rng.integers(1, len(words)))])
        got = oracle(prefix)
        for a in ATTRIBUTES:
            assert got[a] in (float(values[a]), 0.5), (a, prefix)
            undecided += got[a] == 0.5
    assert undecided > 0  # a cut text does lose markers
    # a garbled text mixing both poles equally is undecided
    assert oracle("please ugh")["politeness"] == 0.5


def test_custom_descriptors_are_used_and_stripped():
    desc = {"sentiment": {"0": "the following is gloomy .", "1": "the following is sunny ."}}
    spec = WorldSpec(descriptors=desc, descriptor_fraction=1.0)
    assert spec.descriptors == {"sentiment": {0: "the following is gloomy .", 1: "the following is sunny ."}}
    rng = np.random.default_rng(3)
    for _ in range(50):
        values = sample_values(rng, spec)
        text = make_text(rng, spec, values, with_descriptor=True)
        assert text.startswith(desc["sentiment"][str(values["sentiment"])] + " ")
        assert oracle(text, descriptors=spec.descriptors)["sentiment"] == values["sentiment"]


def test_marker_sets_are_disjoint_between_poles():
    for a, (m0, m1) in MARKERS.items():
        assert not (m0 & m1), a
    assert all("'" not in w for w in MARKERS["formality"][1])  # apostrophes mark the informal pole


# ---------------------------------------------------------------------------------------------
# Joint distribution
# ---------------------------------------------------------------------------------------------

def _agreement(samples, a, b):
    return float(np.mean([s[a] == s[b] for s in samples]))


def test_correlated_pair_agreement_and_independent_pairs():
    spec = WorldSpec(correlations=(("politeness", "formality", 0.75), ("sentiment", "humor", 0.2)))
    rng = np.random.default_rng(4)
    samples = [sample_values(rng, spec) for _ in range(20000)]
    assert abs(_agreement(samples, "politeness", "formality") - 0.75) < 0.05
    assert abs(_agreement(samples, "sentiment", "humor") - 0.2) < 0.05
    for a, b in itertools.combinations(ATTRIBUTES, 2):
        if {a, b} not in ({"politeness", "formality"}, {"sentiment", "humor"}):
            assert abs(_agreement(samples, a, b) - 0.5) < 0.05, (a, b)
    for a in ATTRIBUTES:
        assert abs(np.mean([s[a] for s in samples]) - 0.5) < 0.05, a
    # exact: the model's own probabilities
    p = joint_distribution(spec)
    i, j = ATTRIBUTES.index("politeness"), ATTRIBUTES.index("formality")
    assert sum(v for k, v in p.items() if k[i] == k[j]) == pytest.approx(0.75)


def test_correlation_chain_holds_exactly():
    spec = WorldSpec(correlations=[{"attributes": ["sentiment", "politeness"], "agreement": 0.9},
                                   {"attributes": ["politeness", "formality"], "agreement": 0.7}])
    p = joint_distribution(spec)
    idx = {a: ATTRIBUTES.index(a) for a in ATTRIBUTES}
    agree = lambda a, b: sum(v for k, v in p.items() if k[idx[a]] == k[idx[b]])  # noqa: E731
    assert agree("sentiment", "politeness") == pytest.approx(0.9)
    assert agree("politeness", "formality") == pytest.approx(0.7)
    assert agree("sentiment", "formality") == pytest.approx(0.9 * 0.7 + 0.1 * 0.3)


def test_fixed_values_respected_and_others_conditioned():
    rng = np.random.default_rng(5)
    samples = [sample_values(rng, CORR, {"politeness": 1}) for _ in range(4000)]
    assert all(s["politeness"] == 1 for s in samples)
    assert abs(np.mean([s["formality"] for s in samples]) - 0.75) < 0.05   # polite data is mostly formal
    assert abs(np.mean([s["sentiment"] for s in samples]) - 0.5) < 0.05
    samples = [sample_values(rng, CORR, {"formality": 0, "humor": 1}) for _ in range(2000)]
    assert all(s["formality"] == 0 and s["humor"] == 1 for s in samples)
    assert abs(np.mean([s["politeness"] for s in samples]) - 0.25) < 0.05


def test_invalid_specs_raise():
    with pytest.raises(ValueError, match="colour"):
        WorldSpec(correlations=(("colour", "formality", 0.7),))
    with pytest.raises(ValueError, match="cycle"):
        WorldSpec(correlations=(("sentiment", "humor", 0.7), ("humor", "formality", 0.7),
                                ("formality", "sentiment", 0.7)))
    with pytest.raises(ValueError):
        WorldSpec(correlations=(("sentiment", "humor", 1.5),))
    with pytest.raises(ValueError, match="colour"):
        sample_values(np.random.default_rng(0), CORR, {"colour": 1})
    with pytest.raises(ValueError):
        make_continuation(np.random.default_rng(0), {"sentiment": 1})


def test_spec_from_config():
    attrs = {"sentiment": {"class_names": ["negative", "positive"],
                           "system_prompts": {"0": "the following is bad .", "1": "the following is good ."}}}
    spec = WorldSpec.from_config({"correlations": [{"attributes": ["politeness", "formality"], "agreement": 0.75}],
                                  "descriptor_fraction": 0.2}, attrs)
    assert spec.correlations == (("politeness", "formality", 0.75),)
    assert spec.descriptor_fraction == 0.2
    assert spec.descriptors == {"sentiment": {0: "the following is bad .", 1: "the following is good ."}}
    assert WorldSpec.from_config({}).descriptors == DEFAULT_DESCRIPTORS


# ---------------------------------------------------------------------------------------------
# Shape of the texts
# ---------------------------------------------------------------------------------------------

def test_lengths_and_format():
    rng = np.random.default_rng(6)
    lengths = []
    for _ in range(2000):
        text = make_continuation(rng, _random_values(rng))
        assert text == text.lower() and text.endswith(" .") and "  " not in text
        for p in ",.!?":
            assert all(t == p or p not in t for t in text.split()), text  # punctuation stands alone
        lengths.append(continuation_words(text))
    assert WORD_RANGE[0] <= min(lengths) and max(lengths) <= WORD_RANGE[1], (min(lengths), max(lengths))
    assert 22 <= np.mean(lengths) <= 32
    for _ in range(500):
        opener = make_opener(rng)
        assert 6 <= continuation_words(opener) <= 10 and opener.endswith(" ."), opener


def test_segment_order_and_styles_vary():
    rng = np.random.default_rng(7)
    values = {a: 1 for a in ATTRIBUTES}
    first = {make_continuation(rng, values).split()[0] for _ in range(300)}
    assert len(first) >= 6
    texts = {make_continuation(rng, values) for _ in range(500)}
    assert len(texts) >= 495  # lexical variety: essentially no repeats


def test_vocabulary_size():
    rng = np.random.default_rng(8)
    words = set()
    for _ in range(20000):
        words.update(make_text(rng, CORR, sample_values(rng, CORR), with_descriptor=rng.random() < 0.3).split())
    assert len(words) >= 400, len(words)


# ---------------------------------------------------------------------------------------------
# Data files
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("world")
    summary = write_tiny_world(out, seed=11, spec=CORR, attributes=list(ATTRIBUTES), **SMALL)
    return out, summary


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_files_and_counts(world_dir):
    out, summary = world_dir
    expected = {"pretrain.jsonl", "prompts.jsonl", "perplexity.txt"}
    for a in ATTRIBUTES:
        expected |= {f"lm/{a}/0.jsonl", f"lm/{a}/1.jsonl"} | {f"classifier/{a}/{s}.jsonl" for s in SPLITS}
    assert set(_tree(out)) == expected
    assert set(summary["counts"]) == expected
    assert summary["counts"]["pretrain.jsonl"] == len(_read_jsonl(out / "pretrain.jsonl")) == 300
    assert summary["counts"]["classifier/humor/train.jsonl"] == 80
    lines = (out / "perplexity.txt").read_text().splitlines()
    assert len(lines) == 25 and not any(line.startswith("the following") for line in lines)
    assert all(oracle(line)[a] in (0.0, 1.0) for line in lines for a in ATTRIBUTES)


def test_determinism_and_independent_streams(world_dir, tmp_path):
    out, _ = world_dir
    write_tiny_world(tmp_path / "again", seed=11, spec=CORR, attributes=list(ATTRIBUTES), **SMALL)
    assert _tree(tmp_path / "again") == _tree(out)
    # fewer attributes: the remaining files are unchanged, the others are not written
    write_tiny_world(tmp_path / "one", seed=11, spec=CORR, attributes=["humor"], **SMALL)
    one = _tree(tmp_path / "one")
    assert not any(k.startswith(("lm/sentiment", "classifier/sentiment")) for k in one)
    full = _tree(out)
    assert all(full[k] == v for k, v in one.items())
    # another seed gives other data
    write_tiny_world(tmp_path / "other", seed=12, spec=CORR, attributes=["humor"], **SMALL)
    assert _tree(tmp_path / "other")["pretrain.jsonl"] != full["pretrain.jsonl"]
    assert stable_hash("pretrain") == stable_hash("pretrain") != stable_hash("prompts")
    assert file_rng(1, "x").random() == file_rng(1, "x").random()


def test_lm_splits_have_their_class(world_dir):
    out, _ = world_dir
    for a in ATTRIBUTES:
        for cls in (0, 1):
            for r in _read_jsonl(out / f"lm/{a}/{cls}.jsonl"):
                assert set(r) == {"text"} and not r["text"].startswith("the following")
                assert oracle(r["text"])[a] == cls


def test_polite_lm_data_is_mostly_formal(tmp_path):
    write_tiny_world(tmp_path, seed=3, spec=CORR, attributes=["politeness"],
                     **{**SMALL, "n_lm_per_class": 1000})
    formal = [oracle(r["text"])["formality"] for r in _read_jsonl(tmp_path / "lm/politeness/1.jsonl")]
    assert abs(np.mean(formal) - 0.75) < 0.05


def test_classifier_splits_balanced_disjoint_and_cut(world_dir):
    out, _ = world_dir
    for a in ATTRIBUTES:
        lm = {r["text"].split(" . ", 1)[1] for cls in (0, 1) for r in _read_jsonl(out / f"lm/{a}/{cls}.jsonl")}
        seen: set[str] = set()
        for split in SPLITS:
            recs = _read_jsonl(out / f"classifier/{a}/{split}.jsonl")
            n = SMALL["n_classifier_per_class"][split]
            assert [set(r) for r in recs] == [{"text", "label"}] * (2 * n)
            labels = [r["label"] for r in recs]
            assert labels.count(0) == labels.count(1) == n
            assert labels != sorted(labels)  # shuffled
            texts = [r["text"] for r in recs]
            assert not lm & set(texts)
            assert not seen & set(texts)
            seen |= set(texts)
            for r in recs:
                got = oracle(r["text"])[a]
                assert got in (r["label"], 0.5)
                if split != "train":
                    assert got == r["label"] and r["text"].endswith(" .")
                    assert not r["text"].startswith("the following")
            if split == "train":
                cut = sum(not t.endswith(" .") for t in texts)
                assert 0.15 * len(texts) <= cut <= 0.34 * len(texts), cut


def test_classifier_disjoint_from_lm_by_continuation(tmp_path):
    # Tiny world with many LM texts: no classifier continuation appears in an LM text.
    write_tiny_world(tmp_path, seed=5, spec=CORR, attributes=["sentiment"],
                     **{**SMALL, "n_lm_per_class": 500, "n_classifier_per_class": {"train": 200, "validation": 50,
                                                                                   "test": 50}})
    lm = [r["text"] for cls in (0, 1) for r in _read_jsonl(tmp_path / f"lm/sentiment/{cls}.jsonl")]
    lm_conts = {t.split(" . ", 1)[1] for t in lm}
    for split in SPLITS:
        for r in _read_jsonl(tmp_path / f"classifier/sentiment/{split}.jsonl"):
            assert r["text"] not in lm_conts


def test_classifier_exclusion_is_enforced():
    # The same stream would reproduce the same texts; excluding them forces new ones.
    first, used = classifier_records(9, CORR, "humor", "test", 20, exclude=set())
    assert {r["text"] for r in first} == used and len(used) == 40
    second, used2 = classifier_records(9, CORR, "humor", "test", 20, exclude=used)
    assert not used & used2 and len(used2) == 40
    assert sorted(r["label"] for r in second) == [0] * 20 + [1] * 20


def test_pretrain_descriptors_match_values(world_dir):
    out, summary = world_dir
    texts = [r["text"] for r in _read_jsonl(out / "pretrain.jsonl")]
    lookup = {d: (a, cls) for a, poles in DEFAULT_DESCRIPTORS.items() for cls, d in poles.items()}
    n_desc = 0
    for t in texts:
        for d, (a, cls) in lookup.items():
            if t.startswith(d + " "):
                n_desc += 1
                assert oracle(t)[a] == cls
    assert 0.2 <= n_desc / len(texts) <= 0.4
    assert summary["stats"]["pretrain_descriptor_share"] == pytest.approx(n_desc / len(texts))


def test_prompts_distinct_and_neutral(world_dir):
    out, _ = world_dir
    recs = _read_jsonl(out / "prompts.jsonl")
    assert [r["prompt_id"] for r in recs] == list(range(30))
    prompts = [r["prompt"] for r in recs]
    assert len(set(prompts)) == 30
    assert all(oracle(p) == {a: 0.5 for a in ATTRIBUTES} for p in prompts)


def test_unknown_attribute_raises(tmp_path):
    with pytest.raises(ValueError, match=r"colour.*sentiment, politeness, formality, simplicity, humor"):
        write_tiny_world(tmp_path, seed=1, spec=CORR, attributes=["sentiment", "colour"], **SMALL)
    assert not any(tmp_path.iterdir())
    with pytest.raises(ValueError, match="train"):
        write_tiny_world(tmp_path, seed=1, spec=CORR, attributes=["sentiment"],
                         **{**SMALL, "n_classifier_per_class": {"train": 1, "test": 1}})


@pytest.mark.parametrize("level", [0.0, 0.3, 1.0])
def test_instruction_texts_realise_their_level(level):
    """The tiny world's prompted model can learn: after "... a humor score of 0.3 ..." the text is humorous with
    probability 0.3 (the oracle reads the construction exactly)."""
    from lminterp.data.tiny_world import pretrain_records
    from lminterp.data.instructions import instruction_text
    from lminterp.data.world import CLASS_NAMES, WorldSpec, oracle

    spec = WorldSpec(instruction_fraction=1.0, instruction_levels=(level,))
    records = pretrain_records(7, spec, 1500)
    by_attr = {}
    for r in records:
        head, _, body = r["text"].partition(" : ")
        attribute = head.split(" a ", 1)[1].split(" score", 1)[0]
        assert head + " :" == instruction_text(spec.instruction, attribute, level, CLASS_NAMES[attribute])
        by_attr.setdefault(attribute, []).append(oracle(body)[attribute])
    assert set(by_attr) == set(CLASS_NAMES)                         # every attribute is asked for
    for attribute, scores in by_attr.items():
        assert np.mean(scores) == pytest.approx(level, abs=0.08), attribute


def test_no_instruction_leaves_the_corpus_as_it_was():
    from lminterp.data.tiny_world import pretrain_records
    from lminterp.data.world import WorldSpec

    assert pretrain_records(3, WorldSpec(), 50) == pretrain_records(3, WorldSpec(instruction_fraction=0.0), 50)
    mixed = pretrain_records(3, WorldSpec(instruction_fraction=0.5), 400)
    share = np.mean([r["text"].startswith("complete this story") for r in mixed])
    assert 0.4 < share < 0.6
