"""Tests of the training code: tokenizer, base-model pretraining, LoRA adapters, classifier.

Small synthetic corpora (a toy grammar), tiny models, 1 torch thread; the whole file runs in well
under a minute on 2 CPU cores.
"""
from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest
import torch

torch.set_num_threads(1)

from lminterp.training.classifier import load_classifier, score_texts, train_classifier  # noqa: E402
from lminterp.training.lora import LoraSettings, train_lora_adapter, train_lora_adapters  # noqa: E402
from lminterp.training.loop import encode_lm_texts, evaluate_lm_loss  # noqa: E402
from lminterp.training.models import load_base_model  # noqa: E402
from lminterp.training.pretrain import pretrain_base_model  # noqa: E402
from lminterp.training.tokenizer import load_tokenizer, train_tokenizer  # noqa: E402

MARKER = "zebra"
ADJ = ["big", "small", "red", "blue", "old", "new", "quiet", "loud", "warm", "cold", "happy", "sad"]
NOUN = ["cat", "dog", "bird", "house", "tree", "river", "car", "book", "child", "teacher", "garden", "city"]
VERB = ["sees", "likes", "finds", "follows", "paints", "visits", "watches", "carries"]
ADV = ["quickly", "slowly", "often", "never", "always", "gladly"]
TINY_ARCH = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=4, max_position_embeddings=128, tie_word_embeddings=True)
MAX_LEN = 64


def _sentence(rng: random.Random) -> list[str]:
    return ["the", rng.choice(ADJ), rng.choice(NOUN), rng.choice(ADV), rng.choice(VERB),
            "a", rng.choice(ADJ), rng.choice(NOUN), rng.choice([".", ",", "!"])]


def make_texts(n: int, seed: int, marker_end: bool = False, marker_rate: float = 0.0) -> list[str]:
    """Texts of 27-45 words from a toy grammar; optionally always ending in '<MARKER> .'."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words: list[str] = []
        for _ in range(rng.randint(3, 5)):
            words += _sentence(rng)
        if rng.random() < marker_rate:
            words.insert(rng.randrange(len(words)), MARKER)
        words[-1] = "."
        if marker_end:
            words[-1:] = [MARKER, "."]
        out.append(" ".join(words))
    return out


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def corpus():
    return {
        "train": make_texts(400, seed=1, marker_rate=0.05),
        "heldout": make_texts(40, seed=2),
        "marker_train": make_texts(120, seed=3, marker_end=True),
        "marker_heldout": make_texts(30, seed=4, marker_end=True),
    }


@pytest.fixture(scope="module")
def tokenizer(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("tok") / "tokenizer"
    return train_tokenizer(corpus["train"] + corpus["marker_train"], 300, out), out


PRETRAIN_KW = dict(steps=60, batch_size=16, learning_rate=3e-3, warmup_steps=5, max_length=MAX_LEN, seed=7,
                   progress=False)


@pytest.fixture(scope="module")
def base(corpus, tokenizer, tmp_path_factory):
    tok, _ = tokenizer
    out = tmp_path_factory.mktemp("base") / "base"
    metrics = pretrain_base_model(corpus["train"], tok, TINY_ARCH, out_dir=out, eval_texts=corpus["heldout"],
                                  **PRETRAIN_KW)
    return metrics, out


def _marker_logprob(model, tok, texts) -> float:
    """Mean log P(MARKER | everything before it) over `texts` (which end in 'MARKER .')."""
    marker_ids = tok(" " + MARKER, add_special_tokens=False)["input_ids"]
    total = 0.0
    model.eval()
    with torch.no_grad():
        for t in texts:
            ids = encode_lm_texts(tok, [t], 10_000)[0]
            # locate the marker's tokens just before the final ". </s>"
            pos = len(ids) - 2 - len(marker_ids)
            assert ids[pos : pos + len(marker_ids)] == marker_ids
            logp = torch.log_softmax(model(input_ids=torch.tensor([ids])).logits[0].float(), -1)
            total += sum(float(logp[pos + k - 1, marker_ids[k]]) for k in range(len(marker_ids)))
    return total / len(texts)


def _state(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _same_state(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# ------------------------------------------------------------------------------------ tokenizer


def test_tokenizer_roundtrip_and_special_tokens(corpus, tokenizer):
    tok, out = tokenizer
    assert (out / "tokenizer.json").exists()
    assert 100 < len(tok) <= 300
    for name, text in [("bos", "<s>"), ("eos", "</s>"), ("pad", "<pad>"), ("unk", "<unk>")]:
        assert getattr(tok, f"{name}_token") == text
        assert getattr(tok, f"{name}_token_id") == tok.convert_tokens_to_ids(text)
    assert len({tok.bos_token_id, tok.eos_token_id, tok.pad_token_id, tok.unk_token_id}) == 4
    assert tok.padding_side == "left"

    loaded = load_tokenizer(out)
    assert loaded.padding_side == "left" and loaded.pad_token == "<pad>"
    for text in corpus["heldout"][:10] + ["the zebra , unseen words ! like qwxyz ."]:
        ids = loaded(text)["input_ids"]
        assert ids[0] == loaded.bos_token_id  # Llama-style: bos prepended, no eos
        assert loaded.unk_token_id not in ids
        assert loaded.decode(ids, skip_special_tokens=True) == text
        assert tok(text)["input_ids"] == ids
    assert loaded.decode(loaded("The  Cat .", add_special_tokens=False)["input_ids"]) == "the cat ."

    again = train_tokenizer(corpus["train"] + corpus["marker_train"], 300, None)
    assert again.backend_tokenizer.to_str() == tok.backend_tokenizer.to_str()


# ---------------------------------------------------------------------------------- pretraining


def test_pretraining_lowers_heldout_loss(base, tokenizer, corpus):
    metrics, out = base
    tok, _ = tokenizer
    assert metrics["eval_loss_initial"] > 0.8 * math.log(len(tok))
    assert metrics["eval_loss"] < 0.5 * metrics["eval_loss_initial"]
    assert metrics["eval_loss"] < 2.5
    assert metrics["steps"] == PRETRAIN_KW["steps"] and metrics["tokens_per_second"] > 0
    assert (out / "model.safetensors").exists() and (out / "tokenizer.json").exists()
    model, tok2 = load_base_model(out)
    assert model.config.vocab_size == len(tok2) == len(tok)
    assert model.config.pad_token_id == tok.pad_token_id and model.config.bos_token_id == tok.bos_token_id
    seqs = encode_lm_texts(tok2, corpus["heldout"], MAX_LEN)
    assert evaluate_lm_loss(model, seqs, tok2.pad_token_id) == pytest.approx(metrics["eval_loss"], rel=1e-4)


def test_pretraining_is_deterministic(corpus, tokenizer):
    tok, _ = tokenizer
    kw = dict(PRETRAIN_KW, steps=8)
    m1, a = pretrain_base_model(corpus["train"], tok, TINY_ARCH, out_dir=None, return_model=True, **kw)
    m2, b = pretrain_base_model(corpus["train"], tok, TINY_ARCH, out_dir=None, return_model=True, **kw)
    assert _same_state(_state(a), _state(b))
    assert m1["train_loss"] == m2["train_loss"]
    _, c = pretrain_base_model(corpus["train"], tok, TINY_ARCH, out_dir=None, return_model=True,
                               **dict(kw, seed=8))
    assert not _same_state(_state(a), _state(c))


# ----------------------------------------------------------------------------------------- LoRA

LORA = LoraSettings(r=8, lora_alpha=16, dropout=0.05, learning_rate=5e-3, batch_size=16, max_length=MAX_LEN, seed=11)
QUIET = {"progress": False}


def test_lora_adapter_learns_marker_and_leaves_base_unchanged(base, corpus, tmp_path):
    from peft import PeftModel

    _, base_dir = base
    model, tok = load_base_model(base_dir)
    before = _state(model)
    lp_base = _marker_logprob(model, tok, corpus["marker_heldout"])

    out = tmp_path / "adapter"
    metrics = train_lora_adapter(model, tok, corpus["marker_train"], LORA.with_(steps=50, learning_rate=1e-2),
                                 out_dir=out, eval_texts=corpus["marker_heldout"], **QUIET)
    assert metrics["base_unchanged"] is True
    assert metrics["eval_loss"] < metrics["eval_loss_initial"]
    # the model object passed in is the plain base again, weights bit-identical
    assert not any("lora" in k for k in model.state_dict())
    assert _same_state(before, _state(model))

    assert (out / "adapter_config.json").exists() and (out / "adapter_model.safetensors").exists()
    cfg = json.loads((out / "adapter_config.json").read_text())
    assert cfg["peft_type"] == "LORA" and cfg["r"] == 8 and cfg["task_type"] == "CAUSAL_LM"
    assert set(cfg["target_modules"]) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}

    fresh, _ = load_base_model(base_dir)
    peft_model = PeftModel.from_pretrained(fresh, str(out))
    lp_adapted = _marker_logprob(peft_model, tok, corpus["marker_heldout"])
    # The last sentence is not marked, so even a perfect adapter cannot be sure where the marker
    # goes (about log(1/4)); the base model gives it ~e^-7. Require a > e^2 (7x) gain.
    assert lp_adapted > lp_base + 2.0, (lp_base, lp_adapted)


def test_several_adapters_in_one_process_equal_single(base, corpus, tmp_path):
    from safetensors.torch import load_file

    _, base_dir = base
    settings = LORA.with_(steps=6)
    other = make_texts(60, seed=9)
    res = train_lora_adapters(
        base_dir, None,
        [dict(texts=other, out_dir=tmp_path / "first", seed=5),
         dict(texts=corpus["marker_train"], out_dir=tmp_path / "second")],
        settings, **QUIET,
    )
    assert [m["base_unchanged"] for m in res] == [True, True]
    alone = train_lora_adapter(base_dir, None, corpus["marker_train"], settings, out_dir=tmp_path / "alone", **QUIET)
    assert alone["train_loss"] == res[1]["train_loss"]
    a = load_file(tmp_path / "second" / "adapter_model.safetensors")
    b = load_file(tmp_path / "alone" / "adapter_model.safetensors")
    c = load_file(tmp_path / "first" / "adapter_model.safetensors")
    assert a.keys() == b.keys() and len(a) == 2 * 7 * TINY_ARCH["num_hidden_layers"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_lora_argument_checks(base, corpus, tmp_path):
    _, base_dir = base
    texts = corpus["marker_train"]
    with pytest.raises(ValueError, match="exactly one"):
        train_lora_adapter(base_dir, None, texts, LORA.with_(steps=2, epochs=1), out_dir=None, **QUIET)
    with pytest.raises(ValueError, match="exactly one"):
        train_lora_adapter(base_dir, None, texts, LORA, out_dir=None, **QUIET)
    with pytest.raises(TypeError, match="unknown LoRA settings"):
        LORA.with_(rank=4)
    m = train_lora_adapter(base_dir, None, texts[:32], LORA.with_(epochs=1), out_dir=None, **QUIET)
    assert m["steps"] == 2 and m["epochs"] == pytest.approx(1.0)


def test_qlora_on_a_4bit_base_learns_and_mixes_exactly_on_it(base, tokenizer, corpus, tmp_path):
    """The paper's QLoRA: anchors train on the base in bitsandbytes NF4 with double quantisation (its CPU backend runs
    the same path here, computing in float32), and learn the planted marker; at inference the adapter bank adds its
    exact deltas on top of the quantised base (the base layers are called, never merged): per-row mixing of two
    adapters gives the logits of peft's own exact combination ("cat") on the same 4-bit model."""
    import copy

    from peft import PeftModel

    from lminterp.mixing.adapters import AdapterBank
    from lminterp.mixing.layers import attach_bank, row_weights

    _, base_dir = base
    tok, _ = tokenizer
    quant = {"quantization": "4bit", "compute_dtype": "float32"}
    metrics = train_lora_adapters(base_dir, None, [dict(texts=corpus["marker_train"], out_dir=tmp_path / "marker"),
                                                   dict(texts=corpus["train"][:120], out_dir=tmp_path / "plain", seed=5)],
                                  LORA.with_(steps=40), **quant, **QUIET)
    assert [m["base_unchanged"] for m in metrics] == [True, True]
    model4, _ = load_base_model(base_dir, quantization=quant)
    assert type(model4.model.layers[0].self_attn.q_proj).__name__ == "Linear4bit"
    reference = copy.deepcopy(model4)
    before = _marker_logprob(model4, tok, corpus["marker_heldout"][:8])
    attach_bank(model4, AdapterBank.from_dirs({"marker": tmp_path / "marker", "plain": tmp_path / "plain"},
                                              base=model4))
    with row_weights(model4, torch.tensor([[1.0, 0.0]])):
        after = _marker_logprob(model4, tok, corpus["marker_heldout"][:8])
    assert after > before + 1.0, (before, after)          # the anchor learned its marker on the 4-bit base
    pm = PeftModel.from_pretrained(reference, str(tmp_path / "marker"), adapter_name="marker")
    pm.load_adapter(str(tmp_path / "plain"), adapter_name="plain")
    pm.add_weighted_adapter(["marker", "plain"], [0.3, 0.7], adapter_name="mix", combination_type="cat")
    pm.set_adapter("mix")
    pm.eval()                                             # no LoRA dropout
    ids = torch.tensor([encode_lm_texts(tok, [corpus["heldout"][0]], 10_000)[0]])
    with torch.no_grad(), row_weights(model4, torch.tensor([[0.3, 0.7]])):
        ours = model4(input_ids=ids).logits
        theirs = pm(input_ids=ids).logits
    assert torch.allclose(ours, theirs, atol=1e-4), (ours - theirs).abs().max()
    with torch.no_grad(), row_weights(model4, torch.tensor([[0.0, 0.0]])), pm.disable_adapter():
        assert not torch.allclose(model4(input_ids=ids).logits, theirs, atol=1e-3)   # the mixture does something


# ----------------------------------------------------------------------------------- classifier

POS = ["happy", "warm", "new", "loud"]
NEG = ["sad", "cold", "old", "quiet"]


def _clf_records(n: int, seed: int) -> list[dict]:
    """Label 1 iff the text's adjectives come from POS (with 10% of them swapped for noise)."""
    rng = random.Random(seed)
    recs = []
    for i in range(n):
        label = i % 2
        own, other = (POS, NEG) if label else (NEG, POS)
        words = []
        for _ in range(rng.randint(3, 5)):
            s = _sentence(rng)
            s[1] = rng.choice(other if rng.random() < 0.1 else own)
            s[6] = rng.choice(other if rng.random() < 0.1 else own)
            words += s
        recs.append({"text": " ".join(words), "label": label})
    rng.shuffle(recs)
    return recs


def test_classifier_learns_easy_task(tokenizer, tmp_path):
    tok, _ = tokenizer
    arch = dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
    out = tmp_path / "clf"
    metrics = train_classifier(_clf_records(400, 1), _clf_records(100, 2), _clf_records(100, 3), tok, arch,
                               epochs=3, batch_size=32, learning_rate=3e-3, max_length=MAX_LEN, seed=0,
                               out_dir=out, progress=False)
    assert metrics["test_accuracy"] > 0.9, metrics
    assert metrics["val_accuracy"] == max(h["val_accuracy"] for h in metrics["history"])
    assert json.loads((out / "metrics.json").read_text())["test_accuracy"] == metrics["test_accuracy"]

    model, tok2 = load_classifier(out)
    assert model.config.max_position_embeddings >= MAX_LEN + tok2.pad_token_id + 1
    test = _clf_records(100, 3)
    texts = [r["text"] for r in test] + ["", "the " * 200]  # empty and over-long texts too
    p = score_texts(model, tok2, texts, batch_size=16)
    assert p.shape == (len(texts),) and np.all((p >= 0) & (p <= 1)) and np.isfinite(p).all()
    acc = np.mean((p[: len(test)] > 0.5) == np.array([r["label"] for r in test]))
    assert acc == pytest.approx(metrics["test_accuracy"])
    # order-independent: batching by length must not permute the results
    p_rev = score_texts(model, tok2, texts[::-1], batch_size=7)
    np.testing.assert_allclose(p_rev[::-1], p, atol=1e-5)

    # the paper-world path: start from a saved (pretrained) RoBERTa dir, its own tokenizer
    m2 = train_classifier(_clf_records(64, 4), _clf_records(32, 5), [], None, str(out), epochs=1, batch_size=32,
                          learning_rate=1e-4, max_length=MAX_LEN, seed=0, out_dir=tmp_path / "clf2",
                          progress=False)
    assert m2["source"] == str(out) and m2["val_accuracy"] > 0.9 and math.isnan(m2["test_accuracy"])
    assert (tmp_path / "clf2" / "metrics.json").exists() and (tmp_path / "clf2" / "tokenizer.json").exists()


def _word_records(n: int, seed: int, pos: list[str], neg: list[str]) -> list[dict]:
    """Label 1 iff the text's adjectives are words of `pos` (else of `neg`)."""
    rng, recs = random.Random(seed), []
    for i in range(n):
        s = _sentence(rng)
        s[1] = s[6] = rng.choice(pos if i % 2 else neg)
        recs.append({"text": " ".join(s), "label": i % 2})
    return recs


def test_a_scratch_classifier_starts_from_the_base_models_embeddings(tokenizer, base, tmp_path):
    """sources.classifier_encoder.embeddings: base. Planted: an embedding table in which the POS words share one
    direction and the NEG words the opposite one. Trained on two words of each class only, the classifier reads
    the two words it never saw through the table; from random embeddings it cannot."""
    from lminterp.training.classifier import base_embeddings

    tok, _ = tokenizer
    table = base_embeddings(base[1])
    assert table.shape == (len(tok), TINY_ARCH["hidden_size"]) and table.dtype == torch.float32
    ids = {w: tok(" " + w, add_special_tokens=False)["input_ids"] for w in POS + NEG}
    shared = {i for w in POS for i in ids[w]} & {i for w in NEG for i in ids[w]}
    u = torch.randn(table.shape[1], generator=torch.Generator().manual_seed(0))
    planted = table.clone() * 0.1
    for words, sign in ((POS, 1.0), (NEG, -1.0)):
        for w in words:
            for i in set(ids[w]) - shared:
                planted[i] = sign * 3.0 * u / u.norm() * math.sqrt(table.shape[1])
    arch = dict(hidden_size=TINY_ARCH["hidden_size"], num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
    kw = dict(epochs=3, batch_size=32, learning_rate=3e-3, max_length=MAX_LEN, seed=0, out_dir=None, progress=False)
    seen_pos, seen_neg, new_pos, new_neg = ["happy", "warm"], ["sad", "quiet"], ["new", "loud"], ["cold", "old"]
    assert not {i for w in seen_pos + seen_neg for i in ids[w]} & {i for w in new_pos + new_neg for i in ids[w]}
    train, val = _word_records(300, 1, seen_pos, seen_neg), _word_records(60, 2, seen_pos, seen_neg)
    unseen = _word_records(200, 3, new_pos, new_neg)
    started = train_classifier(train, val, unseen, tok, arch, init_embeddings=planted, **kw)
    scratch = train_classifier(train, val, unseen, tok, arch, **kw)
    assert started["source"] == "config, token embeddings of the base model"
    assert started["val_accuracy"] > 0.95 and scratch["val_accuracy"] > 0.95       # both learn the words they saw
    assert started["test_accuracy"] > 0.9 > 0.7 > scratch["test_accuracy"], (started["test_accuracy"],
                                                                              scratch["test_accuracy"])
    with pytest.raises(ValueError, match="classifier.architecture.hidden_size to 64"):
        train_classifier(train, val, [], tok, dict(arch, hidden_size=32), init_embeddings=planted, **kw)
    with pytest.raises(ValueError, match="not for a pretrained encoder"):
        train_classifier(train, val, [], None, str(base[1]), init_embeddings=planted, **kw)


def test_mask_dropout_is_inverted_dropout():
    from lminterp.training.lora import MaskDropout

    torch.manual_seed(0)
    d = MaskDropout(0.25).train()
    x = torch.ones(400, 500, requires_grad=True)
    y = d(x)
    kept = y != 0
    assert abs(float(kept.float().mean()) - 0.75) < 0.005            # P(keep) = 1 - p
    assert torch.allclose(y[kept], torch.full_like(y[kept], 1 / 0.75))  # survivors scaled by 1 / (1 - p)
    y.sum().backward()
    assert torch.equal(x.grad, y.detach())                             # gradient = the same mask and scale
    d.eval()
    assert d(x) is x
    with pytest.raises(ValueError):
        MaskDropout(1.0)


def test_lora_dropout_modules_are_replaced(base):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from lminterp.training.lora import MaskDropout, use_mask_dropout

    _, base_dir = base
    model = AutoModelForCausalLM.from_pretrained(str(base_dir))
    pm = get_peft_model(model, LoraConfig(r=2, lora_alpha=4, lora_dropout=0.1, target_modules=["q_proj", "v_proj"]))
    n = 2 * model.config.num_hidden_layers
    assert use_mask_dropout(pm) == n
    drops = [m for m in pm.modules() if isinstance(m, MaskDropout)]
    assert len(drops) == n and all(d.p == 0.1 for d in drops)
    for module in pm.modules():
        if isinstance(getattr(module, "lora_dropout", None), torch.nn.ModuleDict):
            assert not any(isinstance(d, torch.nn.Dropout) for d in module.lora_dropout.values())


def test_lora_from_config_hides_bitsandbytes_and_trains_the_same(base, corpus, tmp_path):
    """Workflow jobs without quantization keep bitsandbytes out of the process (peft would import it,
    ~1 s per job) and train exactly the adapter that the plain call trains with bitsandbytes loaded."""
    import subprocess
    import sys

    from safetensors.torch import load_file

    _, base_dir = base
    lora = {"r": LORA.r, "alpha": LORA.lora_alpha, "dropout": LORA.dropout, "learning_rate": LORA.learning_rate,
            "batch_size": LORA.batch_size, "max_length": LORA.max_length, "steps": 4}
    texts = tmp_path / "texts.json"
    texts.write_text(json.dumps(corpus["marker_train"]))
    code = (
        "import json, sys\n"
        "from lminterp.training.lora import train_lora_from_config\n"
        f"jobs = [{{'texts': json.load(open({str(texts)!r})), 'out_dir': {str(tmp_path / 'hidden')!r}}}]\n"
        f"train_lora_from_config({str(base_dir)!r}, jobs, {lora!r}, seed=3)\n"
        "import peft.import_utils as iu\n"
        "print(json.dumps({'bnb_loaded': sys.modules.get('bitsandbytes') is not None, "
        "'peft_sees_bnb': bool(iu.is_bnb_available())}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"bnb_loaded": False, "peft_sees_bnb": False}

    train_lora_adapter(base_dir, None, corpus["marker_train"], LORA.with_(steps=4, seed=3), out_dir=tmp_path / "plain",
                       **QUIET)
    a = load_file(tmp_path / "hidden" / "adapter_model.safetensors")
    b = load_file(tmp_path / "plain" / "adapter_model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# ------------------------------------------------------------------ adapters that cannot be silently wrong
@pytest.fixture(scope="module")
def trained_adapter(base, corpus, tmp_path_factory):
    _, base_dir = base
    out = tmp_path_factory.mktemp("checked") / "adapter"
    train_lora_adapter(base_dir, None, corpus["marker_train"], LORA.with_(steps=3), out_dir=out, **QUIET)
    return base_dir, out


def _load_checked(base_dir, adapter_dir):
    from lminterp.mixing.recipes import load_sweep

    return load_sweep(base_dir, {"x-1": str(adapter_dir)}, [])


def _copy(src, tmp_path):
    import shutil

    dst = tmp_path / "copy"
    shutil.copytree(src, dst)
    return dst


def test_adapter_files_are_byte_stable_and_carry_no_timings(trained_adapter):
    """adapter_config.json in a fixed order (peft keeps target_modules as a set), training_metrics.json without
    wall-clock times: identical trainings give identical bytes (the timings go to the job's log)."""
    _, out = trained_adapter
    cfg_text = (out / "adapter_config.json").read_text()
    cfg = json.loads(cfg_text)
    assert cfg["target_modules"] == sorted(cfg["target_modules"]) and list(cfg) == sorted(cfg)
    metrics = json.loads((out / "training_metrics.json").read_text())
    assert not {"seconds", "seconds_per_step", "tokens_per_second", "torch_threads"} & set(metrics)
    assert json.loads((out / "lminterp_base.json").read_text())["fingerprint"]


def test_a_checked_adapter_loads(trained_adapter):
    base_dir, out = trained_adapter
    model, _, _ = _load_checked(base_dir, out)
    assert any("lora" not in n and type(m).__name__ == "MixedLoRALinear" for n, m in model.named_modules())


@pytest.mark.parametrize("damage, message", [
    ("drop one layer's factors", "lacks the LoRA factors of 1 of the 14 layers"),
    ("rank in the config", "has rank 8, adapter_config.json says r = 4"),
    ("fewer target modules", "factors for layers its target_modules .* do not name"),
    ("no base record", "no lminterp_base.json"),
    ("another base", "trained on another base model"),
])
def test_a_damaged_adapter_is_refused_by_name(trained_adapter, tmp_path, damage, message):
    from safetensors.torch import load_file, save_file

    base_dir, out = trained_adapter
    bad = _copy(out, tmp_path)
    cfg_path, st_path = bad / "adapter_config.json", bad / "adapter_model.safetensors"
    cfg = json.loads(cfg_path.read_text())
    if damage == "drop one layer's factors":
        tensors = load_file(st_path)
        gone = sorted(k for k in tensors if "layers.1.self_attn.v_proj" in k)
        assert len(gone) == 2
        save_file({k: v for k, v in tensors.items() if k not in gone}, st_path)
    elif damage == "rank in the config":
        cfg_path.write_text(json.dumps({**cfg, "r": 4}))
    elif damage == "fewer target modules":
        cfg_path.write_text(json.dumps({**cfg, "target_modules": [m for m in cfg["target_modules"] if m != "q_proj"]}))
    elif damage == "no base record":
        (bad / "lminterp_base.json").unlink()
    elif damage == "another base":
        record = json.loads((bad / "lminterp_base.json").read_text())
        (bad / "lminterp_base.json").write_text(json.dumps({**record, "fingerprint": "0" * 16}))
    with pytest.raises(ValueError, match=message) as err:
        _load_checked(base_dir, bad)
    assert str(bad) in str(err.value)          # the message names the file


# ------------------------------------------------------------------ training that survives a kill
class _Killed(Exception):
    pass


def _kill_after(monkeypatch, module, calls: int):
    """Make the training loop die at its `calls`-th loss, as a SIGKILL would (nothing after it runs)."""
    real = module.lm_loss
    seen = {"n": 0}

    def dying(*args, **kwargs):
        seen["n"] += 1
        if seen["n"] > calls:
            raise _Killed
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "lm_loss", dying)


def _files(d):
    return {p.name: p.read_bytes() for p in sorted(d.iterdir()) if p.is_file()}


def test_lora_training_resumes_to_the_same_bytes(base, corpus, tmp_path, monkeypatch):
    from lminterp.training import lora as LT
    from lminterp.training.checkpoints import checkpoint_dir

    _, base_dir = base
    kw = dict(QUIET, checkpoint_every=3)
    settings = LORA.with_(steps=7)
    jobs = lambda root: [dict(texts=corpus["marker_train"], out_dir=root / "a"),      # noqa: E731
                         dict(texts=make_texts(60, seed=9), out_dir=root / "b")]
    LT.train_lora_adapters(base_dir, None, jobs(tmp_path / "straight"), settings, **kw)
    # killed in the second adapter's 5th step: the first is finished, the second has a checkpoint at step 3
    _kill_after(monkeypatch, LT, 7 + 4)
    with pytest.raises(_Killed):
        LT.train_lora_adapters(base_dir, None, jobs(tmp_path / "killed"), settings, **kw)
    monkeypatch.undo()
    assert (checkpoint_dir(tmp_path / "killed" / "b") / "state.pt").exists()
    import shutil

    shutil.rmtree(tmp_path / "killed" / "a")           # Snakemake deletes a killed job's outputs before the rerun
    _kill_after(monkeypatch, LT, 7 - 3)                 # the rerun may run only the 4 steps left of adapter b
    LT.train_lora_adapters(base_dir, None, jobs(tmp_path / "killed"), settings, **kw)
    for name in ("a", "b"):
        assert _files(tmp_path / "killed" / name) == _files(tmp_path / "straight" / name), name
    assert not (tmp_path / "killed" / ".checkpoints").exists()      # cleaned up once every adapter is written


def test_a_checkpoint_of_other_settings_is_not_resumed(base, corpus, tmp_path, monkeypatch):
    from lminterp.training import lora as LT

    _, base_dir = base
    kw = dict(QUIET, checkpoint_every=2)
    settings = LORA.with_(steps=6)
    _kill_after(monkeypatch, LT, 3)
    with pytest.raises(_Killed):
        LT.train_lora_adapters(base_dir, None, [dict(texts=corpus["marker_train"], out_dir=tmp_path / "x")], settings,
                               **kw)
    monkeypatch.undo()
    other = settings.with_(learning_rate=settings.learning_rate * 2)
    LT.train_lora_adapters(base_dir, None, [dict(texts=corpus["marker_train"], out_dir=tmp_path / "x")], other, **kw)
    LT.train_lora_adapters(base_dir, None, [dict(texts=corpus["marker_train"], out_dir=tmp_path / "y")], other, **kw)
    assert _files(tmp_path / "x") == _files(tmp_path / "y")


def test_pretraining_resumes_to_the_same_bytes(corpus, tokenizer, tmp_path, monkeypatch):
    from lminterp.training import pretrain as P

    tok, _ = tokenizer
    kw = dict(PRETRAIN_KW, steps=9, checkpoint_every=4)
    P.pretrain_base_model(corpus["train"], tok, TINY_ARCH, out_dir=tmp_path / "straight", **kw)
    _kill_after(monkeypatch, P, 6)
    with pytest.raises(_Killed):
        P.pretrain_base_model(corpus["train"], tok, TINY_ARCH, out_dir=tmp_path / "killed", **kw)
    monkeypatch.undo()
    _kill_after(monkeypatch, P, 9 - 4)
    P.pretrain_base_model(corpus["train"], tok, TINY_ARCH, out_dir=tmp_path / "killed", **kw)
    assert _files(tmp_path / "killed") == _files(tmp_path / "straight")
    assert not (tmp_path / ".checkpoints").exists()
