"""How a text becomes token ids, alike in LM training, generation and perplexity: a leading bos exactly where the
model's own tokenizer puts one (Llama-2 and the tiny world's tokenizer do, SmolLM2's does not), so that a model
is trained, prompted and scored on text framed the way it was pretrained on."""
from __future__ import annotations

__all__ = ["adds_bos"]


def adds_bos(tokenizer) -> bool:
    """Whether ``tokenizer(text)`` starts its ids with the bos token (probed on a short text)."""
    bos = getattr(tokenizer, "bos_token_id", None)
    if bos is None:
        return False
    probe = tokenizer("a")["input_ids"]
    return len(probe) > 0 and int(probe[0]) == int(bos)
