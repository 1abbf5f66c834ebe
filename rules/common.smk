# Helpers shared by all stages: the validated config, and paths built from canonical spec names.
import os

from lminterp import specs as S
from lminterp.config import ConfigError, validate_config

try:
    _validated = validate_config(config)
except ConfigError as e:
    raise WorkflowError(str(e)) from None
config.clear()
config.update(_validated)

RESULTS = config["results_dir"]
ATTRIBUTES = list(config["attributes"])
POLES = ["0", "1"]
SPLITS = ["train", "validation", "test"]

wildcard_constraints:
    attribute="|".join(ATTRIBUTES),
    pole="0|1",
    spec=S.SPEC_NAME_REGEX,
    method="|".join(S.BASELINES),


def res(kind):
    """Resource tags of a kind of job (train, generate, score, light) from config."""
    return config["resources"][kind]


def gen_path(spec):
    return f"{RESULTS}/generations/{spec.name}.jsonl"


def score_path(spec):
    return f"{RESULTS}/scores/{spec.name}.csv"


def anchor_dir(attribute, pole):
    return f"{RESULTS}/adapters/anchor/{attribute}-{pole}"


def gt_dir(attribute, alpha):
    return f"{RESULTS}/adapters/gt/{attribute}-a{S.format_number(alpha)}"


def ppl_path(spec):
    return f"{RESULTS}/perplexity/{spec.name}.json"


def classifier_dir(attribute):
    return f"{RESULTS}/classifiers/{attribute}"


BASE_MODEL = f"{RESULTS}/base/model"
TOKENIZER = f"{RESULTS}/base/tokenizer"
PROMPTS = f"{RESULTS}/data/prompts.jsonl"
PERPLEXITY_CORPUS = f"{RESULTS}/data/perplexity.txt"
# GT mixtures are trained for the interior of the grid; the endpoints are the anchors.
GT_ALPHAS = [x for x in config["single_attribute"]["alphas"] if 0.0 < x < 1.0]

# Scheduling priorities (Snakemake runs the ready job with the highest first). The chain
# pretraining -> anchors -> the baselines' raw sweeps -> alpha scaling -> the scaled baselines is the
# critical path of every figure. Classifiers need only the data and the tokenizer: they fill the cores
# left idle by pretraining, and are done before the first scoring job needs them.
# Sweeps of the scaled baselines become ready last (after alpha scaling) and are the longest (several forward
# rows per token): they go first, and the interpolation sweeps, ready since the anchors, fill the gaps.
PRIORITY = {"base": 100, "classifier": 95, "anchors": 90, "scaling": 80, "gt": 70, "baselines": 50}


def sweep_priority(sweep):
    if sweep.startswith("scaling-"):
        return PRIORITY["scaling"]
    if SWEEP_SPECS[sweep][0].method in S.BASELINES:
        return PRIORITY["baselines"]
    return 0


# All models any target needs, grouped into sweeps (one generation job and one scoring job each).
SWEEPS = S.sweeps(config)
PPL_SWEEPS = S.perplexity_sweeps(config)
SWEEP_SPECS = {**SWEEPS, **PPL_SWEEPS}


def sweep_adapters(sweep_specs):
    """Adapter directories a sweep's recipes draw on (a sweep may mix methods that share them): anchors
    for interpolation and DExperts, the GT mixtures for GT models, none for model arithmetic (the base
    model, prompted)."""
    gt, attrs = {}, set()
    for s in sweep_specs:
        if s.method == "gt":
            gt.update({S.gt_name(t.attribute, t.alpha): gt_dir(t.attribute, t.alpha) for t in s.terms})
        elif not s.method.startswith("arith"):
            attrs.update(t.attribute for t in s.terms)
    anchors = {S.anchor_name(a, p): anchor_dir(a, p) for a in sorted(attrs, key=ATTRIBUTES.index) for p in POLES}
    return {**anchors, **gt}


def sweep_scaling(sweep_specs):
    """The alpha-scaling table of the sweep's scaled baseline, if it has one (never two: see S.sweep_id)."""
    methods = sorted({s.method for s in sweep_specs} & set(S.BASELINES))
    if len(methods) > 1:
        raise WorkflowError(f"a sweep mixes the scaled baselines {methods}; each needs its own scaling table")
    return {"scaling": f"{RESULTS}/scaling/{methods[0]}.csv"} if methods else {}


def entanglement_inputs(wildcards):
    fixed = S.ENTANGLEMENT_FIGURES[wildcards.fig]
    ent = config["entanglement"]
    return sorted(
        {
            score_path(s)
            for m in ("interp",) + S.BASELINES
            for group in S.entanglement_specs(m, ATTRIBUTES, ent["alphas"], ent["lambda"], fixed).values()
            for s in group
        }
    )


CURVE_FIGURES = ("fig2", "fig3", "fig4", "fig10", "fig11")
# What the single-attribute numbers need from the config (params, so that editing anything else reruns nothing).
SINGLE_CFG = {"attributes": ATTRIBUTES, "single_attribute": config["single_attribute"]}


def single_specs():
    return [s for by_attr in S.single_attribute_specs(SINGLE_CFG).values() for ss in by_attr.values() for s in ss]


def extrapolation_specs():
    return [s for ss in S.extrapolation_specs(SINGLE_CFG).values() for s in ss]


def curve_inputs(wildcards):
    """The files behind each single-attribute figure."""
    if wildcards.fig == "fig2":
        return sorted({score_path(s) for s in single_specs()})
    if wildcards.fig == "fig3":
        return sorted({score_path(s) for s in extrapolation_specs()})
    if wildcards.fig in ("fig4", "fig10"):
        return sorted({ppl_path(s) for s in extrapolation_specs()})
    return sorted({gen_path(s) for s in extrapolation_specs()})  # fig11: diversity
