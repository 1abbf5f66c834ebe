"""What a model spec runs: its recipe of forward rows (adapter mixtures, prompt prefixes) and how their
next-token logits combine. Shared by generation (:mod:`lminterp.mixing.generation`) and perplexity
(:mod:`lminterp.mixing.perplexity`), so that editing the sampling engine reruns only generation.

A :class:`Recipe` is a list of :class:`Component` s, each one forward row per sample: the base model or a LoRA
mixture over the attached :class:`~lminterp.mixing.adapters.AdapterBank` (``adapter_weights``), optionally with a text
``prefix`` before the prompt. The next-token logits are ``sum_c logit_weight_c * z_c``, a component with ``top_p``
nucleus-filtered first.

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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Mapping

from lminterp.specs import Spec, anchor_name, gt_name

if TYPE_CHECKING:
    import torch

def _as_weights(w) -> tuple[tuple[str, float], ...]:
    if isinstance(w, Mapping):
        w = w.items()
    return tuple((str(k), float(v)) for k, v in w)


@dataclass(frozen=True)
class Component:
    """One forward row per sample.  ``adapter_weights`` = () is the base model."""

    adapter_weights: tuple[tuple[str, float], ...] = ()
    prefix: str = ""
    logit_weight: float = 1.0
    top_p: float | None = None
    chat: bool = False   # the prefix and prompt are the user's message in the model's chat template (the prompted model)

    def __post_init__(self):
        object.__setattr__(self, "adapter_weights", _as_weights(self.adapter_weights))
        object.__setattr__(self, "logit_weight", float(self.logit_weight))
        if self.top_p is not None:
            if not 0.0 < float(self.top_p) <= 1.0:
                raise ValueError(f"component top_p must be in (0, 1], got {self.top_p}")
            object.__setattr__(self, "top_p", float(self.top_p))


@dataclass(frozen=True)
class Recipe:
    components: tuple[Component, ...]

    def __post_init__(self):
        comps = tuple(self.components)
        if not comps:
            raise ValueError("a Recipe needs at least one component")
        if not all(isinstance(c, Component) for c in comps):
            raise TypeError("Recipe.components must be Component objects")
        object.__setattr__(self, "components", comps)

    @property
    def rows(self) -> int:
        """Forward rows per generated token (per sample)."""
        return len(self.components)


def weight_recipe(adapter_weights: Mapping[str, float] | Iterable[tuple[str, float]]) -> Recipe:
    """Weight interpolation/extrapolation: a single mixed model."""
    return Recipe((Component(adapter_weights=_as_weights(adapter_weights)),))


def dexperts_recipe(expert: Mapping[str, float], antiexpert: Mapping[str, float], alpha: float, *,
                    base_top_p: float | None = 0.9,
                    base: Mapping[str, float] = ()) -> Recipe:
    """DExperts: ``top_p(z_base) + alpha * (z_expert - z_antiexpert)``.

    ``expert`` / ``antiexpert`` are adapter weights (e.g. ``{"sentiment-1": 1.0}``).
    """
    return Recipe((
        Component(adapter_weights=_as_weights(base), top_p=base_top_p, logit_weight=1.0),
        Component(adapter_weights=_as_weights(expert), logit_weight=alpha),
        Component(adapter_weights=_as_weights(antiexpert), logit_weight=-alpha),
    ))


def model_arithmetic_recipe(pos_prefix: str, neg_prefix: str, alpha: float) -> Recipe:
    """Model arithmetic: ``z(prompt) + alpha * (z(pos_prefix + prompt) - z(neg_prefix + prompt))``."""
    return Recipe((
        Component(),
        Component(prefix=pos_prefix, logit_weight=alpha),
        Component(prefix=neg_prefix, logit_weight=-alpha),
    ))



def count_forward_passes(recipes: Mapping[str, Recipe]) -> dict[str, int]:
    """Forward rows (model evaluations) needed per generated token, per spec: 1 for an interpolated model,
    3 for one-attribute DExperts / model arithmetic."""
    return {name: r.rows for name, r in recipes.items()}


def component_coeff(component: Component, bank, spec_name: str) -> torch.Tensor | None:
    """The (K,) coefficient vector of a component over the attached bank, or None for the base model (no
    adapter, or only zero weights). Raises when the component uses adapters but no bank is attached."""
    if not component.adapter_weights or not any(w != 0 for _, w in component.adapter_weights):
        return None
    if bank is None:
        raise RuntimeError(f"spec {spec_name!r} uses adapters but no AdapterBank is attached to the model")
    coeff = bank.coeff_vector(component.adapter_weights)
    return coeff if bool(coeff.any()) else None


def raw_strength(spec: Spec, attribute: str, alpha: float, scaling: dict | None) -> float:
    if spec.method.endswith("-raw"):
        return alpha
    if scaling is None or attribute not in scaling:
        raise ValueError(f"{spec.name}: scaled alpha needs the {spec.method} alpha-scaling table for {attribute}")
    raw0, raw1 = scaling[attribute]
    return raw0 + alpha * (raw1 - raw0)


def recipe_for(spec: Spec, *, system_prompts: dict | None = None, dexperts_top_p: float = 0.9,
               scaling: dict | None = None, instruction: dict | None = None) -> Recipe:
    """system_prompts: attribute -> {"0": str, "1": str}; scaling: attribute -> (raw_at_0, raw_at_1);
    instruction: {"template": str, "class_names": attribute -> [class 0, class 1]} (the prompted model)."""
    m = spec.method
    if m == "base":
        return Recipe((Component(),))
    # lambdas in a name are rounded (1/3 -> 0.333333): re-normalised here, so every mixture is exactly convex
    total = sum(t.lam for t in spec.terms) or 1.0
    if m == "interp":
        weights = []
        for t in spec.terms:
            weights.append((anchor_name(t.attribute, 1), t.lam / total * t.alpha))
            weights.append((anchor_name(t.attribute, 0), t.lam / total * (1.0 - t.alpha)))
        return Recipe((Component(adapter_weights=tuple(weights)),))
    if m == "gt":
        (t,) = spec.terms
        return Recipe((Component(adapter_weights=((gt_name(t.attribute, t.alpha), 1.0),)),))
    if m in ("dexperts", "dexperts-raw"):
        comps = [Component(top_p=dexperts_top_p)]
        for t in spec.terms:
            w = t.lam / total * raw_strength(spec, t.attribute, t.alpha, scaling)
            comps.append(Component(adapter_weights=((anchor_name(t.attribute, 1), 1.0),), logit_weight=w))
            comps.append(Component(adapter_weights=((anchor_name(t.attribute, 0), 1.0),), logit_weight=-w))
        return Recipe(tuple(comps))
    if m in ("arith", "arith-raw"):
        if system_prompts is None:
            raise ValueError(f"{spec.name}: model arithmetic needs the attributes' system prompts")
        comps = [Component()]
        for t in spec.terms:
            w = t.lam / total * raw_strength(spec, t.attribute, t.alpha, scaling)
            comps.append(Component(prefix=system_prompts[t.attribute]["1"], logit_weight=w))
            comps.append(Component(prefix=system_prompts[t.attribute]["0"], logit_weight=-w))
        return Recipe(tuple(comps))
    if m == "prompted":   # the base model conditioned on the numeric-level instruction (paper A.4)
        if instruction is None:
            raise ValueError(f"{spec.name}: the prompted model needs the instruction template and class names")
        from lminterp.data.instructions import instruction_text

        (t,) = spec.terms
        text = instruction_text(instruction["template"], t.attribute, t.alpha, instruction["class_names"][t.attribute])
        return Recipe((Component(prefix=text, chat=True),))
    raise ValueError(f"no recipe for method {m!r}")


def load_sweep(base_dir, adapters: dict, spec_names, *, system_prompts: dict | None = None,
               dexperts_top_p: float | None = None, scaling_csv=None, instruction: dict | None = None,
               quantization: dict | None = None):
    """What a sweep job needs, loaded once: the base model (with its adapter bank attached when the sweep
    uses adapters), its tokenizer, and one recipe per spec. `system_prompts`: attribute -> {"0", "1"} (model
    arithmetic); `dexperts_top_p`: DExperts' base nucleus (None: unfiltered, as perplexity needs);
    `scaling_csv`: the baseline's alpha-scaling table, for scaled baselines; `quantization`: the config's 4-bit
    settings, when the anchors were trained on a 4-bit base (lminterp.training.models.load_base_model)."""
    import pandas as pd

    from lminterp.mixing.adapters import AdapterBank
    from lminterp.mixing.layers import attach_bank
    from lminterp.training.models import load_base_model
    from lminterp.specs import parse_spec

    model, tokenizer = load_base_model(base_dir, quantization=quantization)
    if adapters:
        attach_bank(model, AdapterBank.from_dirs(adapters, base=model))   # each adapter checked against the base
    scaling = None
    if scaling_csv is not None:
        table = pd.read_csv(scaling_csv)
        scaling = {r.attribute: (r.raw_at_0, r.raw_at_1) for r in table.itertuples()}
    recipes = {name: recipe_for(parse_spec(name), system_prompts=system_prompts, dexperts_top_p=dexperts_top_p,
                                scaling=scaling, instruction=instruction) for name in spec_names}
    return model, tokenizer, recipes
