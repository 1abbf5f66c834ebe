"""Sources: every loader reads its example file in the real format (configs/local-example/), keeps exactly the rows
its rule selects (planted rows outside it never leak in), reads a hub dataset from the download cache as `download`
leaves it, refuses what it cannot give by naming the key; splits are disjoint, seeded and sized as asked."""
import json
from pathlib import Path

import pytest
import yaml

from lminterp.data import sources as SRC
from lminterp.config import ConfigError, validate_config

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "configs" / "local-example.yaml"


@pytest.fixture(scope="module")
def example_cfg(monkeypatch_module):
    base = yaml.safe_load((ROOT / "config.yaml").read_text())
    overlay = yaml.safe_load(EXAMPLE.read_text())
    for k, v in overlay.items():
        base[k] = {**base[k], **v} if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    return validate_config(base)


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    mp.chdir(ROOT)            # the example's paths are relative to the repository root
    yield mp
    mp.undo()


def rows(cfg, key):
    return SRC.load_rows(SRC.dataset_sources(cfg)[key], key=key, cache_dir="unused")


@pytest.mark.parametrize("attribute, fmt", [("sentiment", "tsv"), ("politeness", "csv"), ("formality", "jsonl"),
                                            ("simplicity", "txt"), ("humor", "parquet")])
def test_each_loader_reads_its_example_file_and_keeps_only_its_class(example_cfg, attribute, fmt):
    got = {c: [r["text"] for r in rows(example_cfg, f"sources.attributes.{attribute}.{c}.0")] for c in "01"}
    assert SRC.file_format(example_cfg["sources"]["attributes"][attribute]["0"][0]) == fmt
    # make.py writes 320 texts per class; the planted rows outside both classes (sentiment's neutral scores with
    # " indeed", politeness' middle classes with " then") must be dropped by the thresholds / values
    assert len(got["0"]) == len(got["1"]) == 320
    assert not any(t.endswith((" indeed", " then")) for c in "01" for t in got[c])
    from lminterp.data.world import oracle

    for c in "01":   # the label rule picked the right class: the generator's oracle agrees on the decided texts
        truth = [oracle(t.split(" . ", 1)[1] if " . " in t else t)[attribute] for t in got[c][:60]]
        decided = [x for x in truth if x != 0.5]
        assert decided and sum(x == int(c) for x in decided) / len(decided) > 0.9, (attribute, c)


def test_prompts_perplexity_and_corpus_sources(example_cfg):
    prompts = [r["text"] for r in rows(example_cfg, "sources.prompts")]
    assert len(prompts) == 60 and all(p.endswith(".") for p in prompts)
    picked = SRC.prompt_rows(prompts, 8, seed=3)
    assert [r["prompt_id"] for r in picked] == list(range(8)) and len({r["prompt"] for r in picked}) == 8
    assert picked == SRC.prompt_rows(prompts, 8, seed=3) and picked != SRC.prompt_rows(prompts, 8, seed=4)
    wiki = rows(example_cfg, "sources.perplexity")
    assert len(wiki) == len((ROOT / "configs/local-example/wiki.txt").read_text().splitlines()) == 40
    assert len(rows(example_cfg, "sources.base_model.pretrain")) == 1500


def pools(n=50):
    return {"0": [f"neg {k}" for k in range(n)] + ["shared"], "1": [f"pos {k}" for k in range(n)] + ["shared", "pos 1"]}


def test_attribute_splits_are_disjoint_sized_and_seeded():
    kw = dict(attribute="tone", lm_per_class={"0": 10, "1": 12}, classifier_per_class={"train": 8, "validation": 3,
                                                                                        "test": 5})
    files = SRC.attribute_splits(pools(), seed=1, **kw)
    assert [len(files[f"lm/tone/{c}.jsonl"]) for c in "01"] == [10, 12]
    assert [len(files[f"classifier/tone/{s}.jsonl"]) for s in SRC.SPLITS] == [16, 6, 10]   # balanced: per class
    every = [r["text"] for recs in files.values() for r in recs]
    assert len(every) == len(set(every))                       # disjoint splits, duplicates kept once
    assert "shared" not in every                               # a text in both classes has no label
    for s in SRC.SPLITS:
        for r in files[f"classifier/tone/{s}.jsonl"]:
            assert r["label"] == (1 if r["text"].startswith("pos") else 0)
    assert files == SRC.attribute_splits(pools(), seed=1, **kw)
    assert files != SRC.attribute_splits(pools(), seed=2, **kw)


def test_a_pool_too_small_names_the_attribute_and_the_keys():
    with pytest.raises(SRC.SourceError, match=r"attribute 'tone', class 1: the sources give 50 distinct texts .*1 found "
                                              r"in both classes dropped.*need 61.*lm_texts_per_class"):
        SRC.attribute_splits(pools(), attribute="tone", seed=0, lm_per_class={"0": 1, "1": 45},
                             classifier_per_class={"train": 10, "validation": 3, "test": 3})


def test_a_missing_column_is_named_with_the_columns_there(example_cfg):
    src = dict(example_cfg["sources"]["attributes"]["humor"]["0"][0], text="text")
    with pytest.raises(SRC.SourceError, match=r"`sources.x.text`: .*humor.parquet has no column 'text' \(its columns: "
                                              r"caption, humorous\)"):
        SRC.load_rows(src, key="sources.x", cache_dir="unused")


def sst_like(tmp_path):
    """A hub dataset as `download` leaves it: DatasetDict.save_to_disk under the cache path, then the marker. The
    columns and the continuous label are those of stanfordnlp/sst (sentence, label in [0, 1])."""
    import datasets

    source = {"hub": "stanfordnlp/sst", "config": "default", "splits": ["train", "test"], "text": "sentence",
              "label": "label", "min": 0.7}
    dd = datasets.DatasetDict({
        "train": datasets.Dataset.from_dict({"sentence": ["great fun", "dull", "fine i guess", "a joy"],
                                             "label": [0.9, 0.1, 0.5, 0.75], "tokens": ["a", "b", "c", "d"]}),
        "validation": datasets.Dataset.from_dict({"sentence": ["superb"], "label": [0.95], "tokens": ["e"]}),
        "test": datasets.Dataset.from_dict({"sentence": ["awful", "lovely"], "label": [0.05, 0.8], "tokens": ["f", "g"]}),
    })
    path = SRC.cache_path(tmp_path, source, "datasets")
    dd.save_to_disk(str(path / "data"))
    return source, path


def test_a_cached_hub_dataset_is_read_offline_with_its_splits_and_threshold(tmp_path):
    source, path = sst_like(tmp_path)
    with pytest.raises(SRC.SourceError, match="not in the download cache.*snakemake download"):
        SRC.load_rows(source, key="sources.attributes.sentiment.1.0", cache_dir=tmp_path)
    (path / SRC.DOWNLOAD_MARKER).write_text(json.dumps({"hub": source["hub"]}))
    got = [r["text"] for r in SRC.load_rows(source, key="k", cache_dir=tmp_path)]
    assert got == ["great fun", "a joy", "lovely"]                 # train + test (not validation), label >= 0.7
    class0 = {k: v for k, v in source.items() if k != "min"} | {"max": 0.3}
    low = [r["text"] for r in SRC.load_rows(class0, key="k", cache_dir=tmp_path)]
    assert low == ["dull", "awful"]
    with pytest.raises(SRC.SourceError, match=r"no split\(s\) \['dev'\]"):
        SRC.load_rows({**source, "splits": ["dev"]}, key="k", cache_dir=tmp_path)


def test_hub_assets_and_the_message_for_the_missing_ones(tmp_path, example_cfg):
    cfg = json.loads(json.dumps(example_cfg))
    cfg["sources"].update(cache_dir=str(tmp_path), base_model={"hub": "meta-llama/Llama-2-7b-hf"},
                          perplexity={"hub": "Salesforce/wikitext", "config": "wikitext-2-raw-v1", "splits": ["test"]})
    assets = SRC.hub_assets(cfg)
    assert [(a["what"], a["source"]["hub"]) for a in assets] == [("datasets", "Salesforce/wikitext"),
                                                                ("models", "meta-llama/Llama-2-7b-hf")]
    message = SRC.missing_assets_message(cfg)
    assert "model meta-llama/Llama-2-7b-hf (sources.base_model)" in message and "snakemake download" in message
    for a in assets:
        Path(a["path"]).mkdir(parents=True)
        (Path(a["path"]) / SRC.DOWNLOAD_MARKER).write_text("{}")
    assert SRC.missing_assets_message(cfg) == ""


def test_config_refuses_a_missing_file_by_its_key(example_cfg, monkeypatch_module):
    cfg = json.loads(json.dumps(example_cfg))
    cfg["sources"]["attributes"]["simplicity"]["1"].append({"local": "configs/local-example/simpler.txt"})
    with pytest.raises(ConfigError, match=r"`sources.attributes.simplicity.1.1.local`: .*simpler.txt: no such file"):
        validate_config(cfg)


def test_download_then_read_offline(tmp_path):
    """`download` fetches a dataset repository (here a local copy of one, laid out as on the hub: data/<split>-*.parquet)
    into the cache, marker last; the compute side then reads it through the cache alone."""
    import datasets

    from lminterp.data.download import fetch_dataset

    repo = tmp_path / "repo" / "data"
    repo.mkdir(parents=True)
    datasets.Dataset.from_dict({"prompt": ["[ WP ] a dragon", "[ WP ] a door"], "story": ["x", "y"]}).to_parquet(
        str(repo / "train-00000-of-00001.parquet"))
    datasets.Dataset.from_dict({"prompt": ["[ WP ] a key"], "story": ["z"]}).to_parquet(
        str(repo / "test-00000-of-00001.parquet"))
    source = {"hub": "euclaise/writingprompts", "splits": ["test"], "text": "prompt"}
    dest = SRC.cache_path(tmp_path / "cache", source, "datasets")
    record = fetch_dataset(source, dest, repo=str(tmp_path / "repo"))
    assert record["splits"] == {"train": 2, "test": 1} and (dest / SRC.DOWNLOAD_MARKER).is_file()
    assert not dest.with_name(dest.name + ".partial").exists()
    assert SRC.load_rows(source, key="sources.prompts", cache_dir=tmp_path / "cache") == [{"text": "[ WP ] a key"}]
    cfg = {"sources": {"cache_dir": str(tmp_path / "cache"), "prompts": source, "perplexity": "tiny",
                       "base_model": {"pretrain": "tiny"}, "classifier_encoder": {"scratch": True}, "attributes": {}}}
    assert SRC.missing_assets_message(cfg) == ""


def test_a_downloaded_base_model_bounds_the_lengths(example_cfg, tmp_path):
    """Once a hub or local base model's config.json can be read, the lengths are checked against its positions as
    for the tiny world's base (here a local model of 64 positions and LoRA texts of 96 tokens)."""
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"model_type": "llama", "max_position_embeddings": 64}))
    cfg = json.loads(json.dumps(example_cfg))
    cfg["sources"]["base_model"] = {"local": str(model)}
    cfg["lora"]["max_length"] = 96
    with pytest.raises(ConfigError, match=r"`lora.max_length`: .*config.json max_position_embeddings: 64"):
        validate_config(cfg)
    cfg["lora"]["max_length"] = 48
    cfg["perplexity"].update(max_length=32, stride=16)
    cfg["generation"]["max_new_tokens"] = 16
    validate_config(cfg)
