"""From a model spec to a generation recipe: which adapter mixtures and prompt prefixes are run, and
how their next-token logits are combined.

- interp: one forward pass with weights theta_pre + sum_i lambda_i [alpha_i dW(+i) + (1 - alpha_i) dW(-i)].
- dexperts: z = topp(z_base) + sum_i lambda_i r_i (z_{+i} - z_{-i}), experts = the anchors, base logits
  nucleus-filtered first (DExperts, Liu et al. 2021).
- arith: z = z_base + sum_i lambda_i r_i (z_{pos_i} - z_{neg_i}), the base model conditioned on each pole's
  system prompt (paper A.3), no base filter.
  With several attributes both baselines use the lambda-weighted sum of the single-attribute
  combinations, the logit-space analogue of weight interpolation's lambda-weighted average
  (sum_i lambda_i z^(i) with z^(i) = z_base + r_i (...), and sum_i lambda_i = 1); documented in paper/METHODS.md.
- r_i is the raw strength: the term's alpha for the ``-raw`` methods, and the alpha-scaling map
  raw_at_0 + alpha (raw_at_1 - raw_at_0) for scaled ``dexperts``/``arith``.
"""
from __future__ import annotations

from lminterp.generation import Component, Recipe
from lminterp.specs import Spec, anchor_name, gt_name


def raw_strength(spec: Spec, attribute: str, alpha: float, scaling: dict | None) -> float:
    if spec.method.endswith("-raw"):
        return alpha
    if scaling is None or attribute not in scaling:
        raise ValueError(f"{spec.name}: scaled alpha needs the {spec.method} alpha-scaling table for {attribute}")
    raw0, raw1 = scaling[attribute]
    return raw0 + alpha * (raw1 - raw0)


def recipe_for(spec: Spec, *, system_prompts: dict | None = None, dexperts_top_p: float = 0.9,
               scaling: dict | None = None) -> Recipe:
    """system_prompts: attribute -> {"0": str, "1": str}; scaling: attribute -> (raw_at_0, raw_at_1)."""
    m = spec.method
    if m == "base":
        return Recipe((Component(),))
    if m == "interp":
        weights = []
        for t in spec.terms:
            weights.append((anchor_name(t.attribute, 1), t.lam * t.alpha))
            weights.append((anchor_name(t.attribute, 0), t.lam * (1.0 - t.alpha)))
        return Recipe((Component(adapter_weights=tuple(weights)),))
    if m == "gt":
        (t,) = spec.terms
        return Recipe((Component(adapter_weights=((gt_name(t.attribute, t.alpha), 1.0),)),))
    if m in ("dexperts", "dexperts-raw"):
        comps = [Component(top_p=dexperts_top_p)]
        for t in spec.terms:
            w = t.lam * raw_strength(spec, t.attribute, t.alpha, scaling)
            comps.append(Component(adapter_weights=((anchor_name(t.attribute, 1), 1.0),), logit_weight=w))
            comps.append(Component(adapter_weights=((anchor_name(t.attribute, 0), 1.0),), logit_weight=-w))
        return Recipe(tuple(comps))
    if m in ("arith", "arith-raw"):
        if system_prompts is None:
            raise ValueError(f"{spec.name}: model arithmetic needs the attributes' system prompts")
        comps = [Component()]
        for t in spec.terms:
            w = t.lam * raw_strength(spec, t.attribute, t.alpha, scaling)
            comps.append(Component(prefix=system_prompts[t.attribute]["1"], logit_weight=w))
            comps.append(Component(prefix=system_prompts[t.attribute]["0"], logit_weight=-w))
        return Recipe(tuple(comps))
    raise ValueError(f"no recipe for method {m!r}")


def load_sweep(base_dir, adapters: dict, spec_names, *, attributes: dict, dexperts_top_p: float,
               scaling_csv=None):
    """What a sweep job needs, loaded once: the base model (with its adapter bank attached when the sweep
    uses adapters), its tokenizer, and one recipe per spec. `attributes` is the config's attribute mapping
    (for the system prompts); `scaling_csv` the baseline's alpha-scaling table, for scaled baselines."""
    import pandas as pd

    from lminterp.adapters import AdapterBank
    from lminterp.mixing import attach_bank
    from lminterp.pretrain import load_base_model
    from lminterp.specs import parse_spec

    model, tokenizer = load_base_model(base_dir)
    if adapters:
        attach_bank(model, AdapterBank.from_dirs(adapters))
    scaling = None
    if scaling_csv is not None:
        table = pd.read_csv(scaling_csv)
        scaling = {r.attribute: (r.raw_at_0, r.raw_at_1) for r in table.itertuples()}
    system_prompts = {a: d["system_prompts"] for a, d in attributes.items()}
    recipes = {name: recipe_for(parse_spec(name), system_prompts=system_prompts, dexperts_top_p=dexperts_top_p,
                                scaling=scaling) for name in spec_names}
    return model, tokenizer, recipes
