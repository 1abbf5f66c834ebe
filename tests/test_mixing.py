"""Adapter bank (peft-format reading, exact merged weights) and the per-row LoRA mixing forward."""
from __future__ import annotations

import copy
import math

import pytest
import torch

torch.set_num_threads(1)

from peft import PeftModel  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM  # noqa: E402

from lminterp.mixing.adapters import AdapterBank, delta_weights, load_peft_adapter  # noqa: E402
from lminterp.mixing.layers import merged_state_dict  # noqa: E402
from lminterp.mixing.layers import MixedLoRALinear, attach_bank, detach_bank, get_bank, row_weights, set_row_weights  # noqa: E402
from lora_helpers import save_random_adapters  # noqa: E402

ALL = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
# name -> LoraConfig kwargs: three attributes x two poles, different ranks, alphas, target modules and patterns
ADAPTERS = {
    "sentiment-1": dict(r=4, lora_alpha=8, target_modules=ALL),
    "sentiment-0": dict(r=8, lora_alpha=16, target_modules=ALL),
    "formality-1": dict(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj", "down_proj"]),
    "formality-0": dict(r=4, lora_alpha=4, target_modules=ALL, alpha_pattern={"down_proj": 12}),
    "simplicity-1": dict(r=6, lora_alpha=6, target_modules=ALL, rank_pattern={"o_proj": 3}),
    "simplicity-0": dict(r=4, lora_alpha=8, target_modules=ALL, use_rslora=True),
}


def tiny_config(**kw) -> LlamaConfig:
    base = dict(vocab_size=100, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, max_position_embeddings=256, bos_token_id=1, eos_token_id=2, pad_token_id=0,
                tie_word_embeddings=False)
    base.update(kw)
    return LlamaConfig(**base)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    torch.manual_seed(0)
    base = LlamaForCausalLM(tiny_config()).eval()
    root = tmp_path_factory.mktemp("adapters")
    dirs = save_random_adapters(base, ADAPTERS, root, seed0=100, b_std=0.05)
    bank = AdapterBank.from_dirs(dirs)
    return base, dirs, bank


def reference_delta(dirs, coeffs: dict[str, float]) -> dict[str, torch.Tensor]:
    """float64 sum_k w_k * s_k * B_k @ A_k straight from the safetensors files and configs."""
    import json

    out: dict[str, torch.Tensor] = {}
    for name, w in coeffs.items():
        cfg = json.loads((dirs[name] / "adapter_config.json").read_text())
        t = load_file(str(dirs[name] / "adapter_model.safetensors"))
        for key in t:
            if not key.endswith("lora_A.weight"):
                continue
            module = key[len("base_model.model."):-len(".lora_A.weight")]
            A = t[key].double()
            B = t[key.replace("lora_A", "lora_B")].double()
            r = A.shape[0]
            alpha = cfg["lora_alpha"]
            for pat, a in cfg.get("alpha_pattern", {}).items():
                if module.endswith("." + pat):
                    alpha = a
            s = alpha / math.sqrt(r) if cfg.get("use_rslora") else alpha / r
            out[module] = out.get(module, 0) + w * s * (B @ A)
    return out


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.double() - b.double()).norm() / b.double().norm().clamp_min(1e-30))


def test_loader_reads_peft_format(world):
    base, dirs, bank = world
    cfg, mods = load_peft_adapter(dirs["simplicity-1"])
    assert cfg["r"] == 6
    A, B, s = mods["model.layers.0.self_attn.o_proj"]
    assert A.shape == (3, 64) and B.shape == (64, 3) and s == pytest.approx(6 / 3)  # rank_pattern: r=3, alpha 6
    assert mods["model.layers.1.mlp.down_proj"][0].shape == (6, 128)
    _, mods = load_peft_adapter(dirs["formality-0"])
    assert mods["model.layers.0.mlp.down_proj"][2] == pytest.approx(12 / 4)     # alpha_pattern
    assert mods["model.layers.0.mlp.up_proj"][2] == pytest.approx(1.0)
    _, mods = load_peft_adapter(dirs["simplicity-0"])
    assert mods["model.layers.0.mlp.up_proj"][2] == pytest.approx(8 / 2)        # rsLoRA: alpha / sqrt(r)
    assert bank.names == list(ADAPTERS)
    assert len(bank.modules) == 2 * 7
    # formality-1 is absent from k_proj: the bank's k_proj holds the other five adapters only
    mf = bank.modules["model.layers.0.self_attn.k_proj"]
    assert bank.index["formality-1"] not in mf.spans
    assert mf.A.shape[0] == 4 + 8 + 4 + 6 + 4
    assert bank.factors("formality-1", "model.layers.0.self_attn.k_proj") is None


@pytest.mark.parametrize("alpha", [-1.0, 0.0, 0.3, 1.0, 2.0])
def test_delta_weights_two_anchors(world, alpha):
    _, dirs, bank = world
    coeffs = {"sentiment-1": alpha, "sentiment-0": 1.0 - alpha}
    ref = reference_delta(dirs, coeffs)
    got = delta_weights(bank, coeffs)
    assert set(got) == set(bank.module_names) == set(ref)
    for m, d in got.items():
        assert d.dtype == torch.float64
        assert rel_err(d, ref[m]) < 1e-5, m


def test_delta_weights_three_attributes(world):
    _, dirs, bank = world
    lam = {"sentiment": 0.5, "formality": 0.3, "simplicity": 0.2}
    alph = {"sentiment": 0.8, "formality": -0.5, "simplicity": 1.7}
    coeffs = {}
    for a in lam:
        coeffs[f"{a}-1"] = lam[a] * alph[a]
        coeffs[f"{a}-0"] = lam[a] * (1 - alph[a])
    ref = reference_delta(dirs, coeffs)
    got = delta_weights(bank, coeffs)
    for m in ref:
        assert rel_err(got[m], ref[m]) < 1e-5, m
    # merged state dict = base + delta, other tensors untouched
    sd = merged_state_dict(base_model := world[0], bank, coeffs)
    base_sd = base_model.state_dict()
    assert set(sd) == set(base_sd)
    for k, v in sd.items():
        m = k[: -len(".weight")]
        if m in ref:
            assert rel_err(v.double() - base_sd[k].double(), ref[m]) < 1e-5, k
        else:
            assert torch.equal(v, base_sd[k]), k


@pytest.mark.parametrize("weights", [[0.3, 0.7], [2.0, -1.0, 0.5, -0.25, 1.5, 0.1]])
def test_matches_peft_cat_weighted_adapter(world, weights):
    base, dirs, bank = world
    names = list(ADAPTERS)[: len(weights)]
    pm = PeftModel.from_pretrained(copy.deepcopy(base), str(dirs[names[0]]), adapter_name=names[0])
    for n in names[1:]:
        pm.load_adapter(str(dirs[n]), adapter_name=n)
    pm.add_weighted_adapter(names, weights, adapter_name="mix", combination_type="cat")
    ours = delta_weights(bank, dict(zip(names, weights)))
    checked = 0
    for name, mod in pm.base_model.model.named_modules():
        if hasattr(mod, "lora_A") and "mix" in getattr(mod, "lora_A", {}):
            peft_delta = mod.get_delta_weight("mix").double()
            assert rel_err(ours[name], peft_delta) < 1e-5, name
            checked += 1
    assert checked == 14
    # merge_and_unload of the mixed adapter gives the same full weights as merged_state_dict
    pm.set_adapter("mix")
    merged = pm.merge_and_unload(adapter_names=["mix"]).state_dict()
    sd = merged_state_dict(base, bank, dict(zip(names, weights)))
    for k in sd:
        assert rel_err(sd[k], merged[k]) < 1e-5 or torch.allclose(sd[k], merged[k], atol=1e-7), k


def merged_model(base, bank, coeffs):
    m = copy.deepcopy(base)
    m.load_state_dict(merged_state_dict(base, bank, coeffs))
    return m.eval()


@pytest.fixture(params=["union", "grouped"])
def row_grouping(request, monkeypatch):
    """Run a test with the union-of-columns path only, and with rows always split by adapter support (counting
    the grouped forwards, so that the test can check the path was taken)."""
    import lminterp.mixing.layers as mixing

    calls = []
    if request.param == "union":
        monkeypatch.setattr(mixing, "GROUP_OVERHEAD_MACS", float("inf"))
    else:
        monkeypatch.setattr(mixing, "GROUP_OVERHEAD_MACS", 0.0)
        orig = mixing.MixedLoRALinear._grouped

        def counted(self, *a, **k):
            calls.append(self.name)
            return orig(self, *a, **k)

        monkeypatch.setattr(mixing.MixedLoRALinear, "_grouped", counted)
    return request.param, calls


def test_per_row_forward_equals_merged_models(world, row_grouping):
    base, _, bank = world
    model = copy.deepcopy(base)
    attach_bank(model, bank)
    attach_bank(model, bank)  # idempotent
    assert get_bank(model) is bank
    assert sum(isinstance(m, MixedLoRALinear) for m in model.modules()) == 14
    rows = [
        {},                                                    # base
        {"sentiment-1": 0.3, "sentiment-0": 0.7},              # interpolation
        {"sentiment-1": 2.0, "sentiment-0": -1.0},             # extrapolation
        {},                                                    # base again (between active rows)
        {"sentiment-1": 0.4, "sentiment-0": 0.1, "formality-1": -0.3, "formality-0": 0.6,
         "simplicity-1": 0.2, "simplicity-0": 0.0},            # three attributes, different ranks
        {"formality-1": 1.0},                                  # adapter absent from k/o/gate/up
    ]
    torch.manual_seed(1)
    x = torch.randint(3, 100, (len(rows), 7))
    coeff = torch.stack([bank.coeff_vector(r) for r in rows])
    with torch.no_grad():
        plain = model(x).logits
        assert torch.equal(plain, base(x).logits)  # attached bank without weights = base model, exactly
        set_row_weights(model, coeff)
        mixed = model(x).logits
        set_row_weights(model, None)
        for i, r in enumerate(rows):
            ref = merged_model(base, bank, r)(x[i:i + 1]).logits[0]
            torch.testing.assert_close(mixed[i], ref, atol=2e-5, rtol=1e-4)
            assert (mixed[i] - plain[i]).abs().max() > 1e-3 or not r  # the adapters do change the logits
        assert torch.equal(mixed[0], plain[0]) and torch.equal(mixed[3], plain[3])
        mode, calls = row_grouping
        assert bool(calls) == (mode == "grouped")
        # only a subset of the bank active in the batch (column selection), and all rows active
        sub = rows[1:3]
        with row_weights(model, torch.stack([bank.coeff_vector(r) for r in sub])), torch.inference_mode():
            got = model(x[1:3]).logits
        torch.testing.assert_close(got, mixed[1:3], atol=2e-5, rtol=1e-4)
    # attaching another bank replaces the first one
    small = AdapterBank({"only": {"model.layers.0.self_attn.q_proj": bank.factors("sentiment-1",
                                                                               "model.layers.0.self_attn.q_proj")}})
    attach_bank(model, small)
    assert get_bank(model) is small
    assert sum(isinstance(m, MixedLoRALinear) for m in model.modules()) == 1
    with torch.no_grad(), row_weights(model, torch.tensor([[1.0]]).repeat(len(rows), 1)):
        only = model(x).logits
    ref = merged_model(base, small, {"only": 1.0})
    torch.testing.assert_close(only, ref(x).logits, atol=2e-5, rtol=1e-4)
    detach_bank(model)
    assert get_bank(model) is None and not any(isinstance(m, MixedLoRALinear) for m in model.modules())
    with torch.no_grad():
        assert torch.equal(model(x).logits, plain)


def test_row_count_mismatch_raises(world):
    base, _, bank = world
    model = copy.deepcopy(base)
    attach_bank(model, bank)
    set_row_weights(model, bank.coeff_vector({"sentiment-1": 1.0})[None].repeat(2, 1))
    with pytest.raises(RuntimeError, match="row weight"), torch.no_grad():
        model(torch.ones(3, 4, dtype=torch.long))
    with pytest.raises(KeyError):
        bank.coeff_vector({"nope": 1.0})
