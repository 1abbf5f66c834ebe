"""Data files cannot change silently (lminterp/data/manifest.py): the tiny world's files written as its job writes them,
then each kind (an LM split, a classifier split, the pretraining corpus, the perplexity corpus, the prompts)
edited, truncated or swapped, and read the way the jobs read them."""
import shutil

import pytest

from lminterp.data import manifest as M
from lminterp.data.records import write_records
from lminterp.data.tiny_world import prompt_records, write_tiny_world
from lminterp.data.world import WorldSpec


@pytest.fixture()
def data(tmp_path):
    root = tmp_path / "results" / "data"
    attrs = ["sentiment", "humor"]
    write_tiny_world(root, seed=3, spec=WorldSpec(), attributes=attrs, n_pretrain=60, n_lm_per_class=12,
                     n_classifier_per_class={"train": 6, "validation": 2, "test": 2}, n_prompts=None,
                     n_perplexity_texts=5)
    files = [root / "pretrain.jsonl", root / "perplexity.txt",
             *(root / f"lm/{a}/{p}.jsonl" for a in attrs for p in "01"),
             *(root / f"classifier/{a}/{s}.jsonl" for a in attrs for s in ("train", "validation", "test"))]
    M.write_manifest(root, "tiny_world", files)
    write_records(root / "prompts.jsonl", prompt_records(3, 4))
    M.write_manifest(root, "prompts", [root / "prompts.jsonl"])
    return root


def test_intact_files_read_as_written(data):
    assert len(M.read_split_jsonl(data / "lm/humor/1.jsonl")) == 12
    assert len(M.read_split_jsonl(data / "prompts.jsonl")) == 4
    assert M.read_split_text(data / "perplexity.txt").count("\n") == 5


def _drop_last_line(path):
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))


def _edit_one_word(path):
    text = path.read_text()
    path.write_text(text.replace(" the ", " a ", 1) if " the " in text else "x" + text)


@pytest.mark.parametrize("rel, read", [
    ("lm/sentiment/0.jsonl", M.read_split_jsonl),
    ("classifier/humor/test.jsonl", M.read_split_jsonl),
    ("pretrain.jsonl", M.read_split_jsonl),
    ("perplexity.txt", M.read_split_text),
    ("prompts.jsonl", M.read_split_jsonl),
])
@pytest.mark.parametrize("damage", [_drop_last_line, _edit_one_word])
def test_a_changed_file_is_refused_by_name(data, rel, read, damage):
    path = data / rel
    before = M._facts(path)["lines"]
    damage(path)
    with pytest.raises(M.ManifestError) as err:
        read(path)
    message = str(err.value)
    assert str(path) in message and "changed after the job that wrote it" in message
    assert f"records {before} lines" in message and "snakemake --forcerun" in message


def test_swapped_splits_are_refused(data):
    shutil.copy(data / "lm/humor/1.jsonl", data / "lm/humor/0.jsonl")        # class 1 texts as class 0
    with pytest.raises(M.ManifestError, match="lm/humor/0.jsonl"):
        M.read_split_jsonl(data / "lm/humor/0.jsonl")


def test_an_unlisted_or_unmanifested_file_is_refused(data, tmp_path):
    (data / "lm/humor/extra.jsonl").write_text('{"text": "x"}\n')
    with pytest.raises(M.ManifestError, match="not listed in any manifest"):
        M.read_split_jsonl(data / "lm/humor/extra.jsonl")
    loose = tmp_path / "elsewhere.jsonl"
    loose.write_text('{"text": "x"}\n')
    with pytest.raises(M.ManifestError, match="no manifests/ directory above it"):
        M.read_split_jsonl(loose)
