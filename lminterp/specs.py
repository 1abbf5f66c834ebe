"""Model specs: every model the paper evaluates, with one canonical, file-system-safe name.

A spec is a method plus a tuple of terms (attribute, alpha, lambda):

- ``interp``       weight interpolation, theta_pre + sum_i lambda_i [alpha_i dW(+i) + (1 - alpha_i) dW(-i)]
- ``gt``           ground-truth mixture adapter fine-tuned on an alpha fraction of class-1 data (one term)
- ``dexperts``     DExperts at *scaled* alpha (mapped to a raw strength by the alpha-scaling table)
- ``dexperts-raw`` DExperts at a raw strength (the sweep the scaling is fitted on); alpha holds the strength
- ``arith`` / ``arith-raw``   model arithmetic, likewise
- ``base``         the base model (no terms)
- ``prompted``     the base model (paper world: a chat model) asked for level alpha of one attribute (paper A.4)

Names: ``method`` then ``_attribute-a<alpha>[-l<lambda>]`` per term, terms in config attribute order,
lambda omitted when 1. Numbers are written one way only (``format_number``). Examples:
``interp_sentiment-a0.25``, ``interp_sentiment-a1-l0.5_humor-a0.75-l0.5``, ``dexperts-raw_humor-a-1.5``.

Canonical form: zero-lambda terms dropped (their alpha has no effect), terms sorted, and the GT
endpoints alpha in {0, 1} are the anchors themselves (``gt_x-a1`` is ``interp_x-a1``), so two figures
that need the same model share one file and one job.
"""
from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

@dataclass(frozen=True)
class MethodInfo:
    """What a method needs, in one place (sweeps, rules and recipes read it; nothing tests name prefixes)."""

    adapters: str              # the adapter bank its sweeps load: "anchors", "gt" or "" (the base model alone)
    scaling: str | None        # the baseline whose alpha-scaling table maps its (scaled) alpha to a raw strength
    system_prompts: bool       # its recipe conditions the base model on the attributes' system prompts
    base_top_p: bool           # its recipe nucleus-filters the base model's logits (DExperts)
    instruction: bool = False  # its recipe conditions the base model on the numeric-level instruction (prompted)


METHOD_INFO: dict[str, MethodInfo] = {
    "interp": MethodInfo(adapters="anchors", scaling=None, system_prompts=False, base_top_p=False),
    "gt": MethodInfo(adapters="gt", scaling=None, system_prompts=False, base_top_p=False),
    "dexperts": MethodInfo(adapters="anchors", scaling="dexperts", system_prompts=False, base_top_p=True),
    "dexperts-raw": MethodInfo(adapters="anchors", scaling=None, system_prompts=False, base_top_p=True),
    "arith": MethodInfo(adapters="", scaling="arith", system_prompts=True, base_top_p=False),
    "arith-raw": MethodInfo(adapters="", scaling=None, system_prompts=True, base_top_p=False),
    "base": MethodInfo(adapters="", scaling=None, system_prompts=False, base_top_p=False),
    "prompted": MethodInfo(adapters="", scaling=None, system_prompts=False, base_top_p=False, instruction=True),
}
METHODS = tuple(METHOD_INFO)
BASELINES = tuple(dict.fromkeys(i.scaling for i in METHOD_INFO.values() if i.scaling))  # alpha scaled from a raw sweep
DIGITS = 6                                 # numbers are rounded to this many decimals everywhere

_NUM = r"-?\d+(?:\.\d+)?"
_TERM_RE = re.compile(rf"^([a-z][a-z0-9]*)-a({_NUM})(?:-l({_NUM}))?$")
_METHOD_RE = "|".join(re.escape(m) for m in sorted(METHODS, key=len, reverse=True))
# For Snakemake wildcard constraints: a method, then zero or more terms.
SPEC_NAME_REGEX = rf"(?:{_METHOD_RE})(?:_[a-z][a-z0-9]*-a{_NUM}(?:-l{_NUM})?)*"


def format_number(x: float) -> str:
    """The one way a number appears in a name: rounded to DIGITS decimals, no trailing zeros, no -0."""
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"spec numbers must be finite, got {x}")
    s = f"{round(x, DIGITS):.{DIGITS}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _round(x: float) -> float:
    return float(format_number(x))


@dataclass(frozen=True)
class Term:
    attribute: str
    alpha: float
    lam: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "alpha", _round(self.alpha))
        object.__setattr__(self, "lam", _round(self.lam))


@dataclass(frozen=True)
class Spec:
    method: str
    terms: tuple[Term, ...] = ()

    @property
    def name(self) -> str:
        return spec_name(self)

    @property
    def attributes(self) -> tuple[str, ...]:
        return tuple(t.attribute for t in self.terms)

    def alpha(self, attribute: str) -> float:
        for t in self.terms:
            if t.attribute == attribute:
                return t.alpha
        raise KeyError(f"{self.name} has no term for {attribute!r}")


def spec_name(spec: Spec) -> str:
    parts = [spec.method]
    for t in spec.terms:
        s = f"{t.attribute}-a{format_number(t.alpha)}"
        if t.lam != 1.0:
            s += f"-l{format_number(t.lam)}"
        parts.append(s)
    return "_".join(parts)


def parse_spec(name: str) -> Spec:
    """Inverse of spec_name (the name must be canonical-looking; call canonical() to normalise)."""
    head, *terms = name.split("_")
    if head not in METHODS:
        raise ValueError(f"spec {name!r}: unknown method {head!r} (known: {', '.join(METHODS)})")
    parsed = []
    for t in terms:
        m = _TERM_RE.match(t)
        if not m:
            raise ValueError(f"spec {name!r}: malformed term {t!r} (expected attribute-a<alpha>[-l<lambda>])")
        parsed.append(Term(m.group(1), float(m.group(2)), float(m.group(3)) if m.group(3) else 1.0))
    return Spec(head, tuple(parsed))


def canonical(spec: Spec, attribute_order: list[str] | tuple[str, ...]) -> Spec:
    """Normalise a spec so that equal models get equal names; validate it against the attributes."""
    if spec.method not in METHODS:
        raise ValueError(f"unknown method {spec.method!r} (known: {', '.join(METHODS)})")
    order = {a: k for k, a in enumerate(attribute_order)}
    seen = set()
    for t in spec.terms:
        if t.attribute not in order:
            raise ValueError(f"spec {spec.name}: unknown attribute {t.attribute!r} (known: {', '.join(attribute_order)})")
        if t.attribute in seen:
            raise ValueError(f"spec {spec.name}: attribute {t.attribute!r} appears twice")
        if t.lam < 0:
            raise ValueError(f"spec {spec.name}: lambda must be >= 0")
        seen.add(t.attribute)
    if spec.method == "base":
        if spec.terms:
            raise ValueError(f"spec {spec.name}: the base model takes no terms")
        return spec
    terms = tuple(sorted((t for t in spec.terms if t.lam != 0.0), key=lambda t: order[t.attribute]))
    if not terms:
        raise ValueError(f"spec {spec.name}: needs at least one term with lambda > 0")
    total = sum(t.lam for t in terms)
    # each lambda is rounded to DIGITS decimals (half a unit of the last digit at most), so a sum of exact
    # fractions such as 1/3 + 1/3 + 1/3 may miss 1 by up to that much per term
    if abs(total - 1.0) > len(terms) * 0.5 * 10.0**-DIGITS + 1e-12:
        raise ValueError(f"spec {spec.name}: lambdas must sum to 1 (got {total:.9g})")
    method = spec.method
    if method == "prompted" and (len(terms) != 1 or not 0.0 <= terms[0].alpha <= 1.0):
        raise ValueError(f"spec {spec.name}: the prompted model asks for one attribute at a level in [0, 1]")
    if method == "gt":
        if len(terms) != 1:
            raise ValueError(f"spec {spec.name}: a ground-truth mixture has exactly one attribute")
        if not 0.0 <= terms[0].alpha <= 1.0:
            raise ValueError(f"spec {spec.name}: a ground-truth class-1 fraction must lie in [0, 1]")
        if terms[0].alpha in (0.0, 1.0):
            method = "interp"  # the GT endpoints are the anchors themselves
    return Spec(method, terms)


def simplex_lattice(n: int, k: int = 3) -> list[tuple[int, ...]]:
    """The points of the simplex lattice with ``n`` divisions in ``k`` coordinates, as integer numerators
    (i_1, ..., i_k) with sum n (the point is (i_1/n, ..., i_k/n)); (n + k - 1 choose k - 1) of them."""
    if n < 1 or k < 1:
        raise ValueError(f"simplex lattice needs n >= 1 and k >= 1 (got n={n}, k={k})")
    return list(_compositions(n, k))


def _compositions(n: int, k: int):
    if k == 1:
        yield (n,)
        return
    for i in range(n, -1, -1):
        for rest in _compositions(n - i, k - 1):
            yield (i, *rest)


def simplex_specs(method: str, attribute_order, attributes, alphas, n: int) -> list[Spec]:
    """Models on the lambda simplex of ``attributes`` (one alpha each), one per lattice point with ``n``
    divisions. Vertices are the single-attribute models and edges the two-attribute ones, under their
    canonical names (zero-lambda terms dropped)."""
    return [make(method, attribute_order, *((a, x, i / n) for a, x, i in zip(attributes, alphas, point)))
            for point in simplex_lattice(n, len(attributes))]


def make(method: str, attribute_order, *terms: tuple) -> Spec:
    """Convenience: make("interp", order, ("sentiment", 0.5), ("humor", 1, 0.5)) -> canonical Spec."""
    return canonical(Spec(method, tuple(Term(*t) for t in terms)), attribute_order)


# ----------------------------------------------------------------------------- adapter names
def anchor_name(attribute: str, pole: int | str) -> str:
    """Name of an anchor adapter in an adapter bank (and of its directory)."""
    return f"{attribute}-{pole}"


def gt_name(attribute: str, alpha: float) -> str:
    """Name of a ground-truth mixture adapter (class-1 fraction alpha) in an adapter bank."""
    return f"gt-{attribute}-a{format_number(alpha)}"


# --------------------------------------------------------------------------------------- sweeps
def family(spec: Spec) -> str:
    """The kind of model, used to group specs into sweeps (one job per sweep)."""
    n = len(spec.terms)
    if spec.method == "interp" and n == 1 and spec.terms[0].alpha in (0.0, 1.0):
        return "anchors"
    return {0: "base", 1: "single", 2: "pair", 3: "triple"}.get(n, "multi")


def sweep_id(spec: Spec, group: str, by: str = "family") -> str:
    """The sweep (generation job) that owns a spec: its owning claimant (`lminterp.registry`), method and family,
    with ``by="attributes"`` also its attribute set; with ``by="model"`` the spec alone (its own jobs: a grid that
    grows adds jobs and changes none, as a GPU cluster wants)."""
    if by == "model":
        return spec.name
    sid = f"{group}-{spec.method}-{family(spec)}"
    if by == "attributes" and spec.terms:
        sid += "-" + "-".join(spec.attributes)
    elif by != "family":
        raise ValueError(f"generation.sweep_by must be 'family', 'attributes' or 'model', got {by!r}")
    return sid


# ------------------------------------------------------------------ which models each target needs
def anchor_specs(attributes) -> list[Spec]:
    return [make("interp", attributes, (a, cls)) for a in attributes for cls in (0, 1)]


def raw_sweep_specs(method: str, attributes, raw_strengths) -> list[Spec]:
    """The raw-strength sweep of a baseline that its alpha scaling is fitted on (paper: alpha in [-2, 2])."""
    if method not in BASELINES:
        raise ValueError(f"no raw sweep for method {method!r}")
    return [make(f"{method}-raw", attributes, (a, r)) for a in attributes for r in raw_strengths]


def entanglement_specs(method: str, attributes, alphas, lam: float, fixed_alpha: float) -> dict[tuple[str, str], list[Spec]]:
    """Fig 8 (fixed_alpha = 1) / fig 16 (fixed_alpha = 0): for each ordered pair (i, j), i != j, the models
    with scaled alpha_i = fixed_alpha and alpha_j over the grid, lambda_i = lam, lambda_j = 1 - lam."""
    out = {}
    for i, j in itertools.permutations(attributes, 2):
        out[(i, j)] = [make(method, attributes, (i, fixed_alpha, lam), (j, a, 1.0 - lam)) for a in alphas]
    return out


def entanglement_figure_specs(cfg: dict, fixed_alpha: float) -> list[Spec]:
    """The generated models behind fig8 (fixed_alpha = 1) or fig16 (0), all three methods; their alpha
    scaling additionally needs scaling_specs(cfg)."""
    attributes = list(cfg["attributes"])
    ent = cfg["entanglement"]
    specs: list[Spec] = []
    for method in ("interp",) + BASELINES:
        for group in entanglement_specs(method, attributes, ent["alphas"], ent["lambda"], fixed_alpha).values():
            specs.extend(group)
    return specs


def scaling_specs(cfg: dict) -> list[Spec]:
    """Everything the alpha scaling of the baselines needs: anchors (targets) and raw sweeps."""
    attributes = list(cfg["attributes"])
    specs = anchor_specs(attributes)
    for m in BASELINES:
        specs.extend(raw_sweep_specs(m, attributes, cfg["baselines"]["raw_strengths"]))
    return specs




SINGLE_METHODS = ("gt", "interp") + BASELINES   # fig2 / Table 1 rows


def single_attribute_specs(cfg: dict) -> dict[str, dict[str, list[Spec]]]:
    """Table 1 and fig2: per method and attribute, one model per alpha of `single_attribute.alphas`
    (GT: class-1 fraction; interp: alpha; baselines: scaled alpha). GT and interp share the endpoints."""
    attributes = list(cfg["attributes"])
    grid = cfg["single_attribute"]["alphas"]
    return {m: {a: [make(m, attributes, (a, x)) for x in grid] for a in attributes} for m in SINGLE_METHODS}


def extrapolation_specs(cfg: dict) -> dict[str, list[Spec]]:
    """fig3, fig4, fig10, fig11: single-attribute weight interpolation over `single_attribute.extrapolation_alphas`."""
    attributes = list(cfg["attributes"])
    grid = cfg["single_attribute"]["extrapolation_alphas"]
    return {a: [make("interp", attributes, (a, x)) for x in grid] for a in attributes}


def multi_attribute_specs(cfg: dict, other_alpha: float) -> dict[str, list[Spec]]:
    """fig5 (other_alpha = 0) and fig15 (1): per attribute i, weight interpolation over the grid
    `multi_attribute.alphas` x `multi_attribute.lambdas`, every other attribute j at alpha_j = other_alpha and
    lambda_j = (1 - lambda_i) / (n - 1). At lambda_i = 1 the model is the single-attribute one (fig2, fig3)."""
    attributes = list(cfg["attributes"])
    if len(attributes) < 2:
        raise ValueError("the multi-attribute grid (fig5, fig15) needs at least two attributes")
    grid = cfg["multi_attribute"]
    rest = len(attributes) - 1
    out = {}
    for a in attributes:
        out[a] = [make("interp", attributes, (a, x, lam),
                       *((b, other_alpha, (1.0 - lam) / rest) for b in attributes if b != a))
                  for lam in grid["lambdas"] for x in grid["alphas"]]
    return out


def triple_simplex_specs(cfg: dict, attributes, alpha: float) -> list[Spec]:
    """fig6, 7, 17-30: weight interpolation over the lambda simplex of three attributes, all at the same alpha,
    `simplex.divisions` divisions (lattice order of :func:`simplex_lattice`)."""
    attributes = list(attributes)
    order = list(cfg["attributes"])
    missing = [a for a in attributes if a not in order]
    if missing:
        raise ValueError(f"simplex of {attributes}: attributes {missing} are not in the config's attributes")
    return simplex_specs("interp", order, attributes, [alpha] * len(attributes), cfg["simplex"]["divisions"])


def prompted_specs(cfg: dict) -> dict[str, list[Spec]]:
    """fig9, 12-14: the prompted model asked for each level of `single_attribute.alphas`, per attribute."""
    attributes = list(cfg["attributes"])
    return {a: [make("prompted", attributes, (a, x)) for x in cfg["single_attribute"]["alphas"]] for a in attributes}


def table6_specs(cfg: dict) -> dict[str, dict[str, list[Spec]]]:
    """table6: per method (weight interpolation, prompted) and attribute, the models at `prompted.table6_alphas`."""
    attributes = list(cfg["attributes"])
    grid = cfg["prompted"]["table6_alphas"]
    return {m: {a: [make(m, attributes, (a, x)) for x in grid] for a in attributes} for m in ("interp", "prompted")}
