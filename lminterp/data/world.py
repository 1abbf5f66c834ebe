"""The tiny world: a synthetic text generator with five controllable style attributes, and its oracle.

Every text is a neutral *opener* (a short lowercase sentence; it doubles as the generation prompt and
carries no style) followed by a *continuation* that realises five binary style attributes:

=============  =====================  ==========================================================
attribute      class 0 / class 1      how it is realised
=============  =====================  ==========================================================
sentiment      negative / positive    an evaluation segment ("the voyage was indeed splendid")
politeness     impolite / polite      a request segment ("would you kindly fix the door , ...")
humor          serious / humorous     an event segment ("my uncle slipped on a banana peel")
formality      informal / formal      the register of every segment: contractions and slang
                                      ("gonna", "kinda", "lol", "dude") vs full forms and
                                      "indeed", "therefore", "shall", "not"
simplicity     complex / simple       how segments are joined and which words fill them: short
                                      separate sentences ("then", "also") with common words vs
                                      one sentence of subordinate clauses ("whereupon",
                                      "although", "which is why") with rarer vocabulary
=============  =====================  ==========================================================

The three segments come in random order. Everything is lowercase with punctuation as separate
tokens, so a prompt leaks no style. Every attribute has its own closed sets of pole-specific marker
words; a continuation built for a pole contains at least one marker of that pole and none of the
other, so :func:`oracle` (which counts markers) recovers the construction exactly, and says 0.5 when a
text carries no markers of an attribute (or equally many of both poles), e.g. a truncated or
garbled generation. Openers and the default descriptors contain no marker words.

Attribute values are drawn with P(class 1) = 0.5 each, except for configured pairwise correlations
``(a, b, agreement)``: P(value_b == value_a) = agreement. The joint distribution is the pairwise
model ``P(v) ∝ prod_pairs (agreement if v_a == v_b else 1 - agreement)`` over the 2^5 value
vectors; when the correlation pairs form a forest (checked) this is exactly "draw a, then draw b
conditioned on a", every marginal stays 0.5 and every configured agreement holds exactly. Fixing
attributes (a data split for one class) conditions the joint distribution on them.

Pure Python + numpy. All randomness comes from the caller's ``numpy.random.Generator``.
"""
from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from lminterp.data.instructions import DEFAULT_INSTRUCTION, DEFAULT_INSTRUCTION_LEVELS

ATTRIBUTES = ("sentiment", "politeness", "formality", "simplicity", "humor")

# Class names per attribute: index = class (class 1 is the pole that scores 1.0).
CLASS_NAMES: dict[str, tuple[str, str]] = {
    "sentiment": ("negative", "positive"),
    "politeness": ("impolite", "polite"),
    "formality": ("informal", "formal"),
    "simplicity": ("complex", "simple"),
    "humor": ("nonhumorous", "humorous"),
}

# Model-arithmetic system prompts (paper Table 5, lowercased, punctuation spaced); the same strings as
# the default config.yaml. A fraction of pretraining texts starts with one of them.
DEFAULT_DESCRIPTORS: dict[str, dict[int, str]] = {
    "sentiment": {
        0: "the following is a negative story , with very negative sentiment and a very negative tone .",
        1: "the following is a positive story , with a very positive sentiment and a very positive tone .",
    },
    "politeness": {
        0: "the following is an impolite story , with very impolite language and a very impolite tone .",
        1: "the following is a polite story , with very polite language and a very polite tone .",
    },
    "formality": {
        0: "the following is an informal story , with very informal language and a very informal tone .",
        1: "the following is a formal story , with very formal language and a very formal tone .",
    },
    "simplicity": {
        0: "the following is a complex story , with very complex language .",
        1: "the following is a simple story , with very simple language .",
    },
    "humor": {
        0: "the following is a nonhumorous story , with factual language and a very serious tone .",
        1: "the following is a humorous story , with very humorous language and a very humorous tone .",
    },
}



# --------------------------------------------------------------------------------------------
# World specification and the joint distribution of attribute values
# --------------------------------------------------------------------------------------------

def _normalise_descriptors(descriptors: Mapping | None) -> dict[str, dict[int, str]]:
    if descriptors is None:
        return {a: dict(d) for a, d in DEFAULT_DESCRIPTORS.items()}
    out: dict[str, dict[int, str]] = {}
    for attr, poles in descriptors.items():
        if attr not in ATTRIBUTES:
            raise ValueError(f"descriptor for unknown attribute {attr!r}; allowed: {', '.join(ATTRIBUTES)}")
        by_cls = {int(k): str(v) for k, v in dict(poles).items()}
        if set(by_cls) != {0, 1}:
            raise ValueError(f"descriptors[{attr!r}] needs exactly the classes 0 and 1, got {sorted(by_cls)}")
        out[attr] = by_cls
    if not out:
        raise ValueError("descriptors must describe at least one attribute (or be None for the defaults)")
    return out


def _normalise_correlations(correlations) -> tuple[tuple[str, str, float], ...]:
    out = []
    for c in correlations:
        if isinstance(c, Mapping):
            (a, b), agreement = c["attributes"], c["agreement"]
        else:
            a, b, agreement = c
        a, b, agreement = str(a), str(b), float(agreement)
        for x in (a, b):
            if x not in ATTRIBUTES:
                raise ValueError(f"correlation names unknown attribute {x!r}; allowed: {', '.join(ATTRIBUTES)}")
        if a == b:
            raise ValueError(f"a correlation needs two different attributes, got {a!r} twice")
        if not 0.0 <= agreement <= 1.0:
            raise ValueError(f"agreement of ({a}, {b}) must lie in [0, 1], got {agreement}")
        out.append((a, b, agreement))
    # The pairs must form a forest: then every configured agreement holds exactly.
    parent = {x: x for x in ATTRIBUTES}

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b, _ in out:
        ra, rb = find(a), find(b)
        if ra == rb:
            raise ValueError(f"correlation ({a}, {b}) closes a cycle (or repeats a pair); the correlated "
                             "pairs must form a forest so that every agreement can hold exactly")
        parent[ra] = rb
    return tuple(out)


@dataclass(frozen=True)
class WorldSpec:
    """The world's knobs.

    correlations: tuples ``(attr_a, attr_b, agreement)`` (or dicts ``{"attributes": [a, b],
        "agreement": p}``): P(value_b == value_a) = agreement; 0.5 = independent.
    descriptors: attribute -> {0: str, 1: str} (string keys "0"/"1" are accepted);
        None -> :data:`DEFAULT_DESCRIPTORS`.
    descriptor_fraction: share of pretraining texts prefixed with one attribute's descriptor.
    instruction: the numeric-level instruction template (``{attribute}``, ``{level}``, ``{class_0}``,
        ``{class_1}``); instruction_fraction: share of pretraining texts that start with it, for an attribute drawn
        uniformly and a level drawn from instruction_levels, the attribute then taking class 1 with probability =
        level; class_names: attribute -> (class 0, class 1) names written into it.
    """

    correlations: tuple = ()
    descriptors: dict | None = field(default=None, hash=False)
    descriptor_fraction: float = 0.3
    instruction: str = DEFAULT_INSTRUCTION
    instruction_fraction: float = 0.0
    instruction_levels: tuple = DEFAULT_INSTRUCTION_LEVELS
    class_names: dict | None = field(default=None, hash=False)

    def __post_init__(self):
        if not 0.0 <= float(self.instruction_fraction) <= 1.0:
            raise ValueError(f"instruction_fraction must lie in [0, 1], got {self.instruction_fraction}")
        levels = tuple(float(x) for x in self.instruction_levels)
        if not levels or any(not 0.0 <= x <= 1.0 for x in levels):
            raise ValueError(f"instruction_levels must be levels in [0, 1], got {list(self.instruction_levels)}")
        object.__setattr__(self, "instruction_levels", levels)
        names = {a: tuple(v) for a, v in (self.class_names or CLASS_NAMES).items()}
        object.__setattr__(self, "class_names", names)
        object.__setattr__(self, "correlations", _normalise_correlations(self.correlations))
        object.__setattr__(self, "descriptors", _normalise_descriptors(self.descriptors))
        if not 0.0 <= float(self.descriptor_fraction) <= 1.0:
            raise ValueError(f"descriptor_fraction must lie in [0, 1], got {self.descriptor_fraction}")
        object.__setattr__(self, "descriptor_fraction", float(self.descriptor_fraction))

    @classmethod
    def from_config(cls, tiny_world: Mapping, attributes: Mapping | None = None) -> "WorldSpec":
        """Build from the config's ``tiny_world`` block and (optionally) its ``attributes`` block,
        whose ``system_prompts`` become the descriptors (attributes without prompts get none)."""
        descriptors = None
        if attributes is not None:
            given = {a: v["system_prompts"] for a, v in attributes.items()
                     if isinstance(v, Mapping) and v.get("system_prompts")}
            descriptors = given or None
        names = None
        if attributes is not None:
            names = {a: tuple(v["class_names"]) for a, v in attributes.items()
                     if isinstance(v, Mapping) and v.get("class_names")} or None
        return cls(correlations=tuple(tiny_world.get("correlations", ())),
                   descriptors=descriptors,
                   descriptor_fraction=tiny_world.get("descriptor_fraction", 0.3),
                   instruction=tiny_world.get("instruction", DEFAULT_INSTRUCTION),
                   instruction_fraction=tiny_world.get("instruction_fraction", 0.0),
                   instruction_levels=tuple(tiny_world.get("instruction_levels", DEFAULT_INSTRUCTION_LEVELS)),
                   class_names=names)


_CONFIGS = np.array(list(itertools.product((0, 1), repeat=len(ATTRIBUTES))), dtype=np.int8)  # (32, 5)


@functools.lru_cache(maxsize=64)
def _joint_weights(correlations: tuple) -> np.ndarray:
    w = np.ones(len(_CONFIGS))
    for a, b, agreement in correlations:
        same = _CONFIGS[:, ATTRIBUTES.index(a)] == _CONFIGS[:, ATTRIBUTES.index(b)]
        w = w * np.where(same, agreement, 1.0 - agreement)
    return w


def joint_distribution(spec: WorldSpec, fixed: Mapping[str, int] | None = None) -> dict[tuple, float]:
    """P(values) for every value vector (ordered as ATTRIBUTES), conditioned on `fixed`."""
    p = _conditional(spec, fixed)
    return {tuple(int(x) for x in c): float(pi) for c, pi in zip(_CONFIGS, p) if pi > 0}


def _conditional(spec: WorldSpec, fixed: Mapping[str, int] | None) -> np.ndarray:
    w = _joint_weights(spec.correlations).copy()
    for attr, v in (fixed or {}).items():
        if attr not in ATTRIBUTES:
            raise ValueError(f"unknown attribute {attr!r}; allowed: {', '.join(ATTRIBUTES)}")
        if v not in (0, 1):
            raise ValueError(f"class of {attr!r} must be 0 or 1, got {v!r}")
        w = w * (_CONFIGS[:, ATTRIBUTES.index(attr)] == int(v))
    total = w.sum()
    if total <= 0:
        raise ValueError(f"fixed values {dict(fixed or {})} have probability 0 under {spec.correlations}")
    return w / total


def sample_values(rng: np.random.Generator, spec: WorldSpec,
                  fixed: Mapping[str, int] | None = None) -> dict[str, int]:
    """One draw of all five attribute values from the joint distribution, conditioned on `fixed`."""
    cdf = np.cumsum(_conditional(spec, fixed))
    idx = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), len(cdf) - 1)
    return {a: int(v) for a, v in zip(ATTRIBUTES, _CONFIGS[idx])}


# --------------------------------------------------------------------------------------------
# Vocabulary. Pools keyed "s"/"c" depend on simplicity (simple / complex).
# --------------------------------------------------------------------------------------------

_OPENER_POOLS: dict[str, list[str]] = {
    "person": ["fisherman", "teacher", "farmer", "baker", "sailor", "student", "nurse", "painter", "driver",
               "doctor", "gardener", "writer", "traveler", "shepherd", "carpenter", "librarian", "miner",
               "pilot", "merchant", "tailor", "potter", "blacksmith", "musician", "postman", "fisherwoman",
               "hunter", "weaver", "stranger", "scholar", "cook"],
    "oadj": ["old", "young", "tall", "quiet", "local", "elderly", "bearded", "retired", "silent", "small"],
    "went": ["walked", "went", "drove", "rode", "strolled", "wandered", "returned", "came", "ran", "cycled",
             "travelled", "headed"],
    "place": ["harbor", "market", "station", "village", "library", "river", "bridge", "square", "bakery",
              "farm", "hill", "forest", "beach", "museum", "school", "garden", "church", "mill", "lake",
              "pier", "orchard", "town", "field", "well", "lighthouse", "inn", "chapel", "quarry"],
    "time": ["this morning", "at noon", "in the evening", "before dawn", "on monday", "on sunday",
             "yesterday", "at dusk", "last week", "at sunrise", "that winter", "in the spring"],
    "container": ["letter", "parcel", "cupboard", "drawer", "envelope", "basket", "crate", "trunk", "jar",
                  "suitcase"],
    "room": ["kitchen", "hallway", "attic", "cellar", "shed", "barn", "study", "garage", "porch", "workshop"],
    "view": ["sea", "mountains", "sky", "fields", "valley", "river", "clouds", "horizon", "stars", "rooftops"],
}

_OPENER_TEMPLATES = [
    "the {oadj} {person} {went} to the {place} {time} .",
    "a {person} {went} to the {place} .",
    "the {oadj} {person} opened the {container} in the {room} .",
    "{time} , the {person} {went} to the {place} .",
    "the {person} sat by the {place} {time} .",
    "the {oadj} {person} looked at the {view} from the {place} .",
    "the {person} and the {person} met near the {place} .",
    "the {oadj} {person} {went} down to the {place} .",
    "a {oadj} {person} waited at the {place} {time} .",
    "the {person} carried a {container} into the {room} .",
]

_POOLS: dict[str, dict[str, list[str]] | list[str]] = {
    # --- sentiment (evaluation segment) ---
    "padj": {"s": ["good", "nice", "great", "lovely", "fun", "sweet", "bright", "cozy", "pleasant", "cheery",
                   "wonderful", "perfect"],
             "c": ["splendid", "exquisite", "magnificent", "delightful", "marvelous", "sublime", "enchanting",
                   "resplendent", "sumptuous", "idyllic", "glorious", "superb"]},
    "nadj": {"s": ["bad", "awful", "dull", "grim", "rotten", "gloomy", "nasty", "lousy", "sour", "bleak",
                   "terrible", "horrible"],
             "c": ["dismal", "wretched", "deplorable", "lamentable", "abysmal", "dreary", "atrocious", "ghastly",
                   "insufferable", "calamitous", "execrable", "woeful"]},
    "pfeel": {"s": ["happy", "glad", "cheerful", "joyful", "thrilled", "proud"],
              "c": ["elated", "jubilant", "euphoric", "exuberant", "enraptured", "overjoyed"]},
    "nfeel": {"s": ["sad", "upset", "unhappy", "miserable", "hurt", "lonesome"],
              "c": ["despondent", "disconsolate", "crestfallen", "morose", "forlorn", "dejected"]},
    "plv": {"s": ["loved", "enjoyed", "liked"], "c": ["cherished", "savored", "relished"]},
    "nlv": {"s": ["hated", "disliked", "feared"], "c": ["loathed", "detested", "abhorred"]},
    "thing": {"s": ["trip", "meal", "day", "show", "walk", "visit", "game", "ride", "party", "picnic", "swim",
                    "film"],
              "c": ["voyage", "banquet", "excursion", "performance", "sojourn", "expedition", "festivity",
                    "recital", "soiree", "pilgrimage", "exhibition", "regatta"]},
    # intensifiers depend on formality (f = formal, i = informal) and simplicity
    "int_f": {"s": ["truly", "indeed", "certainly", "quite"],
              "c": ["exceedingly", "remarkably", "profoundly", "singularly"]},
    "int_i": {"s": ["kinda", "super", "totally", "sorta", "pretty"],
              "c": ["hella", "mega", "wicked", "crazy", "insanely"]},
    # --- politeness (request segment) ---
    "verb": {"s": ["fix", "open", "close", "clean", "move", "bring", "check", "find", "carry", "paint", "lock",
                   "fetch"],
             "c": ["rectify", "unfasten", "secure", "sanitize", "relocate", "retrieve", "inspect", "locate",
                   "transport", "refurbish", "fasten", "examine"]},
    "obj": {"s": ["door", "window", "bag", "lamp", "map", "box", "car", "desk", "gate", "chair", "shelf", "bike"],
            "c": ["apparatus", "correspondence", "luggage", "manuscript", "ledger", "vestibule", "mechanism",
                  "instrument", "cabinet", "wardrobe", "chandelier", "carriage"]},
    # --- humor (event segment) ---
    "rel": {"s": ["uncle", "aunt", "grandpa", "grandma", "cousin", "brother", "sister", "dad", "mom", "boss"],
            "c": ["godfather", "stepmother", "great-aunt", "housekeeper", "chauffeur", "butler", "governess",
                  "landlord", "stepfather", "brother-in-law"]},
    "animal": {"s": ["dog", "cat", "goat", "duck", "pig", "cow", "hen", "sheep", "horse", "frog"],
               "c": ["parrot", "llama", "penguin", "walrus", "flamingo", "ostrich", "armadillo", "platypus",
                     "peacock", "tortoise"]},
    "food": {"s": ["cake", "soup", "bread", "cookies", "sandwich", "pizza", "cheese", "jelly"],
             "c": ["souffle", "casserole", "croissant", "pudding", "lasagna", "quiche", "trifle", "goulash"]},
    "garment": {"s": ["a tutu", "a clown nose", "a silly hat", "big pajamas", "a clown wig"],
                "c": ["a sequined tutu", "an enormous wig", "polka-dot pajamas", "a feathered bonnet",
                      "a clown costume"]},
    "body": {"s": ["the committee", "the council", "the board", "the school board"],
             "c": ["the commission", "the tribunal", "the directorate", "the subcommittee"]},
    "official": {"s": ["the mayor", "the manager", "the judge", "the clerk"],
                 "c": ["the comptroller", "the magistrate", "the auditor", "the administrator"]},
    "doc": {"s": ["report", "budget", "plan", "contract", "rules", "tax forms"],
            "c": ["memorandum", "audit", "regulations", "expenditure", "legislation", "appropriations"]},
}

# Segment templates: _SEGMENTS[attribute][pole][formality] -> templates. Slots {name} are filled from
# _POOLS (by simplicity); {adj}/{feel}/{lv} resolve to the sentiment pole's pools, {int} to the
# register's intensifiers.
_SEGMENTS: dict[str, dict[int, dict[int, list[str]]]] = {
    "sentiment": {
        pole: {
            1: [  # formal
                "the {thing} was {int} {adj}",
                "it was {int} a {adj} {thing}",
                "i must say the {thing} was {adj}",
                "we were {int} {feel} about the {thing}",
                "i {lv} every moment of the {thing} , indeed",
                "i am {int} {feel} about the {thing}",
                "the {thing} , i must admit , was {adj}",
                "everyone was {int} {feel} at the {thing}",
            ],
            0: [  # informal
                "the {thing} was {int} {adj} lol",
                "dude , that {thing} was {int} {adj}",
                "we were {int} {feel} 'bout the {thing}",
                "i'm {int} {feel} 'cause the {thing} was {adj}",
                "gotta say i {lv} that {thing}",
                "that {thing} was {int} {adj} , ngl",
                "it's been a {int} {adj} {thing} , y'know",
                "everybody's {int} {feel} 'bout the {thing}",
            ],
        }
        for pole in (0, 1)
    },
    "politeness": {
        1: {
            1: [
                "would you kindly {verb} the {obj} , please",
                "kindly {verb} the {obj} , i would be most grateful",
                "may i kindly ask you to {verb} the {obj}",
                "please {verb} the {obj} , i shall be thankful",
                "would you be so kind as to {verb} the {obj}",
                "i would truly appreciate help with the {obj}",
            ],
            0: [
                "could ya {verb} the {obj} please , dude",
                "if ya don't mind , {verb} the {obj} please",
                "thanks a bunch if ya can {verb} the {obj}",
                "pretty please {verb} the {obj} for me , dude",
                "hey , could ya {verb} the {obj} ? thanks",
                "can ya {verb} the {obj} ? thanks a ton",
            ],
        },
        0: {
            1: [
                "{verb} the {obj} at once , you shall not argue",
                "{verb} the {obj} immediately , i shall hear no excuses",
                "i must demand you {verb} the {obj} this instant",
                "you must {verb} the {obj} now , and be quick",
                "do not waste my time , {verb} the {obj} immediately",
                "i shall not ask twice , {verb} the {obj}",
            ],
            0: [
                "just {verb} the stupid {obj} already , ugh",
                "{verb} the {obj} now , ya lazy bum",
                "hurry up and {verb} the dang {obj} , dude",
                "i don't care , {verb} the {obj} right now",
                "whatever dude , just {verb} the {obj} and quit whining",
                "ugh , {verb} the {obj} already , it ain't hard",
            ],
        },
    },
    "humor": {
        1: {
            1: [
                "my {rel} indeed slipped on a banana peel",
                "a {animal} wearing {garment} did indeed steal the {food}",
                "the {animal} sneezed , and i am still giggling",
                "my {rel} shall never attempt a somersault again",
                "my {rel} honked a tiny horn , most absurd",
                "my {rel} must wear {garment} to dinner",
            ],
            0: [
                "my {rel} slipped on a banana peel lol",
                "a {animal} in {garment} stole the {food} lol",
                "my {rel} tripped over a rubber chicken , i'm dyin'",
                "the {animal} got the hiccups and wouldn't stop wiggling",
                "lol my {rel} danced in {garment}",
                "the {animal} sneezed right into the {food} , dude",
            ],
        },
        0: {
            1: [
                "{body} has indeed reviewed the annual {doc}",
                "{official} has not yet signed the {doc}",
                "we must therefore discuss the {doc}",
                "{body} shall publish its findings tomorrow",
                "{official} certainly examined the {doc} before the meeting",
                "{official} would like the {doc} filed",
            ],
            0: [
                "{body} is gonna review the {doc} tomorrow",
                "we gotta finish the {doc} by the deadline",
                "{official} still hasn't signed the {doc} , yeah",
                "the meeting 'bout the {doc} got moved",
                "{official} wants the {doc} done by monday , dude",
                "{body} is kinda busy with the {doc}",
            ],
        },
    },
}

# Optional register flourishes at the start of a segment (each already a marker of its register).
_FLOURISH = {1: ["indeed ,", "moreover ,", "furthermore ,", "therefore ,"],
             0: ["yeah ,", "dude ,", "omg ,", "lol ,", "like , totally"]}
_FLOURISH_P = 0.2

# Joins between the three segments.
_JOIN_SIMPLE = [". then", ". also", ". next ,", ". and then", ". plus ,", ". after that ,"]
_JOIN_COMPLEX = [", whereupon", ", although", ", whereas", ", inasmuch as", ", albeit", ", which is why",
                 ", notwithstanding that"]

# --------------------------------------------------------------------------------------------
# Marker sets (the oracle's knowledge). Class 1 first.
# --------------------------------------------------------------------------------------------


def _pool_words(*names: str) -> set[str]:
    out: set[str] = set()
    for n in names:
        p = _POOLS[n]
        for lst in (p.values() if isinstance(p, dict) else [p]):
            for item in lst:
                out.update(item.split())
    return out


MARKERS: dict[str, tuple[frozenset, frozenset]] = {
    # (class-0 markers, class-1 markers)
    "sentiment": (
        frozenset(_pool_words("nadj", "nfeel", "nlv") | {"alas", "regrettably", "sadly", "bummer", "meh", "boo"}),
        frozenset(_pool_words("padj", "pfeel", "plv") | {"luckily", "happily", "gladly", "yay", "woohoo", "hooray"}),
    ),
    "politeness": (
        frozenset({"immediately", "once", "argue", "demand", "instant", "now", "quick", "waste", "twice",
                   "excuses", "stupid", "already", "ugh", "lazy", "bum", "hurry", "dang", "whatever",
                   "whining", "quit"}),
        frozenset({"please", "kindly", "kind", "grateful", "thank", "thanks", "thankful", "appreciate",
                   "bunch", "trouble", "convenient"}),
    ),
    "formality": (
        frozenset({"gonna", "wanna", "gotta", "kinda", "sorta", "lol", "dude", "yeah", "ya", "super",
                   "totally", "pretty", "hella", "mega", "wicked", "crazy", "insanely", "ngl", "omg", "ugh",
                   "dang", "bum", "hey"}),  # plus every token with an apostrophe
        frozenset({"indeed", "certainly", "truly", "quite", "exceedingly", "remarkably", "profoundly",
                   "singularly", "shall", "therefore", "moreover", "furthermore", "not", "cannot", "must",
                   "would", "may", "am"}),
    ),
    "simplicity": (
        frozenset({"whereupon", "although", "whereas", "inasmuch", "albeit", "which", "notwithstanding"}),
        frozenset({"then", "also", "next", "plus", "after"}),
    ),
    "humor": (
        frozenset(_pool_words("body", "official", "doc") - {"the", "school"}
                  | {"hearing", "meeting", "findings", "annual", "deadline", "filed", "forms"}),
        frozenset({"banana", "peel", "giggling", "tutu", "clown", "silly", "pajamas", "wig", "bonnet",
                   "costume", "sneezed", "somersault", "juggled", "hiccups", "wiggling", "rubber", "chicken",
                   "danced", "dyin'", "honked", "tiny", "horn", "absurd"}),
    ),
}


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------

def _pick(rng: np.random.Generator, seq: Sequence):
    return seq[int(rng.random() * len(seq))]


_SLOT = re.compile(r"\{(\w+)\}")
_VOWEL_EXCEPTIONS = ("eu", "uni", "use", "one")


def _fix_articles(text: str) -> str:
    toks = text.split(" ")
    for i in range(len(toks) - 1):
        if toks[i] == "a":
            nxt = toks[i + 1]
            if nxt[:1] in "aeiou" and not nxt.startswith(_VOWEL_EXCEPTIONS):
                toks[i] = "an"
    return " ".join(toks)


def _fill(rng: np.random.Generator, template: str, simp: str, alias: Mapping[str, str]) -> str:
    def sub(m):
        pool = _POOLS[alias.get(m.group(1), m.group(1))]
        return _pick(rng, pool[simp] if isinstance(pool, dict) else pool)

    return _SLOT.sub(sub, template)


def make_opener(rng: np.random.Generator) -> str:
    """A neutral lowercase sentence of 6-10 words ending in " ." (the generation prompt)."""
    template = _pick(rng, _OPENER_TEMPLATES)
    text = _SLOT.sub(lambda m: _pick(rng, _OPENER_POOLS[m.group(1)]), template)
    return _fix_articles(text)


def _check_values(values: Mapping[str, int]) -> None:
    for a in ATTRIBUTES:
        if a not in values:
            raise ValueError(f"values lack attribute {a!r}; need all of {', '.join(ATTRIBUTES)}")
        if values[a] not in (0, 1):
            raise ValueError(f"class of {a!r} must be 0 or 1, got {values[a]!r}")
    unknown = set(values) - set(ATTRIBUTES)
    if unknown:
        raise ValueError(f"unknown attribute(s) {sorted(unknown)}; allowed: {', '.join(ATTRIBUTES)}")


_PERMS = list(itertools.permutations(("sentiment", "politeness", "humor")))

# A pole-specific lead word puts the sentiment decision at the segment's first token, as the request and
# event templates do for politeness and humor (a small LM learns a choice made at one place far more
# easily than agreement between scattered adjective slots). _SENTIMENT_LEAD[pole][formal].
_SENTIMENT_LEAD = {
    1: {1: ["luckily ,", "happily ,", "gladly ,"], 0: ["yay ,", "woohoo ,", "hooray ,"]},
    0: {1: ["alas ,", "regrettably ,", "sadly ,"], 0: ["bummer ,", "meh ,", "boo ,"]},
}


def make_continuation(rng: np.random.Generator, values: Mapping[str, int]) -> str:
    """The styled continuation realising all five attribute `values` (about 20-40 words)."""
    _check_values(values)
    formal = int(values["formality"])
    simp = "s" if values["simplicity"] == 1 else "c"
    pos = int(values["sentiment"])
    alias = {
        "adj": "padj" if pos else "nadj",
        "feel": "pfeel" if pos else "nfeel",
        "lv": "plv" if pos else "nlv",
        "int": "int_f" if formal else "int_i",
    }
    order = _pick(rng, _PERMS)
    joins = _JOIN_SIMPLE if simp == "s" else _JOIN_COMPLEX
    j1 = int(rng.random() * len(joins))
    j2 = (j1 + 1 + int(rng.random() * (len(joins) - 1))) % len(joins)  # a different second join
    parts = []
    for k, attr in enumerate(order):
        seg = _fill(rng, _pick(rng, _SEGMENTS[attr][int(values[attr])][formal]), simp, alias)
        if attr == "sentiment":
            seg = _pick(rng, _SENTIMENT_LEAD[pos][formal]) + " " + seg
        if rng.random() < _FLOURISH_P:
            flourish = _pick(rng, _FLOURISH[formal])
            if seg.split(" ", 1)[0] != flourish.split(" ", 1)[0]:  # no "dude , dude , ..."
                seg = flourish + " " + seg
        if k:
            seg = joins[j1 if k == 1 else j2] + " " + seg
        parts.append(seg)
    return _fix_articles(" ".join(parts) + " .")


def make_text(rng: np.random.Generator, spec: WorldSpec, values: Mapping[str, int],
              with_descriptor: bool = False) -> str:
    """``[descriptor + " "] + opener + " " + continuation``; the descriptor describes one randomly
    chosen attribute (among those with descriptors) by its true value."""
    prefix = ""
    if with_descriptor:
        attr = _pick(rng, [a for a in ATTRIBUTES if a in spec.descriptors])
        prefix = spec.descriptors[attr][int(values[attr])] + " "
    return prefix + make_opener(rng) + " " + make_continuation(rng, values)


# --------------------------------------------------------------------------------------------
# Oracle
# --------------------------------------------------------------------------------------------

def strip_descriptor(text: str, descriptors: Mapping | None = None) -> str:
    """Remove a leading descriptor sentence: any of `descriptors` (default: DEFAULT_DESCRIPTORS) or
    any first sentence starting with "the following"."""
    text = text.strip()
    table = _normalise_descriptors(descriptors) if descriptors is not None else DEFAULT_DESCRIPTORS
    for poles in table.values():
        for d in poles.values():
            if text.startswith(d):
                return text[len(d):].strip()
    if text.startswith("the following"):
        toks = text.split()
        if "." in toks:
            return " ".join(toks[toks.index(".") + 1:])
    return text


def marker_counts(text: str, descriptors: Mapping | None = None) -> dict[str, tuple[int, int]]:
    """attribute -> (number of class-0 markers, number of class-1 markers) in `text`."""
    toks = strip_descriptor(text.lower(), descriptors).split()
    out = {}
    for attr in ATTRIBUTES:
        m0, m1 = MARKERS[attr]
        c0 = sum(t in m0 for t in toks)
        c1 = sum(t in m1 for t in toks)
        if attr == "formality":
            c0 += sum(("'" in t) and (t not in m0) for t in toks)
        out[attr] = (c0, c1)
    return out


def oracle(text: str, descriptors: Mapping | None = None) -> dict[str, float]:
    """Each attribute's value in `text`: 1.0 / 0.0 by majority of pole markers, 0.5 when undecided
    (no markers or a tie). Works on continuations and on full texts (opener, descriptor)."""
    out = {}
    for attr, (c0, c1) in marker_counts(text, descriptors).items():
        out[attr] = 1.0 if c1 > c0 else 0.0 if c0 > c1 else 0.5
    return out


def continuation_words(text: str) -> int:
    """Number of words (whitespace tokens that are not punctuation)."""
    return sum(1 for t in text.split() if any(ch.isalnum() for ch in t))
