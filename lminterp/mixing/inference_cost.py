"""What each method costs at inference (paper Table 4), measured on the real generation code path.

For N = 1 and N = 2 controlled attributes and each method (weight interpolation, DExperts, model arithmetic):

- **anchors**: the adapters its recipe loads (fine-tuned anchors; model arithmetic loads none, it conditions the
  base model on system prompts);
- **forward rows per generated token**, *counted*: a forward pre-hook on the model records the batch rows of
  every decoding forward while the method generates one sample alone, so each decoding forward serves exactly one
  token of one sequence (expected 1 for interpolation, 2N + 1 for DExperts and model arithmetic); the generation
  engine's own bookkeeping (``GenerationStats.rows_per_token``) is reported beside it as a cross-check;
- **tokens per second**: the method alone generating at least ``sequences`` sequences (every prompt, equally many
  samples each) in one batched run, best of ``repeats`` runs (wall time is noisy on shared machines; the table
  says so). With a batch as small as the tiny world's 36 sequences the per-call overhead of the small model hides
  the difference in rows (at 36 sequences weight interpolation was 3.5x DExperts' speed at N = 2, at 96
  sequences 4.2x; 2N + 1 = 5).

Raw-strength baselines (``dexperts-raw``, ``arith-raw``) stand for the scaled ones: the scaling changes only the
weights, never the rows.

**The limit** (``merged``): each interpolated model again with its mixture merged into the base weights
(``theta_pre + sum_k w_k s_k B_k A_k``, `merged_state_dict`) and no adapter bank: one plain forward per token, what
weight interpolation costs at best. Timed in the same rounds. A quantized base (the paper world's NF4) cannot be
merged exactly: no merged row there.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Mapping, Sequence

from lminterp import specs as S

METHODS = ("interp", "dexperts-raw", "arith-raw")
TABLE_METHOD = {"interp": "interp", "dexperts-raw": "dexperts", "arith-raw": "arith"}


def cost_specs(attributes: Sequence[str]) -> dict[tuple[str, int], S.Spec]:
    """The measured models: per method and N in {1, 2}, the first N attributes at alpha 1 (raw strength 1),
    lambda 1 / N."""
    attributes = list(attributes)
    out = {}
    for n in (1, 2):
        chosen = attributes[:n]
        for method in METHODS:
            out[(method, n)] = S.make(method, attributes, *((a, 1.0, 1.0 / n) for a in chosen))
    return out


def _count_decode_rows(model):
    """A forward pre-hook collecting the batch rows of every decoding forward (one new token per row)."""
    rows: list[int] = []

    def hook(module, args, kwargs):
        ids = kwargs.get("input_ids", args[0] if args else None)
        if ids is not None and ids.shape[1] == 1:
            rows.append(int(ids.shape[0]))

    return rows, model.register_forward_pre_hook(hook, with_kwargs=True)


MERGED = "merged"


def merged_name(name: str) -> str:
    """The key of `name`'s merged twin in `measure`'s result."""
    return f"{name}+{MERGED}"


def merged_model(model, recipe):
    """A copy of `model` (an adapter bank attached) whose weights are the base's with the one-component weight
    `recipe` merged in, the bank detached: the same model as one plain network. None where the base's weights are
    not floating point (quantized)."""
    from lminterp.mixing.layers import detach_bank, get_bank, merged_state_dict

    (component,) = recipe.components
    bank = get_bank(model)
    try:
        state = merged_state_dict(model, bank, dict(component.adapter_weights))
    except TypeError:
        return None
    plain = copy.deepcopy(model)
    detach_bank(plain)
    plain.load_state_dict(state)
    return plain


def measure(model, tokenizer, recipes: Mapping[str, object], prompts: Sequence[str], *, sampling, seed: int,
            sequences: int = 96, repeats: int = 2, merged: Sequence[str] = ()) -> dict[str, dict]:
    """Per spec name: counted rows per generated token, the engine's count, generated tokens and tokens/s (timed on
    at least ``sequences`` sequences: every prompt, enough samples each). For each name in `merged` (weight
    interpolation specs) also ``merged_name(name)``: the same model merged into the weights (`merged_model`), unless
    the base cannot be merged."""
    samples_per_prompt = -(-int(sequences) // len(prompts))
    from lminterp.mixing.generation import GenerationStats, generate
    from lminterp.mixing.recipes import weight_recipe

    runs = {name: (model, recipe) for name, recipe in recipes.items()}
    for name in merged:
        plain = merged_model(model, recipes[name])
        if plain is not None:
            runs[merged_name(name)] = (plain, weight_recipe({}))
    counted = {}
    for name, (model, recipe) in runs.items():
        rows, handle = _count_decode_rows(model)
        stats = GenerationStats()
        try:
            generate(model, tokenizer, {name: recipe}, prompts[:1], samples_per_prompt=1, sampling=sampling,
                     seed=seed, progress=False, stats=stats)
        finally:
            handle.remove()
        if not rows:
            raise RuntimeError(f"{name}: no decoding forward was observed (max_new_tokens too small?)")
        counted[name] = (rows, stats)
    # Timed round-robin, best of `repeats` per method: every method is timed in each round, so a spell of load from
    # the other jobs on the machine slows all of them alike instead of one method's whole measurement.
    best: dict[str, tuple[float, int]] = {}
    for _ in range(repeats):
        for name, (model, recipe) in runs.items():
            timed = GenerationStats()
            t0 = time.perf_counter()
            generate(model, tokenizer, {name: recipe}, prompts, samples_per_prompt=samples_per_prompt,
                     sampling=sampling, seed=seed, progress=False, stats=timed)
            wall = time.perf_counter() - t0
            if name not in best or wall < best[name][0]:
                best[name] = (wall, timed.total_tokens)
    out = {}
    for name, (_, recipe) in runs.items():
        rows, stats = counted[name]
        wall, tokens = best[name]
        out[name] = {"rows_per_token_counted": sum(rows) / len(rows), "decode_forwards": len(rows),
                     "rows_per_token_engine": stats.rows_per_token.get(name),
                     "anchors": sorted({a for c in recipe.components for a, _ in c.adapter_weights}),
                     "tokens": tokens, "seconds": wall, "tokens_per_s": tokens / wall}
    return out
