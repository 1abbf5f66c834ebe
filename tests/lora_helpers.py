"""Shared by the engine tests: random LoRA adapters saved in peft's own format."""
from __future__ import annotations

import copy
from pathlib import Path

import torch
from peft import LoraConfig, get_peft_model


def save_random_adapters(base, adapters: dict[str, dict], root, *, seed0: int, b_std: float) -> dict[str, Path]:
    """Save one peft adapter per ``name -> LoraConfig kwargs`` under ``root/name``: A from peft's init with
    ``torch.manual_seed(seed0 + i)``, B ~ N(0, b_std) (peft initialises B to zero, which would make every
    adapter a no-op). Returns ``name -> directory``."""
    dirs = {}
    for i, (name, kw) in enumerate(adapters.items()):
        torch.manual_seed(seed0 + i)
        pm = get_peft_model(copy.deepcopy(base), LoraConfig(lora_dropout=0.0, **kw))
        with torch.no_grad():
            for n, p in pm.named_parameters():
                if "lora_B" in n:
                    p.normal_(0.0, b_std)
        dirs[name] = Path(root) / name
        pm.save_pretrained(str(dirs[name]))
    return dirs
