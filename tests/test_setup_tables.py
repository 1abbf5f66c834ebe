"""Tables 2, 3 and 5 from what a run produced: counts from the split files, hyperparameters from the config and
from what the anchors saved (a mismatch shows)."""
import json

import pytest

from lminterp.numbers import setup_tables as T
from lminterp.registry import split_files
from lminterp.evaluation.results import ResultFiles

ATTRS = ["humor", "formality"]
LORA = {"r": 4, "alpha": 8, "dropout": 0.05, "target_modules": ["q_proj", "v_proj"], "learning_rate": 0.01,
        "batch_size": 16, "steps": 50, "max_length": 96}


def _splits(tmp_path, sizes):
    paths = []
    for name in split_files(ATTRS):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        kind, attribute, part = name[:-len(".jsonl")].split("/")[1:]
        if kind == "lm":
            records = [{"text": "t"}] * sizes[(attribute, part)]
        else:
            n0, n1 = sizes[(attribute, part)]
            records = [{"text": "t", "label": 0}] * n0 + [{"text": "t", "label": 1}] * n1
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
        paths.append(path)
    return ResultFiles(files=paths)


def test_split_sizes_are_the_lines_of_the_split_files(tmp_path):
    sizes = {("humor", "0"): 7, ("humor", "1"): 9, ("formality", "0"): 3, ("formality", "1"): 4,
             ("humor", "train"): (5, 6), ("humor", "validation"): (1, 2), ("humor", "test"): (3, 1),
             ("formality", "train"): (2, 2), ("formality", "validation"): (0, 1), ("formality", "test"): (4, 4)}
    table = T.split_size_table(_splits(tmp_path, sizes), {"attributes": ATTRS})
    humor = table.loc["Humor"]
    assert (humor["LM class 0"], humor["LM class 1"]) == (7, 9)
    assert (humor["Classifier train class 0"], humor["Classifier train class 1"]) == (5, 6)
    assert (humor["Classifier test class 0"], humor["Classifier test class 1"]) == (3, 1)
    assert table.loc["Formality", "Classifier validation class 1"] == 1
    for name in split_files(ATTRS):                     # every count is a line count of one file
        lines = (tmp_path / name).read_text().count("\n")
        kind, attribute, part = name[:-len(".jsonl")].split("/")[1:]
        row = table.loc[attribute.capitalize()]
        got = row[f"LM class {part}"] if kind == "lm" else row[f"Classifier {part} class 0"] + row[f"Classifier {part} class 1"]
        assert got == lines, name


def _anchors(tmp_path, lora):
    dirs = []
    for a in ATTRS:
        for pole in (0, 1):
            d = tmp_path / "adapters" / f"{a}-{pole}"
            d.mkdir(parents=True)
            (d / "adapter_config.json").write_text(json.dumps(
                {"peft_type": "LORA", "r": lora["r"], "lora_alpha": lora["alpha"], "lora_dropout": lora["dropout"],
                 "target_modules": list(reversed(lora["target_modules"]))}))
            (d / "training_metrics.json").write_text(json.dumps(
                {"batch_size": lora["batch_size"], "learning_rate": lora["learning_rate"], "steps": lora["steps"],
                 "max_length": lora["max_length"], "quantization": "none", "r": lora["r"]}))
            dirs.append(d)
    return ResultFiles(adapters=dirs)


def test_hyperparameters_as_configured_and_as_saved(tmp_path):
    files = _anchors(tmp_path, LORA)
    table = T.hyperparameter_table(files, {"attributes": ATTRS, "lora": LORA})
    assert (table["Match"] == "yes").all(), table
    assert table.loc["LoRA r", "Configured"] == "4" and table.loc["Max sequence length", "Saved with the anchors"] == "96"
    # the table follows the config: a changed value shows, and so does its mismatch with what was trained
    changed = T.hyperparameter_table(files, {"attributes": ATTRS, "lora": {**LORA, "r": 32}})
    assert changed.loc["LoRA r", "Configured"] == "32" and changed.loc["LoRA r", "Match"] == "NO"
    assert (changed.drop(index="LoRA r")["Match"] == "yes").all()


def test_anchors_that_differ_are_listed(tmp_path):
    files = _anchors(tmp_path, LORA)
    path = tmp_path / "adapters" / "humor-1" / "adapter_config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "lora_dropout": 0.2}))
    table = T.hyperparameter_table(files, {"attributes": ATTRS, "lora": LORA})
    assert table.loc["LoRA dropout", "Saved with the anchors"] == "0.05 / 0.2 (anchors differ)"
    assert table.loc["LoRA dropout", "Match"] == "NO"


def test_system_prompts_come_from_the_config():
    cfg = {"attributes": {"humor": {"class_names": ["serious", "funny"], "system_prompts": {"0": "be dry", "1": "joke"}}}}
    table = T.system_prompt_table(None, cfg)
    assert table["System prompt"].tolist() == ["joke", "be dry"]
    assert table.index.tolist() == ["humor_pos (funny)", "humor_neg (serious)"]


@pytest.mark.parametrize("name", ["data/lm/humor/1.jsonl", "data/classifier/formality/test.jsonl"])
def test_result_files_are_found_by_relative_path(tmp_path, name):
    path = tmp_path / "results" / name
    other = tmp_path / "results" / "data" / "lm" / "humor" / "0.jsonl"
    files = ResultFiles(files=[path, other])
    assert files.file(name) == path
    with pytest.raises(KeyError, match="no file"):
        files.file("data/lm/sentiment/1.jsonl")
