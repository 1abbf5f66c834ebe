"""Sliding-window perplexity of plain, interpolated, DExperts and model-arithmetic specs against a brute-force
token-by-token reference (one forward of exactly the window context per scored token, merged models, logits
combined by hand)."""
from __future__ import annotations

import copy
import math

import pytest
import torch

torch.set_num_threads(1)

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast  # noqa: E402

from lminterp.mixing.adapters import AdapterBank  # noqa: E402
from lminterp.mixing.layers import merged_state_dict  # noqa: E402
from lminterp.mixing.recipes import (  # noqa: E402
    Component,
    Recipe,
    dexperts_recipe,
    model_arithmetic_recipe,
    weight_recipe,
)
from lminterp.mixing.layers import attach_bank  # noqa: E402
from lminterp.mixing.perplexity import perplexity  # noqa: E402
from lora_helpers import save_random_adapters  # noqa: E402

ALL = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
ADAPTERS = {
    "sentiment-1": dict(r=4, lora_alpha=8, target_modules=ALL),
    "sentiment-0": dict(r=8, lora_alpha=8, target_modules=ALL),
    "formality-1": dict(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj", "down_proj"]),
}
TEXT = "the quick brown fox jumps over the lazy dog, and then it sleeps!"  # 64 characters = 64 tokens (+ bos)
POS, NEG = "be kind.", "be very rude!"
BOS = 1


def char_tokenizer(with_bos: bool = True) -> PreTrainedTokenizerFast:
    vocab = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3}
    for c in "abcdefghijklmnopqrstuvwxyz .,!?'":
        vocab[c] = len(vocab)
    while len(vocab) < 100:
        vocab[f"<x{len(vocab)}>"] = len(vocab)
    tk = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    tk.decoder = decoders.Fuse()
    if with_bos:  # like Llama / the tiny world's tokenizer: tokenizer(text) prepends <s>
        tk.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", BOS)])
    return PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                   unk_token="<unk>")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=100, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256, bos_token_id=1,
                      eos_token_id=2, pad_token_id=0, tie_word_embeddings=False)
    base = LlamaForCausalLM(cfg).eval()
    with torch.no_grad():  # less uniform next-token distributions than a fresh init
        base.lm_head.weight.mul_(8.0)
    root = tmp_path_factory.mktemp("adapters")
    dirs = save_random_adapters(base, ADAPTERS, root, seed0=10, b_std=0.08)
    bank = AdapterBank.from_dirs(dirs)
    model = copy.deepcopy(base)
    attach_bank(model, bank)
    tok = char_tokenizer()
    ref = BruteForce(base, bank, tok)
    return model, tok, ref


# ----------------------------------------------------------------------------------- independent reference
class BruteForce:
    """Token by token: for every scored token, one forward (no batching, no padding) of a separate merged model on
    exactly the context its sliding window gives it; component logits combined by hand in float64, no top-p."""

    def __init__(self, base, bank, tok):
        self.base, self.bank, self.tok = base, bank, tok
        self._models = {}
        self._memo = {}

    def model_for(self, weights):
        key = tuple(sorted(dict(weights).items()))
        if not key or all(w == 0 for _, w in key):
            return self.base
        if key not in self._models:
            m = copy.deepcopy(self.base)
            m.load_state_dict(merged_state_dict(self.base, self.bank, dict(key)))
            self._models[key] = m.eval()
        return self._models[key]

    @torch.no_grad()
    def last_logits(self, weights, context: list[int]) -> torch.Tensor:
        key = (tuple(sorted(dict(weights).items())), tuple(context))
        if key not in self._memo:
            self._memo[key] = self.model_for(weights)(torch.tensor([context])).logits[0, -1].double()
        return self._memo[key]

    def run(self, recipe: Recipe, text: str, max_length: int, stride: int, bos: bool = True):
        """(nll_sum, n_scored, per-window mean losses, n_windows) -- the HF guide's loop, transcribed."""
        ids = ([BOS] if bos else []) + self.tok(text, add_special_tokens=False)["input_ids"]
        n = len(ids)
        nll_sum, count, window_losses, n_windows = 0.0, 0, [], 0
        prev_end = 0
        for begin in range(0, n, stride):
            end = min(begin + max_length, n)
            n_windows += 1
            trg_len = end - prev_end                  # the last trg_len tokens of the window are targets
            w_sum, w_cnt = 0.0, 0
            for t in range(end - trg_len, end):
                if t == begin:                        # no context inside the window (label shift drops it)
                    continue
                z = 0.0
                for c in recipe.components:
                    if c.prefix:                      # [bos] + prefix + window tokens without their own bos
                        head = ([BOS] if bos else []) + self.tok(c.prefix, add_special_tokens=False)["input_ids"]
                        start = begin + 1 if (bos and begin == 0) else begin
                        context = head + ids[start:t]
                    else:
                        context = ids[begin:t]
                    z = z + c.logit_weight * self.last_logits(c.adapter_weights, context)
                nll = -float(torch.log_softmax(z, -1)[ids[t]])
                w_sum += nll
                w_cnt += 1
            nll_sum += w_sum
            count += w_cnt
            if w_cnt:
                window_losses.append(w_sum / w_cnt)
            prev_end = end
            if end == n:
                break
        return nll_sum, count, window_losses, n_windows


def check(got: dict, ref: tuple):
    nll_sum, count, window_losses, n_windows = ref
    assert got["n_scored_tokens"] == count
    # per window (what the figures bootstrap over): the reference's mean loss of every window that scores tokens
    assert sum(got["window_tokens"]) == count and len(got["window_nll"]) == n_windows
    ours = [nll / k for nll, k in zip(got["window_nll"], got["window_tokens"]) if k]
    assert ours == pytest.approx(window_losses, rel=1e-4, abs=1e-5)
    assert got["n_windows"] == n_windows
    assert math.isclose(got["nll_sum"], nll_sum, rel_tol=1e-5)
    want = math.exp(nll_sum / count)
    assert math.isfinite(got["perplexity"])
    assert abs(got["perplexity"] - want) / want < 1e-5, (got["perplexity"], want)


INTERP = weight_recipe({"sentiment-1": 0.7, "sentiment-0": 0.3})
EXTRAP = weight_recipe({"sentiment-1": 1.5, "sentiment-0": -0.5, "formality-1": 0.8})
# (max_length, stride): overlapping windows, disjoint windows, one window longer than the whole text
WINDOWS = [(16, 5), (12, 12), (200, 7)]


# ----------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("max_length,stride", WINDOWS)
def test_plain_and_interpolated_match_brute_force(world, max_length, stride):
    model, tok, ref = world
    recipes = {"base": Recipe((Component(),)), "interp": INTERP, "extrap": EXTRAP}
    got = perplexity(model, tok, TEXT, recipes, max_length=max_length, stride=stride, batch_windows=3,
                     progress=False)
    assert list(got) == list(recipes)
    for name, r in recipes.items():
        check(got[name], ref.run(r, TEXT, max_length, stride))
    n = len(TEXT) + 1
    if max_length > n:
        assert got["base"]["n_windows"] == 1 and got["base"]["n_scored_tokens"] == n - 1
    if stride == max_length:  # the first token of every window has no context
        assert got["base"]["n_scored_tokens"] == n - math.ceil(n / stride)
    # adapters do change the model
    assert got["interp"]["nll_sum"] != pytest.approx(got["base"]["nll_sum"], rel=1e-3)


def test_token_weighted_not_window_mean(world):
    model, tok, ref = world
    max_length, stride = 20, 9  # windows score 19, 9, 9, ... and a short last one
    got = perplexity(model, tok, TEXT, {"base": Recipe((Component(),)), "interp": INTERP},
                     max_length=max_length, stride=stride, progress=False)
    for name, r in (("base", Recipe((Component(),))), ("interp", INTERP)):
        res = ref.run(r, TEXT, max_length, stride)
        nll_sum, count, window_losses, _ = res
        check(got[name], res)
        window_mean = math.exp(sum(window_losses) / len(window_losses))
        token_weighted = math.exp(nll_sum / count)
        assert abs(window_mean - token_weighted) / token_weighted > 1e-3  # the two definitions differ here
        assert abs(got[name]["perplexity"] - window_mean) / window_mean > 1e-3


def test_dexperts_and_model_arithmetic_match_brute_force(world):
    model, tok, ref = world
    dex = dexperts_recipe({"sentiment-1": 1.0}, {"sentiment-0": 1.0}, 0.6, base_top_p=0.9)
    recipes = {
        "dexperts": dex,
        "dexperts-mixed-base": dexperts_recipe({"sentiment-1": 1.0}, {"sentiment-0": 1.0}, -1.2, base_top_p=None,
                                               base={"formality-1": 0.5}),
        "arith": model_arithmetic_recipe(POS, NEG, 0.8),
        "arith-neg": model_arithmetic_recipe(POS, NEG, -1.5),
        "base": Recipe((Component(),)),
        # a component repeated (weights add up), a prefixed adapter mixture, a base-model prefix row
        "custom": Recipe((Component(logit_weight=0.5),
                          Component(adapter_weights={"sentiment-1": 1.0}, logit_weight=0.4),
                          Component(adapter_weights={"sentiment-1": 1.0}, logit_weight=0.3),
                          Component(adapter_weights={"formality-1": 1.0}, prefix=NEG, logit_weight=0.2),
                          Component(prefix=POS, logit_weight=-0.4))),
    }
    got = {}
    for max_length, stride in [(16, 5), (12, 12)]:
        got[stride] = perplexity(model, tok, TEXT, recipes, max_length=max_length, stride=stride, batch_windows=2,
                                 progress=False)
        for name, r in recipes.items():
            # no top-p for perplexity: the reference combination never filters
            check(got[stride][name], ref.run(r, TEXT, max_length, stride))
    # the base filter is ignored (it would give some true tokens probability 0): same as without a filter
    unfiltered = dexperts_recipe({"sentiment-1": 1.0}, {"sentiment-0": 1.0}, 0.6, base_top_p=None)
    again = perplexity(model, tok, TEXT, {"u": unfiltered}, max_length=16, stride=5, progress=False)["u"]
    assert again["nll_sum"] == pytest.approx(got[5]["dexperts"]["nll_sum"], rel=1e-6)
    # the prefixes and the experts matter
    assert got[5]["arith"]["nll_sum"] != pytest.approx(got[5]["base"]["nll_sum"], rel=1e-3)
    assert got[5]["dexperts"]["nll_sum"] != pytest.approx(got[5]["base"]["nll_sum"], rel=1e-3)


def test_batching_and_spec_set_do_not_change_results(world):
    model, tok, _ = world
    recipes = {"interp": INTERP, "arith": model_arithmetic_recipe(POS, NEG, 0.8), "base": Recipe((Component(),))}
    a = perplexity(model, tok, TEXT, recipes, max_length=16, stride=5, batch_windows=1, progress=False)
    b = perplexity(model, tok, TEXT, recipes, max_length=16, stride=5, batch_windows=64, progress=False)
    c = perplexity(model, tok, TEXT, {"arith": recipes["arith"]}, max_length=16, stride=5, progress=False)
    d = perplexity(model, tok, TEXT, recipes, max_length=16, stride=5, batch_windows=64, max_rows=5, progress=False)
    for name in recipes:
        assert a[name]["nll_sum"] == pytest.approx(b[name]["nll_sum"], rel=1e-6)
        assert d[name]["nll_sum"] == pytest.approx(b[name]["nll_sum"], rel=1e-6)   # 1 window x 4 rows a batch
    assert c["arith"]["nll_sum"] == pytest.approx(a["arith"]["nll_sum"], rel=1e-6)


def test_without_bos(world):
    model, tok, ref = world
    plain_tok = char_tokenizer(with_bos=False)  # tokenizer(text) adds nothing: the text is scored as is
    recipes = {"interp": INTERP, "arith": model_arithmetic_recipe(POS, NEG, 0.8)}
    got = perplexity(model, plain_tok, TEXT, recipes, max_length=16, stride=5, progress=False)
    for name, r in recipes.items():
        check(got[name], ref.run(r, TEXT, 16, 5, bos=False))
    assert got["interp"]["n_scored_tokens"] == len(TEXT) - 1
    forced = perplexity(model, plain_tok, TEXT, {"interp": INTERP}, max_length=16, stride=5, add_bos=True,
                        progress=False)
    check(forced["interp"], ref.run(INTERP, TEXT, 16, 5, bos=True))


def test_rejects_bad_windows(world):
    model, tok, _ = world
    r = {"base": Recipe((Component(),))}
    with pytest.raises(ValueError, match="stride"):
        perplexity(model, tok, TEXT, r, max_length=8, stride=9, progress=False)
    with pytest.raises(ValueError):
        perplexity(model, tok, TEXT, r, max_length=8, stride=0, progress=False)
    with pytest.raises(ValueError):
        perplexity(model, tok, TEXT, r, max_length=1, stride=1, progress=False)
    with pytest.raises(ValueError):
        perplexity(model, tok, "", r, max_length=8, stride=4, progress=False)
