"""Training that survives a kill: the state of a training loop saved every N steps outside the declared outputs,
and resumed when the job is rerun, so that the resumed run ends with the same bytes as an uninterrupted one.

A checkpoint holds everything the next step depends on: the trained parameters, the optimizer and scheduler
states, torch's CPU random state (dropout masks), the step and the losses so far. The batch order comes from a
seeded index stream that the loop replays up to the step. A checkpoint is keyed by a hash of the training's
arguments and data: one written under other settings is discarded, never resumed from. It lives in
`<output's parent>/.checkpoints/<output's name>/` (Snakemake deletes a killed job's outputs, not this), and the
job deletes it once every output is written. Config: `checkpoints.every_steps` (0: off), a speed setting that
changes no result and reruns nothing."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any, Mapping

import torch

STATE = "state.pt"
KEY = "key.json"


def checkpoint_dir(out_dir: str | os.PathLike) -> Path:
    out = Path(out_dir)
    return out.parent / ".checkpoints" / out.name


def training_key(**what: Any) -> str:
    """A hash of a training's arguments (anything JSON can write; texts as a list of strings)."""
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()


class Checkpointer:
    """Save and resume one training loop (`every` steps; 0 or a missing directory: off)."""

    def __init__(self, directory: str | os.PathLike | None, every: int, key: str):
        self.directory = Path(directory) if directory is not None else None
        self.every = int(every or 0)
        self.key = key

    @property
    def active(self) -> bool:
        return self.directory is not None and self.every > 0

    def due(self, step_done: int, n_steps: int) -> bool:
        """Whether to save after `step_done` steps: every `every` steps, and at the end (so that a job training
        several models in a row does not retrain a finished one after a kill)."""
        return self.active and (step_done % self.every == 0 or step_done == n_steps)

    def load(self) -> dict | None:
        if not self.active or not (self.directory / STATE).is_file():
            return None
        try:
            stored = json.loads((self.directory / KEY).read_text())["key"]
        except (OSError, ValueError, KeyError):
            stored = None
        if stored != self.key:
            print(f"checkpoint {self.directory}: written for other settings or data, discarded")
            self.clear()
            return None
        state = torch.load(self.directory / STATE, map_location="cpu", weights_only=False)
        print(f"checkpoint {self.directory}: resuming after step {state['step']}")
        return state

    def save(self, state: Mapping[str, Any]) -> None:
        """Write atomically: a kill while saving leaves the previous checkpoint."""
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.directory / f".{STATE}.tmp"
        torch.save(dict(state), tmp)
        (self.directory / KEY).write_text(json.dumps({"key": self.key}))
        os.replace(tmp, self.directory / STATE)

    def clear(self) -> None:
        if self.directory is not None and self.directory.exists():
            shutil.rmtree(self.directory, ignore_errors=True)
            parent = self.directory.parent
            if parent.name == ".checkpoints" and parent.exists() and not any(parent.iterdir()):
                parent.rmdir()


    def resume(self, model, optimizer, scheduler, replay_batches) -> tuple[list[float], int, int]:
        """Restore a training loop from the last checkpoint, if any: parameters, optimizer, scheduler and torch's
        random state; `replay_batches(n)` advances the loop's seeded batch stream past n steps. Returns
        (losses so far, tokens so far, the step to continue from)."""
        state = self.load()
        if state is None:
            return [], 0, 0
        restore_trainable(model, state["params"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        replay_batches(int(state["step"]))
        torch.set_rng_state(state["torch_rng"])    # last: what the next step's dropout draws depend on
        return list(state["losses"]), int(state["n_tokens"]), int(state["step"])

    def save_loop(self, step: int, model, optimizer, scheduler, losses, n_tokens: int) -> None:
        self.save({"step": step, "params": trainable_state(model), "optimizer": optimizer.state_dict(),
                   "scheduler": scheduler.state_dict(), "torch_rng": torch.get_rng_state(),
                   "losses": list(losses), "n_tokens": int(n_tokens)})


def trainable_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def restore_trainable(model: torch.nn.Module, state: Mapping[str, torch.Tensor]) -> None:
    params = {n: p for n, p in model.named_parameters() if p.requires_grad}
    if set(params) != set(state):
        raise ValueError("checkpoint: its parameters are not the model's (a different architecture or adapter)")
    with torch.no_grad():
        for n, p in params.items():
            p.copy_(state[n])
