# Helpers shared by all stages: the validated config, paths built from canonical spec names, the registry of
# figures and tables, and what each rule's params carry (only what changes its outputs, plus its code hash).
import json
import os
import platform
import re
from pathlib import Path

from lminterp.mixing import inference_cost as IC
from lminterp import registry as R
from lminterp.data import real_text as RT
from lminterp.data import sources as SRC
from lminterp import specs as S
from lminterp.workflow.code_deps import code_digest
from lminterp.config import ConfigError, lora_settings, validate_config
from lminterp.runtime import PINNED_KERNELS

try:
    _validated = validate_config(config)
except ConfigError as e:
    raise WorkflowError(str(e)) from None
config.clear()
config.update(_validated)

# The same numbers on every x86 machine: torch dispatches its own kernels by instruction set (AVX-512 vs AVX2), oneDNN
# (GELU) JIT-compiles for the processor, and MKL picks its matrix and vector-maths code by processor and vendor; each
# changes last bits. Every job inherits these variables and sets them before torch loads (config cpu_kernels: avx2 pins
# them, lminterp/runtime.py says which; native leaves them to the CPU). The training loops' fused AdamW keeps MKL's
# vector maths out of the updates (paper/METHODS.md).
if config["cpu_kernels"] == "avx2" and platform.machine().lower() in ("x86_64", "amd64"):
    os.environ.update(PINNED_KERNELS)

RESULTS = config["results_dir"]
ATTRIBUTES = list(config["attributes"])
POLES = ["0", "1"]
SPLITS = ["train", "validation", "test"]

wildcard_constraints:
    attribute="|".join(ATTRIBUTES),
    pole="0|1",
    spec=S.SPEC_NAME_REGEX,
    method="|".join(S.BASELINES),
    fig="|".join(R.FIGURES),
    table="|".join(R.TABLES),


def res(kind):
    """Resource tags of a kind of job (train, generate, score, light) from config."""
    return config["resources"][kind]


def code(script, *by_name):
    """The code hash in a job's params (code=...): its script and every library module it imports, plus the
    modules it imports by name ("module" or "module:function", from the registry); lminterp/workflow/code_deps.py.
    Editing any of them reruns the job; nothing else does."""
    modules = [m.partition(":")[0] for m in by_name]
    return code_digest(Path(workflow.basedir) / "scripts" / script, *modules)


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


# The base model: pretrained here on a corpus (the tiny world's way), a hub model in the download cache, or a local
# directory. Jobs name its path in params (base=...); a hub model is not a file input (it lives in the download
# cache, fetched by `snakemake download` and checked before any job starts: onstart below), so that a dry run needs
# no cache and re-downloading the same revision reruns nothing.
SOURCES = config["sources"]
CACHE = SOURCES["cache_dir"]
BASE_KIND = SRC.kind(SOURCES["base_model"])
if BASE_KIND == "pretrain":
    BASE_MODEL = f"{RESULTS}/base/model"
    TOKENIZER = f"{RESULTS}/base/tokenizer"
elif BASE_KIND == "hub":
    BASE_MODEL = TOKENIZER = str(SRC.cache_path(CACHE, SOURCES["base_model"], "models"))
elif BASE_KIND == "gguf":     # converted once into the results directory (rule convert_gguf)
    BASE_MODEL = TOKENIZER = SRC.gguf_model_dir(RESULTS, SOURCES["base_model"]["gguf"])
else:
    BASE_MODEL = TOKENIZER = SOURCES["base_model"]["local"]
BASE_FILES = {} if BASE_KIND == "hub" else {"base": BASE_MODEL, "tokenizer": TOKENIZER}
BASE_PARAMS = {"base": lambda w, input: input.get("base", BASE_MODEL)}   # the path the job loads
if config["lora"].get("quantization"):   # generation on the 4-bit base the anchors were trained on (QLoRA)
    BASE_PARAMS["quantization"] = {k: config["lora"][k] for k in ("quantization", "compute_dtype") if k in config["lora"]}
# The prompted model (paper A.4, fig9, 12-14, table6): a chat model of its own (sources.prompted_model, the paper's
# world: Llama-2-7b-chat), else the base model
PROMPTED_KIND = SRC.kind(SOURCES["prompted_model"]) if SOURCES.get("prompted_model") else None
PROMPTED_MODEL = {None: None, "hub": lambda: str(SRC.cache_path(CACHE, SOURCES["prompted_model"], "models")),
                  "local": lambda: SOURCES["prompted_model"]["local"],
                  "gguf": lambda: SRC.gguf_model_dir(RESULTS, SOURCES["prompted_model"]["gguf"])}[PROMPTED_KIND]
PROMPTED_MODEL = PROMPTED_MODEL() if PROMPTED_MODEL else None


def serving_model(specs):
    """(path, kind) of the model a job's specs run on: the prompted chat model for prompted specs when the config
    names one, else the base model. A job never mixes the two (sweeps are per method)."""
    prompted = {bool(S.METHOD_INFO[s.method].instruction) for s in specs}
    if PROMPTED_MODEL is None or prompted != {True}:
        if PROMPTED_MODEL is not None and len(prompted) > 1:
            raise WorkflowError(f"a job mixes prompted and other models ({', '.join(s.name for s in specs)}): they run "
                                "on different models (sources.prompted_model)")
        return BASE_MODEL, BASE_KIND
    return PROMPTED_MODEL, PROMPTED_KIND


def model_files(specs):
    """The model files a job serving `specs` depends on (none for a hub model: it lives in the download cache)."""
    path, kind = serving_model(specs)
    if kind == "hub":
        return {}
    return {"base": BASE_MODEL, "tokenizer": TOKENIZER} if path == BASE_MODEL else {"base": path}


def model_params(specs):
    """The path of the model a job loads (and the 4-bit settings), as params."""
    path, _ = serving_model(specs)
    return {**BASE_PARAMS, "base": lambda w, input: input.get("base", path)}


# The classifiers' encoder: trained from scratch on the base's tokenizer, or fine-tuned from a hub / local encoder
ENCODER_KIND = SRC.kind(SOURCES["classifier_encoder"])
# (its token embeddings optionally taken from the base model's: sources.classifier_encoder.embeddings: base).
EMBEDDINGS_FROM_BASE = ENCODER_KIND == "scratch" and SOURCES["classifier_encoder"].get("embeddings") == "base"
if ENCODER_KIND == "scratch":
    ENCODER = None
elif ENCODER_KIND == "hub":
    ENCODER = str(SRC.cache_path(CACHE, SOURCES["classifier_encoder"], "models"))
elif ENCODER_KIND == "gguf":
    ENCODER = SRC.gguf_model_dir(RESULTS, SOURCES["classifier_encoder"]["gguf"])
else:
    ENCODER = SOURCES["classifier_encoder"]["local"]
TINY_ATTRIBUTES = SRC.tiny_attributes(config)     # their data (and their oracle) come from the tiny world's generator
SOURCED_ATTRIBUTES = [a for a in ATTRIBUTES if a not in TINY_ATTRIBUTES]
# The tiny world's oracle ("module:function"), imported by name at run time by the score and classifier jobs, so that
# the generator is part of their code hash only in a world where some attribute's data come from it.
ORACLE = "lminterp.data.world:oracle" if TINY_ATTRIBUTES else None
ORACLE_CODE = [ORACLE] if ORACLE else []


def local_files(*sources):
    """The local files among sources: file inputs of the jobs that read them (editing one reruns its jobs)."""
    return [s["local"] for s in sources if s != "tiny" and SRC.kind(s) == "local"]


onstart:
    # Compute jobs never go online: every hub asset the config names must be in the download cache before any job
    # starts (a dry run needs none, --touch runs nothing; `snakemake download` itself is exempt).
    if not workflow.touch and {job.rule.name for job in workflow.dag.needrun_jobs()} - {"download", "download_asset"}:
        _missing = SRC.missing_assets_message(config)
        if _missing:
            raise WorkflowError(_missing)


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


# All models any target needs, grouped into sweeps (one generation job and one scoring job each).
_CLAIMS = R.claims(config)      # computed once: thousands of jobs in the paper world ask for them
SWEEPS = R.sweeps(config, _CLAIMS)
PPL_SWEEPS = R.perplexity_sweeps(config, _CLAIMS)
NEEDS = dict(zip((t.name for t in R.active(config)), (needs for _, needs in _CLAIMS[1:])))
SWEEP_SPECS = {**SWEEPS, **PPL_SWEEPS}
_OWNERS = R.owners(config, _CLAIMS)
SCALING_SWEEPS = {_OWNERS[s] for s in S.scaling_specs(config)}   # what the alpha scaling reads


def sweep_priority(sweep):
    if sweep in SCALING_SWEEPS:
        return PRIORITY["scaling"]
    if any(S.METHOD_INFO[s.method].scaling for s in SWEEP_SPECS[sweep]):
        return PRIORITY["baselines"]
    return 0


def sweep_adapters(sweep_specs):
    """Adapter directories a sweep's recipes draw on (the method table says which bank each method loads)."""
    gt, attrs = {}, set()
    for s in sweep_specs:
        bank = S.METHOD_INFO[s.method].adapters
        if bank == "gt":
            gt.update({S.gt_name(t.attribute, t.alpha): gt_dir(t.attribute, t.alpha) for t in s.terms})
        elif bank == "anchors":
            attrs.update(t.attribute for t in s.terms)
    anchors = {S.anchor_name(a, p): anchor_dir(a, p) for a in sorted(attrs, key=ATTRIBUTES.index) for p in POLES}
    return {**anchors, **gt}


def sweep_scaling(sweep_specs):
    """The alpha-scaling table of the sweep's scaled baseline, if it has one (never two)."""
    tables = sorted({S.METHOD_INFO[s.method].scaling for s in sweep_specs} - {None})
    if len(tables) > 1:
        raise WorkflowError(f"a sweep mixes the scaled baselines {tables}; each needs its own scaling table")
    return {"scaling": f"{RESULTS}/scaling/{tables[0]}.csv"} if tables else {}


def recipe_settings(sweep_specs, for_generation):
    """The config a sweep's recipes read, and nothing else: the system prompts of the attributes that a
    model-arithmetic spec conditions on, DExperts' base nucleus (generation only; perplexity is unfiltered)."""
    out = {}
    prompted = sorted({t.attribute for s in sweep_specs if S.METHOD_INFO[s.method].system_prompts for t in s.terms},
                      key=ATTRIBUTES.index)
    if prompted:
        out["system_prompts"] = {a: config["attributes"][a]["system_prompts"] for a in prompted}
    instructed = sorted({t.attribute for s in sweep_specs if S.METHOD_INFO[s.method].instruction for t in s.terms},
                        key=ATTRIBUTES.index)
    if instructed:
        out["instruction"] = {"template": config["prompted"]["instruction"],
                              "class_names": {a: config["attributes"][a]["class_names"] for a in instructed}}
    if for_generation and any(S.METHOD_INFO[s.method].base_top_p for s in sweep_specs):
        out["dexperts_top_p"] = config["baselines"]["dexperts"]["base_top_p"]
    return out


# Generation settings that change only speed or job layout, never a generated token (up to round-off: see
# paper/METHODS.md): jobs read them from the config, never from params, so changing them reruns nothing.
GENERATION_SPEED_KEYS = ("batch_rows", "sweep_by")
SAMPLING = {k: v for k, v in config["generation"].items() if k not in GENERATION_SPEED_KEYS}
# The config without the settings that change only speed or job layout (the report prints this one, so that
# changing them reruns nothing, as everywhere else)
SPEED_KEYS = ("threads_per_job", "resources", "checkpoints")
RESULT_CONFIG = {k: (SAMPLING if k == "generation" else v) for k, v in config.items() if k not in SPEED_KEYS}


# ---------------------------------------------------------------------------------- figures and tables
def target(wildcards):
    """The registry entry of a figure or table job."""
    return R.BY_NAME[wildcards.get("fig") or wildcards.get("table")]


def anchor_spec_dir(spec):
    (term,) = spec.terms
    if spec.method != "interp" or term.alpha not in (0.0, 1.0):
        raise WorkflowError(f"{spec.name} is not an anchor: only anchors have adapter directories")
    return anchor_dir(term.attribute, int(term.alpha))


_PATH = {"scores": score_path, "generations": gen_path, "perplexity": ppl_path, "adapters": anchor_spec_dir,
         "files": lambda relpath: f"{RESULTS}/{relpath}"}


def target_inputs(wildcards):
    """The per-model files a figure or table reads, by kind (scores, generations, perplexity, adapters)."""
    t = target(wildcards)
    if not t.available(config):
        raise WorkflowError(f"{t.name} needs the attributes {', '.join(t.attributes)}; the config has "
                            f"{', '.join(ATTRIBUTES)}: add the missing ones under `attributes` or ask for another target")
    return {kind: sorted({_PATH[kind](s) for s in specs}) for kind, specs in NEEDS[t.name].items()}


def check_inputs(wildcards):
    """The per-model files every checked target reads (`results/checks.json`)."""
    out = {}
    for t in R.checked(config):
        for kind, specs in NEEDS[t.name].items():
            out.setdefault(kind, set()).update(_PATH[kind](s) for s in specs)
    return {kind: sorted(paths) for kind, paths in out.items()}


def claim_inputs(wildcards):
    """The files the claim checks read: those of the targets this build has."""
    names = {t.name for t in R.active(config)}
    out = {"single_checks": f"{RESULTS}/single_attribute_checks.json"}
    if "fig4" in names:
        out["fig4"] = "figures/fig4.csv"
    if R.checked(config):
        out["checks"] = f"{RESULTS}/checks.json"
    return out


# The published reference numbers (paper/reference, scripts/verify.py): the report compares a build with them when
# the build's configuration is the one they were published from (their results/config.json).
REFERENCE_DIR = Path(workflow.basedir) / "paper" / "reference"
try:
    _reference_config = json.loads((REFERENCE_DIR / "results" / "config.json").read_text())
except (OSError, ValueError):
    _reference_config = None
REFERENCE_MATCHES = _reference_config == json.loads(json.dumps(RESULT_CONFIG, default=str))
REFERENCE_FILES = sorted(str(p) for p in REFERENCE_DIR.rglob("*.csv")) if REFERENCE_MATCHES else []


# The paper's own numbers (paper/reported.yaml), beside the measured ones in the report
REPORTED_PATH = str(Path(workflow.basedir) / "paper" / "reported.yaml")
try:
    import yaml as _yaml

    REPORTED = _yaml.safe_load(Path(REPORTED_PATH).read_text()) or {}
except OSError as e:
    raise WorkflowError(f"{REPORTED_PATH}: the paper's reported numbers are missing ({e}); "
                        "restore paper/reported.yaml from the repository") from None


def report_items(wildcards=None):
    """Per figure and table of `all`: caption, the jobs that made it (rule, script, library function, the
    `benchmark:` file with its wall time) and what the paper states about it."""
    statements = REPORTED.get("statements") or {}
    items = []
    for t in R.active(config):
        if t.kind == "figure":
            steps = [("figure_numbers", "scripts/figure_numbers.py", t.numbers,
                      f"benchmarks/figures/{t.name}_numbers.tsv"),
                     ("plot_figure", "scripts/plot_figure.py", t.plot, f"benchmarks/figures/{t.name}.tsv")]
        else:
            steps = [("table", "scripts/table.py", t.numbers, f"benchmarks/tables/{t.name}.tsv")]
        note = statements.get(t.name) or {}
        items.append(dict(name=t.name, kind=t.kind, caption=t.caption, steps=steps,
                          paper_note=f"{note['text']} ({note['where']})" if note else ""))
    return items


# Dial a style (rules/dial.smk)
REQUEST_NAME = "[A-Za-z0-9_-]+"
_missing_requests = [n for n in config["dial"]["requests"] if not Path(f"requests/{n}.yaml").is_file()]
if _missing_requests:
    raise WorkflowError(f"config key `dial.requests`: no file requests/{_missing_requests[0]}.yaml (of "
                        f"{', '.join(_missing_requests)}); write it (README, 'Dial a style') or remove the name")

SCORED = {s for ss in SWEEPS.values() for s in ss}     # every model a generation sweep generates and scores
DIAL_FIT_SPECS = sorted((s for s in SCORED if s.method == "interp"), key=S.spec_name)   # the measured grids


def dial_scores(wildcards):
    """The score file of the model a request's solution chose (known once dial_solve has run)."""
    solution = checkpoints.dial_solve.get(request=wildcards.request).output[0]
    spec = S.parse_spec(json.loads(Path(solution).read_text())["spec"])
    return score_path(spec) if spec in SCORED else f"{RESULTS}/dial/scores/{spec.name}.csv"


def wildcard_specs(wildcards):
    """The model a per-model job (dial, sweep_by: model) serves, from its {spec} wildcard."""
    return [S.parse_spec(wildcards.spec)]
