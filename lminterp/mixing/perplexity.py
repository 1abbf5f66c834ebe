"""Sliding-window perplexity of interpolated models, DExperts and model arithmetic on one held-out text.

The text is tokenised once (with a leading bos when the tokenizer adds one, see ``add_bos``) and scored with the
sliding-window method of the Hugging Face perplexity guide (``docs/transformers/perplexity``):

    prev_end = 0
    for begin in range(0, n, stride):
        end = min(begin + max_length, n)
        window = tokens[begin:end]; score its last (end - prev_end) tokens, each given the window tokens before it
        prev_end = end
        if end == n: break

Every token is scored exactly once, by the first window that contains it, with the context that window gives it
(at least ``max_length - stride`` tokens, except near the start of the text).  A token needs at least one token of
context, so the first token of the text (the bos) is never a target, and with disjoint windows
(``stride == max_length``) neither is the first token of each window (as in the guide, whose label shift drops it).
``stride > max_length`` would skip tokens and is rejected.  The result is weighted by scored tokens:
``perplexity = exp(sum of token NLLs / number of scored tokens)`` -- not a mean of per-window losses.

A spec is a :class:`~lminterp.mixing.recipes.Recipe`; its next-token distribution at every scored position is
``log_softmax(sum_c logit_weight_c * z_c)`` where ``z_c`` are the logits of component ``c`` evaluated on its own row:

* a component without ``prefix``: the window tokens;
* a component with a ``prefix`` (model arithmetic's system prompt): ``[bos] + prefix tokens + window tokens``
  (prefix tokenised without special tokens; the bos only if the text got one; a window starting at 0 contributes
  its tokens without its own bos, so the row of the first window is ``[bos] + prefix + text[1:end]``).  The prefix
  tokens are context only, never scored, and every row of a window scores the same text tokens.  For
  Metaspace/SentencePiece tokenizers (Llama, the tiny world's BPE) ``prefix tokens + text tokens`` is the
  tokenisation of ``prefix + " " + text``, i.e. the same conditioning as in generation.

**A component's** ``top_p`` **(the DExperts base-model nucleus filter) is not applied here.**  The filter gives the
true next token zero probability whenever it falls outside the base model's nucleus, which happens for some
tokens of any real text and makes the perplexity infinite; DExperts' perplexity is therefore that of the unfiltered
combination ``z_base + a (z_expert - z_antiexpert)``.

Batching: distinct component rows (same prefix and same LoRA coefficient vector) are shared by all specs that use
them (DExperts / model-arithmetic specs that differ only in strength need their 3 rows once), and up to
``batch_windows`` windows x all distinct rows go through one forward pass, with per-row LoRA coefficients
(:func:`~lminterp.mixing.layers.set_row_weights`), left padding, attention mask and position ids.  Logits are taken in
float32, combined in float32 and the token NLLs summed in float64.
"""
from __future__ import annotations

import math
from typing import Mapping

import torch
from tqdm.auto import tqdm

from lminterp.data.tokens import adds_bos
from lminterp.mixing.layers import get_bank, set_row_weights
from lminterp.mixing.recipes import Recipe, component_coeff

__all__ = ["perplexity", "sliding_windows", "encode_text"]


def sliding_windows(n_tokens: int, max_length: int, stride: int) -> list[tuple[int, int, int]]:
    """The windows of the sliding-window method over ``n_tokens`` tokens: ``[(begin, end, first_scored)]``.

    Window ``tokens[begin:end]`` scores tokens ``first_scored .. end-1`` (possibly none, when a final disjoint
    window holds a single token); ``first_scored = max(previous end, begin + 1)``.
    """
    _check_lengths(max_length, stride)
    max_length, stride = int(max_length), int(stride)
    out = []
    prev_end = 0
    for begin in range(0, max(int(n_tokens), 1), stride):
        end = min(begin + max_length, n_tokens)
        out.append((begin, end, max(prev_end, begin + 1)))
        prev_end = end
        if end >= n_tokens:
            break
    return out


def _check_lengths(max_length, stride) -> None:
    if int(max_length) != max_length or int(stride) != stride:
        raise ValueError(f"max_length and stride must be integers, got {max_length!r}, {stride!r}")
    if max_length < 2:
        raise ValueError(f"max_length must be >= 2 (a window needs a context token and a target), got {max_length}")
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    if stride > max_length:
        raise ValueError(f"stride ({stride}) must not exceed max_length ({max_length}): the tokens between "
                         f"consecutive windows would never be scored")


def encode_text(tokenizer, text: str, add_bos: bool | None = None) -> tuple[list[int], bool]:
    """Token ids of ``text`` (no eos) and whether they start with an added bos.

    ``add_bos=None`` follows the tokenizer: a bos is prepended when ``tokenizer(text)`` adds one (Llama, the tiny
    world's tokenizer); True / False force it (True needs ``tokenizer.bos_token_id``).
    """
    ids = [int(i) for i in tokenizer(text, add_special_tokens=False)["input_ids"]]
    bos = getattr(tokenizer, "bos_token_id", None)
    if add_bos is None:
        add_bos = adds_bos(tokenizer)
    if add_bos:
        if bos is None:
            raise ValueError("add_bos=True but the tokenizer has no bos token")
        ids = [int(bos)] + ids
    return ids, bool(add_bos)


def perplexity(model, tokenizer, text: str, recipes: Mapping[str, Recipe], *, max_length: int, stride: int,
               batch_windows: int = 8, max_rows: int = 512, progress: bool = True,
               add_bos: bool | None = None) -> dict[str, dict]:
    """Sliding-window perplexity of every spec on ``text`` (see the module docstring for the exact definition).

    ``model``: a causal LM (a ``LlamaForCausalLM``), with an attached :class:`~lminterp.mixing.adapters.AdapterBank` when a
    recipe uses adapters.  ``max_length``: window length in tokens (prefix rows are longer by the prefix);
    ``stride``: window step, ``1 <= stride <= max_length``.  ``batch_windows``: windows per forward pass (each with
    one row per distinct component of all specs), fewer when that would exceed ``max_rows`` forward rows (at least one
window: a sweep of 432 models ran 2.4x slower per model in batches of 8 x 432 rows than of 1 x 432, and its
float32 logits would grow with the vocabulary).  Components' ``top_p`` is ignored (it would make perplexity
    infinite, see the module docstring).

    Returns ``{spec: {"perplexity": exp(nll_sum / n_scored_tokens), "nll_sum": float (nats),
    "n_scored_tokens": int, "n_windows": int, "window_nll": [nats per window], "window_tokens": [scored tokens per
    window]}}`` (the per-window numbers let a figure bootstrap over windows, `lminterp.evaluation.intervals`).
    """
    _check_lengths(max_length, stride)
    max_length, stride = int(max_length), int(stride)
    if batch_windows < 1 or max_rows < 1:
        raise ValueError("batch_windows and max_rows must be >= 1")
    spec_names = list(recipes)
    ids, has_bos = encode_text(tokenizer, text, add_bos)
    n = len(ids)
    if n < 2:
        raise ValueError(f"the text has {n} token(s); perplexity needs at least 2")
    windows = sliding_windows(n, max_length, stride)
    n_scored = sum(end - s0 for _, end, s0 in windows if end > s0)
    if not spec_names:
        return {}

    bank = get_bank(model)
    K = len(bank) if bank is not None else 0
    device = next(model.parameters()).device
    bos = int(tokenizer.bos_token_id) if has_bos else None

    # ---- distinct rows: (head tokens, strip the window's bos, coefficient vector or None)
    prefix_head: dict[str, tuple[int, ...]] = {}
    row_index: dict[tuple, int] = {}
    rows: list[tuple[tuple[int, ...], bool, torch.Tensor | None]] = []
    terms: list[dict[int, float]] = []
    for name in spec_names:
        recipe = recipes[name]
        if not isinstance(recipe, Recipe):
            raise TypeError(f"spec {name!r}: expected a Recipe, got {type(recipe).__name__}")
        t: dict[int, float] = {}
        for c in recipe.components:
            coeff = component_coeff(c, bank, name)
            if c.prefix:
                if c.prefix not in prefix_head:
                    p = [int(i) for i in tokenizer(c.prefix, add_special_tokens=False)["input_ids"]]
                    prefix_head[c.prefix] = tuple(([bos] if has_bos else []) + p)
                head, strip = prefix_head[c.prefix], has_bos
            else:
                head, strip = (), False
            key = (head, strip, None if coeff is None else tuple(coeff.tolist()))
            if key not in row_index:
                row_index[key] = len(rows)
                rows.append((head, strip, coeff))
            r = row_index[key]
            t[r] = t.get(r, 0.0) + c.logit_weight
        terms.append(t)
    S, R = len(spec_names), len(rows)
    W = torch.zeros((S, R), dtype=torch.float32)
    for s, t in enumerate(terms):
        for r, w in t.items():
            W[s, r] = w
    # every spec is one row with weight 1: select rows instead of a weighted sum
    select = None
    if all(len(t) == 1 and next(iter(t.values())) == 1.0 for t in terms):
        select = torch.tensor([next(iter(t)) for t in terms], dtype=torch.long, device=device)
        if S == R and bool((select == torch.arange(R, device=device)).all()):
            select = "all"
    W = W.to(device)
    any_coeff = any(c is not None for _, _, c in rows)
    row_coeff = None
    if any_coeff:
        row_coeff = torch.stack([c if c is not None else torch.zeros(K) for _, _, c in rows]).to(device)
    pad_id = tokenizer.pad_token_id
    if pad_id is None:
        pad_id = getattr(tokenizer, "eos_token_id", None) or 0

    # ---- windows with something to score, similar ones (scored count, length) together
    todo = [w for w in windows if w[1] > w[2]]
    todo.sort(key=lambda w: (-(w[1] - w[2]), -(w[1] - w[0])))
    per_batch = batch_windows if batch_windows * R <= max_rows else max(1, max_rows // R)
    batches = [todo[i:i + per_batch] for i in range(0, len(todo), per_batch)]
    ids_t = torch.tensor(ids, dtype=torch.long)

    window_index = {w: k for k, w in enumerate(windows)}
    window_nll = torch.zeros((len(windows), S), dtype=torch.float64)
    was_training = model.training
    model.eval()
    it = tqdm(batches, desc="perplexity", unit="batch", disable=not progress)
    try:
        with torch.inference_mode():
            for batch in it:
                got = _score_batch(model, batch, ids, ids_t, rows, row_coeff, W, select, pad_id, device).cpu()
                window_nll[[window_index[w] for w in batch]] = got
    finally:
        set_row_weights(model, None)
        if was_training:
            model.train()

    out = {}
    window_tokens = [max(end - s0, 0) for _, end, s0 in windows]
    nll = window_nll.sum(0).tolist()
    for s, name in enumerate(spec_names):
        out[name] = {
            "perplexity": math.exp(nll[s] / n_scored) if n_scored else float("nan"),
            "nll_sum": float(nll[s]),
            "n_scored_tokens": int(n_scored),
            "n_windows": len(windows),
            "window_nll": [round(x, 6) for x in window_nll[:, s].tolist()],
            "window_tokens": window_tokens,
        }
    return out


def _score_batch(model, batch, ids, ids_t, rows, row_coeff, W, select, pad_id, device) -> torch.Tensor:
    """Summed NLL per window and spec (B, S) float64 of the scored tokens of the windows in ``batch``."""
    B, R = len(batch), len(rows)
    seqs = []
    for begin, end, _ in batch:
        for head, strip, _ in rows:
            body = ids[begin + 1:end] if (strip and begin == 0) else ids[begin:end]
            seqs.append(list(head) + body)
    L = max(len(s) for s in seqs)
    input_ids = torch.full((B * R, L), pad_id, dtype=torch.long)
    attn = torch.zeros((B * R, L), dtype=torch.long)
    for i, s in enumerate(seqs):
        input_ids[i, L - len(s):] = torch.tensor(s, dtype=torch.long)
        attn[i, L - len(s):] = 1
    input_ids, attn = input_ids.to(device), attn.to(device)
    position_ids = (attn.cumsum(-1) - 1).clamp_(min=0)

    # every row ends with token end-1 at index L-1, so the logit predicting text token t sits at L-1-(end-t) in
    # every row of the window; keep the last `keep` positions, the last of which (predicting past `end`) is unused
    keep = max(end - s0 for _, end, s0 in batch) + 1
    set_row_weights(model, None if row_coeff is None else row_coeff.repeat(B, 1))
    out = model(input_ids=input_ids, attention_mask=attn, position_ids=position_ids, use_cache=False,
                logits_to_keep=keep)
    z = out.logits[:, :-1, :].float().view(B, R, keep - 1, -1)   # position j predicts token end - keep + 1 + j
    del out
    if select == "all":
        comb = z
    elif select is not None:
        comb = z.index_select(1, select)
    else:
        comb = torch.einsum("sr,brjv->bsjv", W, z)
    del z

    j = torch.arange(keep - 1)
    tgt_pos = torch.stack([end - keep + 1 + j for _, end, _ in batch])            # (B, keep-1) text positions
    valid = torch.stack([tgt_pos[b] >= s0 for b, (_, _, s0) in enumerate(batch)])
    targets = ids_t[tgt_pos.clamp(min=0)].to(device)
    valid = valid.to(device)
    S = comb.shape[1]
    lse = torch.logsumexp(comb, dim=-1)                                           # (B, S, keep-1)
    zt = comb.gather(-1, targets[:, None, :, None].expand(B, S, keep - 1, 1)).squeeze(-1)
    tok_nll = (lse - zt).double()
    tok_nll = torch.where(valid[:, None, :], tok_nll, torch.zeros((), dtype=tok_nll.dtype, device=device))
    return tok_nll.sum(dim=2)
