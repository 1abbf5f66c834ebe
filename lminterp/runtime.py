"""Per-job set-up shared by the workflow scripts: log file, thread count, offline hub, seeds.

The library never imports Snakemake; scripts pass plain values in."""
from __future__ import annotations

import atexit
import gc
import os
import random
import sys
from pathlib import Path


# The same bits on every x86 machine with AVX2 (config cpu_kernels: avx2; paper/METHODS.md, "The same numbers on every
# machine"): torch's own kernels at AVX2 whatever the processor offers, oneDNN (GELU) compiled for AVX2, and MKL on its
# COMPATIBLE branch, the one it keeps equal on Intel and AMD alike (its AVX2 branch differs between vendors). Read
# when torch loads, so they are set in the environment that starts a job (rules/common.smk, scripts/cross_cpu.py).
PINNED_KERNELS = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_CBWR": "COMPATIBLE"}


def _freeze_at_exit() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, ValueError, OSError):
            pass
    gc.freeze()


def hide_bitsandbytes() -> None:
    """Make this process treat bitsandbytes as not installed (no-op once it is imported).

    peft imports bitsandbytes whenever it is installed, which costs about 1 s per job (measured), while
    only 4-bit training on a GPU uses it. ``importlib.util.find_spec`` returns None for a module whose
    ``sys.modules`` entry is None, so peft's and transformers' availability checks then say False and
    skip it. Call this before importing peft, in jobs that do not quantize."""
    if "bitsandbytes" not in sys.modules:
        sys.modules["bitsandbytes"] = None


def job_setup(log_path: str | os.PathLike | None, threads: int = 1, seed: int | None = None,
              offline: bool = True, torch_needed: bool = True) -> None:
    """Send stdout/stderr (progress bars included) to the rule's log, fix threads and seeds."""
    # At exit, CPython's final garbage collections walk every object that torch and transformers created
    # (about a second per job, measured); frozen objects are skipped. Nothing is lost: the job is over.
    atexit.register(_freeze_at_exit)
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        stream = open(log_path, "w", buffering=1, encoding="utf-8")
        sys.stdout = stream
        sys.stderr = stream
    if offline:
        for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
            os.environ[var] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    if seed is not None:
        random.seed(seed)
    if torch_needed:
        import torch

        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:  # already set in this process
            pass
        if seed is not None:
            torch.manual_seed(seed)
