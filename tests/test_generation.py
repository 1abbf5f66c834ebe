"""Generation engine: logit combination (DExperts / model arithmetic), KV-cached batched decoding vs full
recompute, inverse-CDF sampling, determinism and pass counting."""
from __future__ import annotations

import copy

import pytest
import torch

torch.set_num_threads(1)

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast  # noqa: E402

from lminterp.mixing.adapters import AdapterBank  # noqa: E402
from lminterp.mixing.layers import merged_state_dict  # noqa: E402
from lminterp.mixing.generation import (  # noqa: E402
    GenerationStats,
    SamplingConfig,
    generate,
    next_token_logits,
    sample_uniforms,
    top_p_filter,
)
from lminterp.mixing.recipes import (  # noqa: E402
    Component,
    Recipe,
    count_forward_passes,
    dexperts_recipe,
    model_arithmetic_recipe,
    weight_recipe,
)
from lminterp.mixing.layers import attach_bank  # noqa: E402
from lora_helpers import save_random_adapters  # noqa: E402

ALL = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
ADAPTERS = {
    "sentiment-1": dict(r=4, lora_alpha=8, target_modules=ALL),
    "sentiment-0": dict(r=8, lora_alpha=8, target_modules=ALL),
    "formality-1": dict(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj", "down_proj"]),
    "formality-0": dict(r=4, lora_alpha=4, target_modules=ALL),
}
PROMPTS = ["the cat", "a", "hello there, my friend", "why is it so", "ok."]
POS, NEG = "be kind.", "be very rude and mean!"
# extra stop tokens (besides </s>) so that samples end at different steps: exercises stopping and the removal
# of finished samples from the running batch
STOP = [2] + list(range(40, 52))


def char_tokenizer(with_bos: bool = True, chat_template: str | None = None) -> PreTrainedTokenizerFast:
    vocab = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3}
    for c in "abcdefghijklmnopqrstuvwxyz .,!?':":
        vocab[c] = len(vocab)
    while len(vocab) < 100:
        vocab[f"<x{len(vocab)}>"] = len(vocab)
    tk = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    tk.decoder = decoders.Fuse()
    if with_bos:  # like Llama / the tiny world's tokenizer: tokenizer(text) prepends <s>
        tk.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                  unk_token="<unk>")
    tok.chat_template = chat_template
    return tok


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=100, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256, bos_token_id=1,
                      eos_token_id=2, pad_token_id=0, tie_word_embeddings=False)
    base = LlamaForCausalLM(cfg).eval()
    with torch.no_grad():  # peakier next-token distributions than a fresh init (meaningful top-p / argmax)
        base.lm_head.weight.mul_(25.0)
        base.lm_head.weight[2] -= 0.5 * base.lm_head.weight[2]  # eos not too likely
    root = tmp_path_factory.mktemp("adapters")
    dirs = save_random_adapters(base, ADAPTERS, root, seed0=10, b_std=0.08)
    bank = AdapterBank.from_dirs(dirs)
    model = copy.deepcopy(base)
    attach_bank(model, bank)
    return base, bank, model, char_tokenizer()


# ----------------------------------------------------------------------------------- independent reference
def ref_top_p(z: torch.Tensor, p: float) -> torch.Tensor:
    """Straightforward per-element nucleus filter (DExperts convention: keep a token while the mass before it
    is <= p)."""
    z = z.clone()
    probs = torch.softmax(z.double(), -1)
    order = sorted(range(z.numel()), key=lambda i: -float(z[i]))
    before = 0.0
    for rank, i in enumerate(order):
        if rank > 0 and before > p:
            z[i] = float("-inf")
        before += float(probs[i])
    return z


class RefDecoder:
    """Full-recompute (no cache, no padding, one sequence at a time) reference of a recipe, with merged models."""

    def __init__(self, base, bank, tok):
        self.base, self.bank, self.tok = base, bank, tok
        self._models = {}

    def model_for(self, weights):
        key = tuple(sorted(dict(weights).items()))
        if not key or all(w == 0 for _, w in key):
            return self.base
        if key not in self._models:
            m = copy.deepcopy(self.base)
            m.load_state_dict(merged_state_dict(self.base, self.bank, dict(key)))
            self._models[key] = m.eval()
        return self._models[key]

    def ids(self, prefix, prompt):
        text = prompt if not prefix else prefix + " " + prompt
        return [1] + self.tok(text, add_special_tokens=False)["input_ids"]

    @torch.no_grad()
    def logits(self, recipe: Recipe, prompt: str, new: list[int]) -> torch.Tensor:
        total = None
        for c in recipe.components:
            ids = torch.tensor([self.ids(c.prefix, prompt) + new])
            z = self.model_for(c.adapter_weights)(ids).logits[0, -1].double()
            if c.top_p is not None:
                z = ref_top_p(z, c.top_p)
            term = torch.where(torch.isneginf(z), z, c.logit_weight * z)
            total = term if total is None else total + term
        return total

    def decode(self, recipe, prompt, steps, *, temperature=0.0, top_p=1.0, uniforms=None, stop=(2,)) -> str:
        new = []
        for t in range(steps):
            z = self.logits(recipe, prompt, new)
            if temperature == 0:
                nxt = int(z.argmax())
            else:
                z = ref_top_p(z / temperature, top_p) if top_p < 1 else z / temperature
                probs = torch.softmax(z, -1)
                cdf = torch.cumsum(probs, -1)
                nxt = int((cdf <= float(uniforms[t]) * float(cdf[-1])).sum())
            if nxt in stop:
                break
            new.append(nxt)
        return self.tok.decode(new, skip_special_tokens=True)


def recipes_all() -> dict[str, Recipe]:
    return {
        "base": weight_recipe({}),
        "interp": weight_recipe({"sentiment-1": 0.3, "sentiment-0": 0.7}),
        "extrap": weight_recipe({"sentiment-1": 1.5, "sentiment-0": -0.5, "formality-1": 0.4, "formality-0": 0.2}),
        "dexperts": dexperts_recipe({"sentiment-1": 1.0}, {"sentiment-0": 1.0}, alpha=2.0, base_top_p=0.9),
        "marith": model_arithmetic_recipe(POS, NEG, alpha=1.5),
    }


# ----------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("sort", ["numpy", "torch"])
def test_top_p_filter_matches_reference(sort):
    torch.manual_seed(3)
    # peaked and flat rows, in a 3-d batch (rows = leading dims)
    z = torch.randn(8, 50) * torch.tensor([0.1, 0.5, 1, 2, 3, 5, 8, 12])[:, None]
    z[2, 7] = float("-inf")  # a token the model can never produce
    for p in (0.05, 0.5, 0.9, 0.99):
        got = top_p_filter(z.view(2, 4, 50), p, sort=sort).view(8, 50)
        for i in range(z.shape[0]):
            kept = ~torch.isneginf(got[i])
            assert torch.equal(kept, ~torch.isneginf(ref_top_p(z[i], p))), (p, i)
            assert torch.equal(got[i][kept], z[i][kept])
            assert int(kept.sum()) >= 1
    assert torch.equal(top_p_filter(z, 1.0), z)
    one = torch.randn(3, 1)                          # a one-token vocabulary keeps its token
    assert torch.equal(top_p_filter(one, 0.5, sort=sort), one)
    with pytest.raises(ValueError, match="sort"):
        top_p_filter(z, 0.5, sort="quick")


def test_combined_logits_equal_hand_computed(world):
    base, bank, model, tok = world
    ref = RefDecoder(base, bank, tok)
    a = 2.0
    recipes = {
        "dexperts": dexperts_recipe({"sentiment-1": 1.0}, {"sentiment-0": 1.0}, alpha=a, base_top_p=0.9),
        "dexperts_narrow": dexperts_recipe({"formality-1": 1.0}, {"formality-0": 1.0}, alpha=a, base_top_p=0.3),
        "marith": model_arithmetic_recipe(POS, NEG, alpha=a),
        "interp": weight_recipe({"sentiment-1": 0.3, "sentiment-0": 0.7}),
        # a filtered component with a negative weight: its -inf must stay -inf (not become +inf)
        "odd": Recipe((Component(top_p=0.5, logit_weight=-0.5), Component(adapter_weights={"sentiment-1": 1.0}))),
    }
    got = next_token_logits(model, tok, recipes, PROMPTS)
    with torch.no_grad():
        for p, prompt in enumerate(PROMPTS):
            def z(weights=(), prefix=""):
                return ref.model_for(weights)(torch.tensor([ref.ids(prefix, prompt)])).logits[0, -1].double()
            hand = {
                "dexperts": ref_top_p(z(), 0.9) + a * (z({"sentiment-1": 1.0}) - z({"sentiment-0": 1.0})),
                "dexperts_narrow": ref_top_p(z(), 0.3) + a * (z({"formality-1": 1.0}) - z({"formality-0": 1.0})),
                "marith": z() + a * (z(prefix=POS) - z(prefix=NEG)),
                "interp": z({"sentiment-1": 0.3, "sentiment-0": 0.7}),
                "odd": torch.where(torch.isneginf(f := ref_top_p(z(), 0.5)), f, -0.5 * f) + z({"sentiment-1": 1.0}),
            }
            for name, h in hand.items():
                g = got[name][p].double()
                assert torch.equal(torch.isneginf(g), torch.isneginf(h)), (name, p)
                fin = torch.isfinite(h)
                torch.testing.assert_close(g[fin], h[fin], atol=1e-4, rtol=1e-4)
            assert torch.isneginf(hand["dexperts_narrow"]).sum() > 10  # the filter really removes tokens
            assert (hand["dexperts"][fin] - z()[fin]).abs().max() > 0.1


@pytest.mark.parametrize("batch_rows", [512, 7])
def test_greedy_kv_cached_batched_equals_full_recompute(world, batch_rows):
    base, bank, model, tok = world
    ref = RefDecoder(base, bank, tok)
    recipes = recipes_all()
    steps = 10
    st = GenerationStats()
    out = generate(model, tok, recipes, PROMPTS, samples_per_prompt=1, seed=0, progress=False, eos_token_ids=STOP,
                   sampling=SamplingConfig(max_new_tokens=steps, temperature=0.0, batch_rows=batch_rows), stats=st)
    conts = set()
    for name, recipe in recipes.items():
        assert [r["prompt_id"] for r in out[name]] == list(range(len(PROMPTS)))
        for r, prompt in zip(out[name], PROMPTS):
            assert r["prompt"] == prompt and r["sample"] == 0
            assert r["continuation"] == ref.decode(recipe, prompt, steps, stop=STOP), (name, prompt)
            conts.add(r["continuation"])
    assert len(conts) > 10  # the specs really differ
    n_samples = len(recipes) * len(PROMPTS)
    assert n_samples < st.total_tokens < n_samples * steps  # some samples stopped early, not all at once


def test_sampling_equals_reference_inverse_cdf(world):
    base, bank, model, tok = world
    ref = RefDecoder(base, bank, tok)
    recipes = {k: v for k, v in recipes_all().items() if k in ("extrap", "dexperts", "marith")}
    steps, S, seed = 8, 2, 1234
    sc = SamplingConfig(max_new_tokens=steps, temperature=0.7, top_p=0.8, batch_rows=16)
    out = generate(model, tok, recipes, PROMPTS[:3], samples_per_prompt=S, seed=seed, sampling=sc, progress=False,
                   eos_token_ids=STOP)
    for name, recipe in recipes.items():
        assert [(r["prompt_id"], r["sample"]) for r in out[name]] == [(p, j) for p in range(3) for j in range(S)]
        for r in out[name]:
            u = sample_uniforms(seed, r["prompt_id"], r["sample"], steps)
            want = ref.decode(recipe, r["prompt"], steps, temperature=0.7, top_p=0.8, uniforms=u, stop=STOP)
            assert r["continuation"] == want, (name, r["prompt_id"], r["sample"])


def test_determinism_and_independence_from_other_specs(world):
    _, _, model, tok = world
    recipes = recipes_all()
    sc = SamplingConfig(max_new_tokens=12, temperature=1.0, top_p=0.95, batch_rows=64)
    kw = dict(samples_per_prompt=3, progress=False, eos_token_ids=STOP)
    a = generate(model, tok, recipes, PROMPTS, seed=7, sampling=sc, **kw)
    b = generate(model, tok, recipes, PROMPTS, seed=7, sampling=sc, **kw)
    assert a == b
    for name in ("dexperts", "interp"):
        alone = generate(model, tok, {name: recipes[name]}, PROMPTS, seed=7,
                         sampling=SamplingConfig(max_new_tokens=12, temperature=1.0, top_p=0.95, batch_rows=5), **kw)
        assert alone[name] == a[name]
    c = generate(model, tok, recipes, PROMPTS, seed=8, sampling=sc, **kw)
    assert c != a
    # samples of one prompt differ from each other (independent noise per sample)
    assert len({r["continuation"] for r in a["interp"] if r["prompt_id"] == 2}) > 1


def test_common_random_numbers(world):
    """The noise is the (prompt, sample)'s, not the spec's: two identical models under different names give
    identical samples; a slightly different model mostly agrees; the noise of sample j does not depend on how
    many samples or steps are drawn."""
    _, _, model, tok = world
    interp = recipes_all()["interp"]
    twin = Recipe(interp.components)
    sc = SamplingConfig(max_new_tokens=12, temperature=1.0, batch_rows=64)
    kw = dict(samples_per_prompt=2, progress=False, eos_token_ids=STOP, seed=11, sampling=sc)
    out = generate(model, tok, {"interp": interp, "twin": twin}, PROMPTS, **kw)
    assert [r["continuation"] for r in out["interp"]] == [r["continuation"] for r in out["twin"]]
    (w0, v0), (w1, v1) = interp.components[0].adapter_weights
    near = Recipe((Component(adapter_weights=((w0, v0 + 0.02), (w1, v1 - 0.02))),))
    far = generate(model, tok, {"near": near}, PROMPTS, **kw)["near"]
    same = sum(a["continuation"] == b["continuation"] for a, b in zip(out["interp"], far))
    assert same >= len(far) // 2, same   # with independent noise per model almost none would agree
    one = generate(model, tok, {"interp": interp}, PROMPTS, **{**kw, "samples_per_prompt": 1})["interp"]
    assert [r["continuation"] for r in one] == [r["continuation"] for r in out["interp"] if r["sample"] == 0]
    assert torch.equal(sample_uniforms(3, 1, 0, 5), sample_uniforms(3, 1, 0, 9)[:5])


def test_pass_counting_and_stats(world):
    _, _, model, tok = world
    recipes = recipes_all()
    assert count_forward_passes(recipes) == {"base": 1, "interp": 1, "extrap": 1, "dexperts": 3, "marith": 3}
    st = GenerationStats()
    out = generate(model, tok, recipes, PROMPTS, samples_per_prompt=2, seed=0, progress=False, stats=st,
                   sampling=SamplingConfig(max_new_tokens=6, batch_rows=20))
    assert st.rows_per_token == count_forward_passes(recipes)
    for name, recs in out.items():
        assert len(recs) == 2 * len(PROMPTS)
        assert len(recs) <= st.tokens[name] <= 6 * len(recs)  # >= 1 token per sample (eos included)
        assert st.row_steps[name] == st.tokens[name] * recipes[name].rows
    assert st.total_tokens > 0 and st.tokens_per_s > 0 and st.batches >= 2
    assert st.as_dict()["total_tokens"] == st.total_tokens
    share = st.time_share_s()
    assert sum(share.values()) == pytest.approx(st.wall_s) and share["dexperts"] > share["interp"]


def test_recipe_validation_and_component_normalisation():
    c = Component(adapter_weights={"a": 1}, logit_weight=2)
    assert c.adapter_weights == (("a", 1.0),) and isinstance(c.logit_weight, float)
    with pytest.raises(ValueError):
        Recipe(())
    with pytest.raises(ValueError):
        Component(top_p=0.0)
    hash(dexperts_recipe({"x": 1.0}, {"y": 1.0}, 1.0))  # frozen + hashable


def test_inference_cost_counts_rows_on_the_forward(world):
    """Table 4's count comes from a hook on the model's forward during a real generation: 1 row per generated token
    for weight interpolation, 2N + 1 for DExperts and model arithmetic (N = 1, 2)."""
    from lminterp.mixing import inference_cost as IC
    from lminterp.mixing.recipes import recipe_for

    _, _, model, tok = world
    order = ["sentiment", "formality"]
    specs = IC.cost_specs(order)
    prompts = {a: {"0": NEG, "1": POS} for a in order}
    recipes = {s.name: recipe_for(s, system_prompts=prompts) for s in specs.values()}
    got = IC.measure(model, tok, recipes, PROMPTS, sampling=SamplingConfig(max_new_tokens=5, batch_rows=64), seed=0,
                     sequences=6, repeats=1)
    for (method, n), spec in specs.items():
        want = 1 if method == "interp" else 2 * n + 1
        assert got[spec.name]["rows_per_token_counted"] == want, (spec.name, got[spec.name])
        assert got[spec.name]["rows_per_token_engine"] == want
        assert got[spec.name]["tokens"] >= 10 and got[spec.name]["tokens_per_s"] > 0   # 2 samples x 5 prompts
    assert got[specs[("arith-raw", 2)].name]["anchors"] == []
    assert len(got[specs[("dexperts-raw", 2)].name]["anchors"]) == 4


def test_the_merged_limit_is_the_same_model_in_one_plain_forward(world):
    """Table 4's limit: an interpolated model merged into the weights (no adapter bank) gives the bank's logits,
    and generation on it forwards one row per token."""
    import torch

    from lminterp.mixing import inference_cost as IC
    from lminterp.mixing.layers import MixedLoRALinear, get_bank, row_weights
    from lminterp.mixing.recipes import component_coeff, recipe_for

    _, _, model, tok = world
    spec = IC.cost_specs(["sentiment", "formality"])[("interp", 2)]
    recipe = recipe_for(spec)
    plain = IC.merged_model(model, recipe)
    assert not any(isinstance(m, MixedLoRALinear) for m in plain.modules()) and get_bank(plain) is None
    ids = torch.tensor([tok("the cat sat on the mat")["input_ids"]])
    coeff = component_coeff(recipe.components[0], get_bank(model), spec.name)
    with torch.no_grad(), row_weights(model, coeff[None, :]):
        mixed = model(input_ids=ids).logits
    with torch.no_grad():
        merged = plain(input_ids=ids).logits
        base = model(input_ids=ids).logits                       # no row weights: the base model
    assert (mixed - base).abs().max() > 1e-2                       # the mixture moves the logits ...
    torch.testing.assert_close(merged, mixed, atol=2e-4, rtol=1e-4)   # ... and the merged model moves them alike
    got = IC.measure(model, tok, {spec.name: recipe}, PROMPTS, sampling=SamplingConfig(max_new_tokens=5, batch_rows=64),
                     seed=0, sequences=6, repeats=1, merged=[spec.name])
    twin = got[IC.merged_name(spec.name)]
    assert twin["rows_per_token_counted"] == 1 and twin["anchors"] == [] and twin["tokens"] == got[spec.name]["tokens"]


# ------------------------------------------------------------------- the real model's framing: bos, chat, eos
CHAT = "{% for m in messages %}user: {{ m['content'] }}. {% endfor %}{% if add_generation_prompt %}bot:{% endif %}"


def _row_ids(model, tok, recipe, prompt):
    """The token ids of the one row of a one-component recipe, as the engine builds them (through a generation
    of one greedy token whose logits must equal the model's own after those ids)."""
    from lminterp.mixing.generation import _spec_rows, _Tokens

    toks = _Tokens(tok, [prompt])
    rows = _spec_rows({"r": recipe}, ["r"], None, toks)
    ((key, *_),) = rows[0]
    return toks(key[0], 0, key[1])


def test_bos_follows_the_tokenizer_and_chat_rows_use_its_template(world):
    base, _, _, _ = world
    prompt, instr = "the cat", "be kind"
    plain = char_tokenizer(with_bos=False)
    llama = char_tokenizer(with_bos=True)
    ids = plain("the cat", add_special_tokens=False)["input_ids"]
    # a tokenizer that adds no bos (SmolLM2) gets none; one that adds it (Llama, the tiny world) gets it
    assert _row_ids(base, plain, Recipe((Component(),)), prompt) == ids
    assert _row_ids(base, llama, Recipe((Component(),)), prompt) == [1] + ids
    # the prompted model: its own chat template around instruction + prompt, the assistant's turn opened
    chat_tok = char_tokenizer(with_bos=False, chat_template=CHAT)
    want = chat_tok("user: be kind the cat. bot:", add_special_tokens=False)["input_ids"]
    assert _row_ids(base, chat_tok, Recipe((Component(prefix=instr, chat=True),)), prompt) == want
    # a tokenizer without a template (the tiny world) reads the instruction as plain text before the prompt
    assert _row_ids(base, llama, Recipe((Component(prefix=instr, chat=True),)), prompt) == \
        [1] + llama("be kind the cat", add_special_tokens=False)["input_ids"]
    # a model arithmetic prefix is never a chat message, template or not
    assert _row_ids(base, chat_tok, Recipe((Component(prefix=instr),)), prompt) == \
        chat_tok("be kind the cat", add_special_tokens=False)["input_ids"]
    # and the engine generates from exactly those ids: greedy first token = argmax after them
    got = generate(base, chat_tok, {"p": Recipe((Component(prefix=instr, chat=True),))}, [prompt],
                   samples_per_prompt=1, seed=0, progress=False,
                   sampling=SamplingConfig(max_new_tokens=1, temperature=0))
    with torch.no_grad():
        first = int(base(torch.tensor([want])).logits[0, -1].argmax())
    assert got["p"][0]["continuation"] == chat_tok.decode([first]) or first == 2


def test_min_new_tokens_holds_the_eos_back(world):
    base, _, _, tok = world
    # a model that ends every text at once: eos is its top token after any prompt
    eager = copy.deepcopy(base)
    head = torch.nn.Linear(base.lm_head.in_features, base.lm_head.out_features, bias=True)
    with torch.no_grad():
        head.weight.copy_(base.lm_head.weight)
        head.bias.zero_()
        head.bias[2] = 1e4
    eager.lm_head = head
    recipes = {"m": Recipe((Component(),))}
    kw = dict(samples_per_prompt=2, seed=0, progress=False, eos_token_ids=[2])
    stats0, stats5 = GenerationStats(), GenerationStats()
    none = generate(eager, tok, recipes, PROMPTS, sampling=SamplingConfig(max_new_tokens=8), stats=stats0, **kw)
    held = generate(eager, tok, recipes, PROMPTS, sampling=SamplingConfig(max_new_tokens=8, min_new_tokens=5),
                    stats=stats5, **kw)
    assert stats0.tokens["m"] == 2 * len(PROMPTS)          # one eos each: every text empty
    assert all(r["continuation"] == "" for r in none["m"])
    assert stats5.tokens["m"] == 6 * 2 * len(PROMPTS)      # five tokens, then the eos
    assert all(r["continuation"] for r in held["m"])          # (five tokens of text each)
    with pytest.raises(ValueError, match="min_new_tokens"):
        SamplingConfig(max_new_tokens=4, min_new_tokens=5)


def test_lm_training_frames_texts_as_generation_does():
    """LoRA / pretraining texts: the bos exactly where the tokenizer puts one (as the rows above), the eos unless
    lora.end_with_eos is false."""
    from lminterp.training.loop import encode_lm_texts

    llama, plain = char_tokenizer(with_bos=True), char_tokenizer(with_bos=False)
    ids = plain("ok.", add_special_tokens=False)["input_ids"]
    assert encode_lm_texts(llama, ["ok."], 64) == [[1] + ids + [2]]
    assert encode_lm_texts(plain, ["ok."], 64) == [ids + [2]]
    assert encode_lm_texts(plain, ["ok."], 64, eos=False) == [ids]
    assert encode_lm_texts(llama, ["ok."], 3, eos=False) == [[1] + ids[:2]]
