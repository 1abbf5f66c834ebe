"""Batched sampling engine for interpolated models, DExperts and model arithmetic.

A *spec* (one model / one controlled-generation setting) is a :class:`~lminterp.mixing.recipes.Recipe`: a list of
components, each being one forward row per sample -- the base model or a LoRA mixture over the attached
:class:`~lminterp.mixing.adapters.AdapterBank` (``adapter_weights``), optionally with a text ``prefix`` before the prompt.
The next-token logits of a sample are ``sum_c logit_weight_c * z_c`` where a component with ``top_p`` has its own
logits nucleus-filtered first (tokens outside get -inf, which stays -inf in the sum).  Temperature and top-p of
:class:`SamplingConfig` are then applied and a token is sampled.

* weight interpolation: one component ``adapter_weights={sentiment-1: lam*alpha, sentiment-0: lam*(1-alpha)}``
* DExperts: ``[base (top_p=0.9), expert (+a), antiexpert (-a)]``
* model arithmetic: ``[base, base with positive system prompt (+a), base with negative system prompt (-a)]``

All rows of all specs x prompts x samples share batched forwards (up to ``batch_rows`` rows, left padded, with KV
cache).  Sampling is by inverse CDF (vocabulary order) with one uniform number per (sample, step); the uniforms of
(prompt, sample) come from a ``torch.Generator`` seeded from ``(seed, prompt index, sample index)`` through SHA-256
and are the same for every spec (common random numbers): two models whose next-token distributions agree pick the
same token, so neighbouring models on a grid differ by their distributions rather than by independent noise, and
two identical models give identical samples.  A spec's outputs do not depend on which other specs are generated
with it, nor on batching (up to floating-point round-off of batched matmuls, which can only matter when a uniform
falls within ~1e-7 of a CDF boundary).
"""
from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from lminterp.data.tokens import adds_bos
from lminterp.mixing.layers import get_bank, set_row_weights
from lminterp.mixing.recipes import Recipe, component_coeff, count_forward_passes

__all__ = [
    "SamplingConfig",
    "GenerationStats",
    "generate",
    "next_token_logits",
    "top_p_filter",
    "sample_seed",
    "sample_uniforms",
]


@dataclass(frozen=True)
class SamplingConfig:
    max_new_tokens: int
    temperature: float = 1.0   # 0 = greedy (argmax)
    top_p: float = 1.0         # 1.0 = no nucleus filter
    batch_rows: int = 512      # forward rows per batch (a sample with C components uses C rows)
    noise: str = "common"      # "common": the same uniforms for every model; "per_model": each model its own
    min_new_tokens: int = 0    # the eos ids are masked until this many new tokens exist

    @classmethod
    def from_config(cls, gen: Mapping, batch_rows: int) -> "SamplingConfig":
        """From the config's ``generation`` section (``batch_rows``, a speed setting, passed apart)."""
        return cls(max_new_tokens=gen["max_new_tokens"], temperature=gen["temperature"], top_p=gen["top_p"],
                   noise=gen["noise"], min_new_tokens=gen.get("min_new_tokens", 0), batch_rows=batch_rows)

    def __post_init__(self):
        if self.noise not in ("common", "per_model"):
            raise ValueError(f"noise must be 'common' or 'per_model', got {self.noise!r}")
        if self.max_new_tokens < 1:
            raise ValueError("max_new_tokens must be >= 1")
        if self.temperature < 0:
            raise ValueError("temperature must be >= 0")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError("top_p must be in (0, 1]")
        if self.batch_rows < 1:
            raise ValueError("batch_rows must be >= 1")
        if not 0 <= self.min_new_tokens <= self.max_new_tokens:
            raise ValueError("min_new_tokens must be in [0, max_new_tokens]")


@dataclass
class GenerationStats:
    """Filled by :func:`generate` (pass an instance as ``stats=``)."""

    rows_per_token: dict[str, int] = field(default_factory=dict)   # forward rows per generated token, per spec
    tokens: dict[str, int] = field(default_factory=dict)           # generated tokens per spec (incl. the eos)
    row_steps: dict[str, int] = field(default_factory=dict)        # rows x decoding steps forwarded, per spec
    forward_calls: int = 0                                         # model forward calls (prefill + decode)
    batches: int = 0
    prefill_tokens: int = 0                                        # real (non-pad) prompt tokens forwarded
    padded_prefill_tokens: int = 0                                 # incl. padding
    wall_s: float = 0.0
    framing: list[dict] = field(default_factory=list)              # per row kind: the first prompt's ids as fed

    @property
    def total_tokens(self) -> int:
        return sum(self.tokens.values())

    @property
    def tokens_per_s(self) -> float:
        return self.total_tokens / self.wall_s if self.wall_s > 0 else float("nan")

    def time_share_s(self) -> dict[str, float]:
        """Wall time attributed to each spec in proportion to the rows it had in the shared forwards (specs share
        batches, so they cannot be timed separately)."""
        total = sum(self.row_steps.values())
        return {k: (self.wall_s * v / total if total else 0.0) for k, v in self.row_steps.items()}

    def as_dict(self) -> dict:
        return {
            "time_share_s": self.time_share_s(),
            "rows_per_token": dict(self.rows_per_token),
            "tokens": dict(self.tokens),
            "row_steps": dict(self.row_steps),
            "forward_calls": self.forward_calls,
            "batches": self.batches,
            "prefill_tokens": self.prefill_tokens,
            "padded_prefill_tokens": self.padded_prefill_tokens,
            "wall_s": self.wall_s,
            "total_tokens": self.total_tokens,
            "tokens_per_s": self.tokens_per_s,
            "framing": list(self.framing),
        }


# ----------------------------------------------------------------------------------------------- helpers
def sample_seed(seed: int, prompt_id: int, sample: int, model: str | None = None) -> int:
    """Stable 63-bit seed of the sampling noise of one (prompt, sample): the same for every model (common random
    numbers), so two models whose next-token distributions agree pick the same token. With ``model`` (noise
    "per_model") each model gets its own noise instead."""
    key = f"{int(seed)}\x00{int(prompt_id)}\x00{int(sample)}" + (f"\x00{model}" if model is not None else "")
    h = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(h[:8], "little") & ((1 << 63) - 1)


def sample_uniforms(seed: int, prompt_id: int, sample: int, steps: int, model: str | None = None) -> torch.Tensor:
    """The uniforms of one (prompt, sample), one per decoding step (float64). The first k of them do not depend
    on ``steps``, nor on how many samples a prompt gets."""
    g = torch.Generator()
    g.manual_seed(sample_seed(seed, prompt_id, sample, model))
    return torch.rand(steps, generator=g, dtype=torch.float64)


def top_p_filter(logits: torch.Tensor, top_p: float, *, sort: str = "auto") -> torch.Tensor:
    """Nucleus filter as in DExperts / HF ``top_k_top_p_filtering``: in descending order of probability, drop a
    token when the cumulative probability of the tokens before it exceeds ``top_p`` (so the top token always
    stays); dropped tokens get -inf.  Returns a new tensor (rows = leading dims, vocabulary = last dim).

    Computed as a threshold: with ``m`` the number of tokens that rule keeps, every token whose probability is at
    least the ``m``-th largest is kept (tokens tied exactly with it all stay, where a sort would keep an arbitrary
    subset of them).  ``sort``: "numpy" sorts the probabilities with numpy (on CPU about 30x faster than
    ``torch.sort`` for LM vocabularies, measured), "torch" with ``torch.sort``; "auto" = numpy for CPU tensors.
    """
    if top_p >= 1.0:
        return logits.clone()
    shape = logits.shape
    z = logits.reshape(-1, shape[-1])
    p = torch.softmax(z.float(), dim=-1)
    if sort == "auto":
        sort = "numpy" if p.device.type == "cpu" else "torch"
    if sort == "numpy":
        ps = torch.from_numpy(np.flip(np.sort(p.detach().cpu().numpy(), axis=-1), axis=-1).copy())
        ps = ps.to(p.device)
    elif sort == "torch":
        ps = torch.sort(p, dim=-1, descending=True).values
    else:
        raise ValueError(f"sort must be 'auto', 'numpy' or 'torch', got {sort!r}")
    before = ps.cumsum(-1) - ps                                  # mass of the tokens ranked before each one
    m = (before <= top_p).sum(-1, keepdim=True).clamp_(min=1)   # tokens kept (nondecreasing `before`)
    threshold = ps.gather(-1, m - 1)
    out = z.masked_fill(p < threshold, float("-inf"))
    return out.reshape(shape)


def _make_cache(model, reserve: int):
    """A ``DynamicCache`` whose full-attention layers preallocate ``prompt length + reserve`` positions."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    cache = DynamicCache(config=model.config)
    if not cache.layers or any(type(layer) is not DynamicLayer for layer in cache.layers):
        return cache
    cache.layers = [_BufferedLayer(reserve) for _ in cache.layers]
    return cache


@functools.cache
def _buffered_layer_class():
    """``DynamicLayer`` that writes into a preallocated buffer (grown by doubling) instead of concatenating the
    whole cache at every step; returns views of the filled part."""
    from transformers.cache_utils import DynamicLayer

    class BufferedLayer(DynamicLayer):
        def __init__(self, reserve: int):
            super().__init__()
            self.reserve = reserve
            self.length = 0

        def lazy_initialization(self, key_states, value_states):
            self.device = key_states.device
            self.is_initialized = True

        def _alloc(self, like, capacity):
            return like.new_empty((like.shape[0], like.shape[1], capacity, like.shape[3]))

        def update(self, key_states, value_states, *args, **kwargs):
            q = key_states.shape[-2]
            if not self.is_initialized:
                self.lazy_initialization(key_states, value_states)
                cap = q + self.reserve
                self._k = self._alloc(key_states, cap)
                self._v = self._alloc(value_states, cap)
                self.length = 0
            if self.length + q > self._k.shape[2]:  # out of room: grow
                cap = max(2 * self._k.shape[2], self.length + q)
                k, v = self._alloc(self._k, cap), self._alloc(self._v, cap)
                k[:, :, : self.length] = self._k[:, :, : self.length]
                v[:, :, : self.length] = self._v[:, :, : self.length]
                self._k, self._v = k, v
            self._k[:, :, self.length: self.length + q] = key_states
            self._v[:, :, self.length: self.length + q] = value_states
            self.length += q
            self.keys = self._k[:, :, : self.length]
            self.values = self._v[:, :, : self.length]
            return self.keys, self.values

        def get_seq_length(self) -> int:
            return self.length if self.is_initialized else 0

        def crop(self, tokens_to_remove: int) -> None:
            raise NotImplementedError

        def batch_repeat_interleave(self, repeats: int) -> None:
            raise NotImplementedError

        def reorder_cache(self, beam_idx):
            self.batch_select_indices(beam_idx)

        def batch_select_indices(self, indices) -> None:
            if self.is_initialized:
                self._k = self._k.index_select(0, indices)
                self._v = self._v.index_select(0, indices)
                self.keys = self._k[:, :, : self.length]
                self.values = self._v[:, :, : self.length]

        def reset(self) -> None:
            self.keys = self.values = None
            self.is_initialized = False
            self.length = 0

    return BufferedLayer


def _BufferedLayer(reserve: int):
    return _buffered_layer_class()(reserve)


def _eos_ids(model, tokenizer, eos_token_ids) -> list[int]:
    if eos_token_ids is not None:
        ids = [eos_token_ids] if isinstance(eos_token_ids, int) else list(eos_token_ids)
        return sorted({int(i) for i in ids})
    ids = set()
    if getattr(tokenizer, "eos_token_id", None) is not None:
        ids.add(int(tokenizer.eos_token_id))
    gc = getattr(model, "generation_config", None)
    e = getattr(gc, "eos_token_id", None) if gc is not None else None
    if e is not None:
        ids.update(int(i) for i in ([e] if isinstance(e, int) else e))
    return sorted(ids)


class _Tokens:
    """The ids of one forward row: ``prefix + " " + prompt`` with a leading bos where the tokenizer puts one, no eos;
    for a chat row (the prompted model) that text as the user's message through the tokenizer's own chat template
    with the assistant's turn opened, where the tokenizer has a template (the tiny world's has none: plain text).
    Tokenised once per distinct (prefix, chat, prompt)."""

    def __init__(self, tokenizer, prompts: Sequence[str]):
        self.tok = tokenizer
        self.prompts = prompts
        self.bos = int(tokenizer.bos_token_id) if adds_bos(tokenizer) else None
        self.template = getattr(tokenizer, "chat_template", None) is not None
        self._cache: dict[tuple[str, bool, int], list[int]] = {}

    def _encode_many(self, texts: list[str], chat: bool) -> list[list[int]]:
        if chat and self.template:
            return [[int(i) for i in self.tok.apply_chat_template([{"role": "user", "content": t}],
                                                                  add_generation_prompt=True, tokenize=True,
                                                                  return_dict=True)["input_ids"]]
                    for t in texts]
        enc = self.tok(texts, add_special_tokens=False)["input_ids"]
        head = [self.bos] if self.bos is not None else []
        return [head + [int(i) for i in ids] for ids in enc]

    def prepare(self, rows: Iterable[tuple[str, bool]]) -> None:
        for prefix, chat in rows:
            todo = [i for i in range(len(self.prompts)) if (prefix, chat, i) not in self._cache]
            if not todo:
                continue
            texts = [self.prompts[i] if prefix == "" else f"{prefix} {self.prompts[i]}" for i in todo]
            for i, ids in zip(todo, self._encode_many(texts, chat)):
                if not ids:
                    raise ValueError(f"prompt {i} with prefix {prefix!r} tokenises to nothing (and no bos token)")
                self._cache[(prefix, chat, i)] = ids

    def __call__(self, prefix: str, prompt_id: int, chat: bool = False) -> list[int]:
        return self._cache[(prefix, chat, prompt_id)]


# ----------------------------------------------------------------------------------------------- engine
@dataclass(slots=True)
class _Unit:
    """One sample: (spec, prompt, sample index) -> its component rows."""

    spec: int
    prompt_id: int
    sample: int
    length: int  # longest row


def _forward(model, input_ids, attention_mask, position_ids, cache):
    out = model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                cache=cache, use_cache=True, logits_to_keep=1)
    return out.logits[:, -1, :].float()


def generate(
    model,
    tokenizer,
    recipes: Mapping[str, Recipe],
    prompts: Sequence[str],
    *,
    samples_per_prompt: int,
    sampling: SamplingConfig,
    seed: int,
    progress: bool = True,
    stats: GenerationStats | None = None,
    eos_token_ids: int | Sequence[int] | None = None,
) -> dict[str, list[dict]]:
    """Generate ``samples_per_prompt`` continuations of every prompt for every spec.

    Returns ``{spec: [{"prompt_id", "sample", "prompt", "continuation"}, ...]}`` ordered by prompt then sample.
    ``continuation`` is the decoded text of the new tokens up to (excluding) the first eos, special tokens skipped.
    Pass a :class:`GenerationStats` as ``stats`` to get pass counts and throughput.
    """
    if samples_per_prompt < 1:
        raise ValueError("samples_per_prompt must be >= 1")
    spec_names = list(recipes)
    prompts = list(prompts)
    if stats is None:
        stats = GenerationStats()
    stats.rows_per_token.update(count_forward_passes(recipes))
    for n in spec_names:
        stats.tokens.setdefault(n, 0)
        stats.row_steps.setdefault(n, 0)
    results: dict[str, list[dict]] = {n: [] for n in spec_names}
    if not prompts or not spec_names:
        return results

    t_start = time.perf_counter()
    bank = get_bank(model)
    K = len(bank) if bank is not None else 0
    device = next(model.parameters()).device
    eos = _eos_ids(model, tokenizer, eos_token_ids)
    eos_t = torch.tensor(eos, dtype=torch.long, device=device)
    pad_id = tokenizer.pad_token_id
    if pad_id is None:
        pad_id = eos[0] if eos else 0

    # ---- per-spec row descriptions
    toks = _Tokens(tokenizer, prompts)
    spec_rows = _spec_rows(recipes, spec_names, bank, toks)
    stats.framing = [{"prefix": prefix, "chat": chat, "ids": toks(prefix, 0, chat)}
                     for prefix, chat in sorted({(c.prefix, c.chat) for r in recipes.values() for c in r.components})]

    # ---- sample units, grouped by the set of adapters they use (so that a batch computes few LoRA columns),
    #      then sorted by length (so that batches need little padding).  The order does not affect results.
    sig_rank: dict[tuple, int] = {}
    spec_sig = []
    for rows in spec_rows:
        sig = tuple(sorted({int(k) for _, c, _, _ in rows if c is not None for k in c.nonzero().flatten()}))
        spec_sig.append(sig_rank.setdefault(sig, len(sig_rank)))
    units = []
    for s, rows in enumerate(spec_rows):
        for p in range(len(prompts)):
            length = max(len(toks(prefix, p, chat)) for (prefix, chat), *_ in rows)
            for j in range(samples_per_prompt):
                units.append(_Unit(s, p, j, length))
    order = sorted(range(len(units)), key=lambda i: (spec_sig[units[i].spec], units[i].length))
    batches: list[list[_Unit]] = []
    cur, cur_rows = [], 0
    for i in order:
        u = units[i]
        n = len(spec_rows[u.spec])
        if cur and cur_rows + n > sampling.batch_rows:
            batches.append(cur)
            cur, cur_rows = [], 0
        cur.append(u)
        cur_rows += n
    if cur:
        batches.append(cur)

    generated: dict[tuple[int, int, int], list[int]] = {}
    was_training = model.training
    model.eval()
    it = tqdm(batches, desc="generate", unit="batch", disable=not progress)
    try:
        with torch.inference_mode():
            for batch in it:
                out_tokens = _run_batch(model, batch, spec_rows, spec_names, toks, K, seed, sampling, eos_t,
                                        pad_id, device, stats, samples_per_prompt)
                for u, ids in zip(batch, out_tokens):
                    generated[(u.spec, u.prompt_id, u.sample)] = ids
                stats.batches += 1
    finally:
        set_row_weights(model, None)
        if was_training:
            model.train()

    # ---- decode: continuation = decode(prompt + new) minus decode(prompt), so leading spaces survive
    keys = [(s, p, j) for s in range(len(spec_names)) for p in range(len(prompts)) for j in range(samples_per_prompt)]
    prompt_ids = [toks("", p) for p in range(len(prompts))]
    prompt_txt = tokenizer.batch_decode(prompt_ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)
    full = tokenizer.batch_decode([prompt_ids[p] + generated[(s, p, j)] for s, p, j in keys],
                                  skip_special_tokens=True, clean_up_tokenization_spaces=False)
    alone = tokenizer.batch_decode([generated[k] for k in keys], skip_special_tokens=True,
                                   clean_up_tokenization_spaces=False)
    for (s, p, j), f, a in zip(keys, full, alone):
        pre = prompt_txt[p]
        cont = f[len(pre):] if f.startswith(pre) else a
        results[spec_names[s]].append({"prompt_id": p, "sample": j, "prompt": prompts[p], "continuation": cont})
    stats.wall_s += time.perf_counter() - t_start
    return results


def next_token_logits(model, tokenizer, recipes: Mapping[str, Recipe], prompts: Sequence[str]
                      ) -> dict[str, torch.Tensor]:
    """Combined next-token logits ``sum_c logit_weight_c * z_c`` (component filters applied; before the sampling
    temperature/top-p) of every spec after each prompt: ``{spec: (len(prompts), vocab)}``.  Uses the same row
    building, batched forward and combination code as :func:`generate` (one batch)."""
    from transformers import DynamicCache

    spec_names = list(recipes)
    prompts = list(prompts)
    bank = get_bank(model)
    K = len(bank) if bank is not None else 0
    device = next(model.parameters()).device
    toks = _Tokens(tokenizer, prompts)
    spec_rows = _spec_rows(recipes, spec_names, bank, toks)
    batch = [_Unit(s, p, 0, 0) for s in range(len(spec_names)) for p in range(len(prompts))]
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            rb = _build_rows(batch, spec_rows, toks, K, pad_id, device)
            set_row_weights(model, rb.coeff)
            logits = _forward(model, rb.input_ids, rb.attn, rb.position_ids, DynamicCache(config=model.config))
            comb = _combine(logits, rb.row_unit, rb.row_w, _topp_groups(rb.row_topp, device), len(batch),
                            rb.trivial)
    finally:
        set_row_weights(model, None)
        if was_training:
            model.train()
    comb = comb.view(len(spec_names), len(prompts), -1)
    return {name: comb[i].clone() for i, name in enumerate(spec_names)}


def _spec_rows(recipes, spec_names, bank, toks) -> list[list[tuple]]:
    """Per spec: [((prefix, chat), coeff (K,) or None, logit_weight, top_p)] for its components; tokenises the
    rows."""
    toks.prepare({(c.prefix, c.chat) for r in recipes.values() for c in r.components} | {("", False)})
    spec_rows = []
    for name in spec_names:
        rows = []
        for c in recipes[name].components:
            rows.append(((c.prefix, c.chat), component_coeff(c, bank, name), c.logit_weight, c.top_p))
        spec_rows.append(rows)
    return spec_rows


def _run_batch(model, batch, spec_rows, spec_names, toks, K, seed, sampling, eos_t, pad_id, device, stats,
               samples_per_prompt) -> list[list[int]]:
    T = sampling.max_new_tokens
    n_units = len(batch)

    rb = _build_rows(batch, spec_rows, toks, K, pad_id, device)
    N, L = rb.input_ids.shape
    attn, row_unit_t, row_w_t, row_topp, coeff_mat = rb.attn, rb.row_unit, rb.row_w, rb.row_topp, rb.coeff
    next_pos = attn.sum(-1, keepdim=True)  # position of the first new token
    trivial = rb.trivial
    topp_groups = _topp_groups(row_topp, device)

    # ---- sampling noise: one uniform per (unit, step), from the (prompt, sample) generator: common random
    #      numbers, the same for every spec
    U = torch.empty((n_units, T), dtype=torch.float64)
    noise_cache: dict[tuple[int, int], torch.Tensor] = {}
    per_model = sampling.noise == "per_model"
    for ui, u in enumerate(batch):
        key = (u.spec if per_model else -1, u.prompt_id, u.sample)
        if key not in noise_cache:
            model_name = spec_names[u.spec] if per_model else None
            noise_cache[key] = sample_uniforms(seed, u.prompt_id, u.sample, T, model_name)
        U[ui] = noise_cache[key]
    U = U.to(device)

    # ---- prefill
    cache = _make_cache(model, T)
    set_row_weights(model, coeff_mat)
    logits = _forward(model, rb.input_ids, attn, rb.position_ids, cache)
    stats.forward_calls += 1
    stats.prefill_tokens += int(attn.sum())
    stats.padded_prefill_tokens += N * L
    rows_per_spec = torch.tensor([len(r) for r in spec_rows], dtype=torch.long)
    unit_spec = torch.tensor([u.spec for u in batch], dtype=torch.long)

    tok_count = torch.zeros(len(spec_rows), dtype=torch.long)
    out = torch.full((n_units, T), -1, dtype=torch.long, device=device)
    unit_idx = torch.arange(n_units, device=device)        # batch unit index of each live unit
    finished = torch.zeros(n_units, dtype=torch.bool, device=device)  # over live units
    n_live = n_units
    for t in range(T):
        comb = _combine(logits, row_unit_t, row_w_t, topp_groups, n_live, trivial)
        if t < sampling.min_new_tokens and eos_t.numel():
            comb[:, eos_t] = float("-inf")     # comb is this step's own tensor (logits are recomputed each step)
        u_t = U[unit_idx, t]
        nxt = _sample(comb, sampling.temperature, sampling.top_p, u_t)
        nxt = torch.where(finished, torch.full_like(nxt, pad_id), nxt)
        live_cpu = (~finished).cpu()
        out[unit_idx[~finished], t] = nxt[~finished]
        # stats: tokens and row-steps per spec
        tok_count += torch.bincount(unit_spec[unit_idx.cpu()][live_cpu], minlength=len(spec_rows))
        if eos_t.numel():
            finished = finished | torch.isin(nxt, eos_t)
        if bool(finished.all()) or t == T - 1:
            break

        # drop finished samples from the batch once they are a quarter of it
        n_fin = int(finished.sum())
        if n_fin and n_fin * 4 >= n_live:
            keep_units = (~finished).nonzero().flatten()
            remap = torch.full((n_live,), -1, dtype=torch.long, device=device)
            remap[keep_units] = torch.arange(keep_units.numel(), device=device)
            keep_rows = (~finished[row_unit_t]).nonzero().flatten()
            cache.batch_select_indices(keep_rows)
            attn = attn[keep_rows]
            next_pos = next_pos[keep_rows]
            row_unit_t = remap[row_unit_t[keep_rows]]
            row_w_t = row_w_t[keep_rows]
            keep_rows_cpu = keep_rows.cpu().tolist()
            row_topp = [row_topp[i] for i in keep_rows_cpu]
            topp_groups = _topp_groups(row_topp, device)
            if coeff_mat is not None:
                coeff_mat = coeff_mat[keep_rows]
                set_row_weights(model, coeff_mat)
            unit_idx = unit_idx[keep_units]
            nxt = nxt[keep_units]
            finished = finished[keep_units]
            n_live = keep_units.numel()

        step_ids = nxt[row_unit_t].unsqueeze(1)
        attn = torch.cat([attn, torch.ones_like(attn[:, :1])], dim=1)
        logits = _forward(model, step_ids, attn, next_pos, cache)
        next_pos = next_pos + 1
        stats.forward_calls += 1

    set_row_weights(model, None)
    for si in tok_count.nonzero().flatten().tolist():
        stats.tokens[spec_names[si]] += int(tok_count[si])
        stats.row_steps[spec_names[si]] += int(tok_count[si]) * int(rows_per_spec[si])
    out = out.cpu()
    eos_set = set(eos_t.cpu().tolist())
    result = []
    for ui in range(n_units):
        ids = []
        for tok in out[ui].tolist():
            if tok < 0 or tok in eos_set:
                break
            ids.append(tok)
        result.append(ids)
    return result


@dataclass
class _Rows:
    input_ids: torch.Tensor     # (N, L) left padded
    attn: torch.Tensor          # (N, L)
    position_ids: torch.Tensor  # (N, L)
    row_unit: torch.Tensor      # (N,) unit of each row
    row_w: torch.Tensor         # (N,) logit weight
    row_topp: list              # per row: component top_p or None
    coeff: torch.Tensor | None  # (N, K) adapter weights, None if all rows are the base model
    trivial: bool               # one row per unit with weight 1 and no filter


def _build_rows(batch, spec_rows, toks, K, pad_id, device) -> _Rows:
    row_ids, row_unit, row_w, row_topp, coeffs = [], [], [], [], []
    any_coeff = False
    for ui, u in enumerate(batch):
        for (prefix, chat), coeff, w, tp in spec_rows[u.spec]:
            row_ids.append(toks(prefix, u.prompt_id, chat))
            row_unit.append(ui)
            row_w.append(w)
            row_topp.append(tp)
            coeffs.append(coeff)
            any_coeff |= coeff is not None
    N = len(row_ids)
    L = max(len(r) for r in row_ids)
    input_ids = torch.full((N, L), pad_id, dtype=torch.long)
    attn = torch.zeros((N, L), dtype=torch.long)
    for i, ids in enumerate(row_ids):
        input_ids[i, L - len(ids):] = torch.tensor(ids, dtype=torch.long)
        attn[i, L - len(ids):] = 1
    input_ids, attn = input_ids.to(device), attn.to(device)
    position_ids = (attn.cumsum(-1) - 1).clamp_(min=0)
    coeff_mat = None
    if any_coeff:
        coeff_mat = torch.stack([c if c is not None else torch.zeros(K) for c in coeffs]).to(device)
    trivial = N == len(batch) and all(w == 1.0 for w in row_w) and all(tp is None for tp in row_topp)
    return _Rows(input_ids, attn, position_ids,
                 torch.tensor(row_unit, dtype=torch.long, device=device),
                 torch.tensor(row_w, dtype=torch.float32, device=device),
                 row_topp, coeff_mat, trivial)


def _combine(logits, row_unit, row_w, topp_groups, n_units, trivial) -> torch.Tensor:
    """Per unit: sum over its rows of logit_weight * (top-p filtered) logits; -inf from a filter stays -inf."""
    z = logits
    for tp, idx in topp_groups:
        if z is logits:
            z = z.clone()
        z[idx] = top_p_filter(z[idx], tp)
    if trivial:
        return z
    neg_inf = torch.isneginf(z)
    zw = torch.where(neg_inf, torch.zeros((), dtype=z.dtype, device=z.device), z) * row_w[:, None]
    comb = torch.zeros((n_units, z.shape[1]), dtype=z.dtype, device=z.device).index_add_(0, row_unit, zw)
    if topp_groups:
        blocked = torch.zeros((n_units, z.shape[1]), dtype=torch.float32, device=z.device)
        blocked.index_add_(0, row_unit, neg_inf.float())
        comb = comb.masked_fill(blocked > 0, float("-inf"))
    return comb


def _topp_groups(row_topp, device) -> list[tuple[float, torch.Tensor]]:
    groups: dict[float, list[int]] = {}
    for i, tp in enumerate(row_topp):
        if tp is not None and tp < 1.0:
            groups.setdefault(tp, []).append(i)
    return [(tp, torch.tensor(idx, dtype=torch.long, device=device)) for tp, idx in groups.items()]


def _sample(logits: torch.Tensor, temperature: float, top_p: float, u: torch.Tensor) -> torch.Tensor:
    """Token per row: argmax if temperature == 0, else inverse-CDF sampling (vocabulary order) with uniforms u."""
    if temperature == 0:
        return logits.argmax(-1)
    z = logits / temperature if temperature != 1.0 else logits
    if top_p < 1.0:
        z = top_p_filter(z, top_p)
    probs = torch.softmax(z.double(), dim=-1)
    cdf = probs.cumsum(-1)
    target = (u.to(cdf.dtype) * cdf[:, -1]).unsqueeze(1)
    idx = torch.searchsorted(cdf, target, right=True).squeeze(1)
    return idx.clamp_(max=logits.shape[1] - 1)
