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


def classifier_dir(attribute):
    return f"{RESULTS}/classifiers/{attribute}"


BASE_MODEL = f"{RESULTS}/base/model"
TOKENIZER = f"{RESULTS}/base/tokenizer"
PROMPTS = f"{RESULTS}/data/prompts.jsonl"

# All models any target needs, grouped into sweeps (one generation job and one scoring job each).
ALL_SPECS = S.all_specs(config)
SWEEPS = S.group_sweeps(ALL_SPECS, config["generation"]["sweep_by"])


def sweep_adapters(sweep_specs):
    """Adapter directories a sweep's recipes draw on (anchors for interpolation and DExperts)."""
    attrs = sorted({t.attribute for s in sweep_specs for t in s.terms}, key=ATTRIBUTES.index)
    if sweep_specs[0].method.startswith("arith"):
        return {}
    return {f"{a}-{p}": anchor_dir(a, p) for a in attrs for p in POLES}


def sweep_scaling(sweep_specs):
    method = sweep_specs[0].method
    return {"scaling": f"{RESULTS}/scaling/{method}.csv"} if method in S.BASELINES else {}


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
