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

if config["world"] == "tiny":
    # The tiny world never touches a hub: every job inherits these.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


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
