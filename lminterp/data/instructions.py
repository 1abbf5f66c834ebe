"""The numeric-level instruction a prompted model receives (paper A.4, lowercased, punctuation spaced). In the
tiny world a share of the pretraining texts starts with it, and the text that follows realises the level: the
attribute takes class 1 with probability = level (so that prompting is a learnable, fair baseline)."""
from __future__ import annotations

from typing import Sequence

from lminterp.specs import format_number


DEFAULT_INSTRUCTION = ("complete this story so that it embodies a {attribute} score of {level} , where 0 is "
                       "{class_0} and 1 is {class_1} :")
DEFAULT_INSTRUCTION_LEVELS = tuple(round(0.1 * k, 1) for k in range(11))


def instruction_text(template: str, attribute: str, level: float, class_names: Sequence[str]) -> str:
    """The instruction asking for `level` of `attribute` (the level written as in model names: 0.3, 1, 0)."""
    return template.format(attribute=attribute, level=format_number(level), class_0=class_names[0],
                           class_1=class_names[1])
