"""Do the training loops give the same bits on other x86 processors? Trains a tiny classifier, pretrains a tiny
base and trains one LoRA adapter on the tiny world's texts, with the kernels pinned as `cpu_kernels: avx2` pins
them (lminterp.runtime.PINNED_KERNELS), and prints a hash of each result; then runs itself again under QEMU's
user-mode emulation of other processors (`apt-get install qemu-user`; about 3 minutes each) and compares.

    .venv/bin/python scripts/cross_cpu.py [--cpus EPYC-Rome-v1,Haswell-v4] [--unpinned]

`--unpinned` runs with the kernels left to the processor and MKL's AVX2 branch with the default AdamW loop (what the
package did before): the hashes then differ. QEMU computes approximate instructions (rcpps, rsqrtps) exactly, unlike
any real processor, so equal hashes under emulation also show that no such instruction reaches the results.
Exit status 0 when every processor gives the native hashes, 1 otherwise."""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _digest(directory: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(directory.glob("*.safetensors")))).hexdigest()[:16]


def child(unpinned: bool) -> None:
    """Train the three kinds of model and print one line "name hash seconds" each."""
    from lminterp.runtime import job_setup

    job_setup(None, threads=1, seed=0)
    import torch

    import lminterp.training.loop as L
    if unpinned:   # the loops before fused AdamW (patched before the loops import it)
        L.adamw = lambda params, device, **kw: torch.optim.AdamW(params, **kw)
    from lminterp.training.classifier import score_texts, train_classifier
    from lminterp.data.tiny_world import classifier_records, pretrain_records
    from lminterp.training.lora import LoraSettings, train_lora_adapter
    from lminterp.training.pretrain import pretrain_base_model
    from lminterp.training.tokenizer import train_tokenizer
    from lminterp.data.world import WorldSpec

    spec = WorldSpec()
    texts = [r["text"] for r in pretrain_records(0, spec, 200)]
    tok = train_tokenizer(texts, 400)
    train, used = classifier_records(0, spec, "humor", "train", 24, set())
    val, _ = classifier_records(0, spec, "humor", "validation", 8, used)
    out = Path(tempfile.mkdtemp())
    t = time.perf_counter()
    _, model = train_classifier(train, val, val, tok, {"hidden_size": 64, "intermediate_size": 128,
                                "num_hidden_layers": 1, "num_attention_heads": 2}, epochs=1, batch_size=16,
                                learning_rate=1e-3, max_length=64, seed=0, out_dir=None, progress=False,
                                return_model=True)
    scores = score_texts(model, tok, [r["text"] for r in val])
    print("classifier", hashlib.sha256(scores.tobytes()).hexdigest()[:16], f"{time.perf_counter() - t:.1f}", flush=True)
    arch = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2,
            "num_key_value_heads": 2, "max_position_embeddings": 128}
    t = time.perf_counter()
    pretrain_base_model(texts[:32], tok, arch, steps=3, batch_size=8, learning_rate=3e-3, warmup_steps=1,
                          max_length=64, seed=0, out_dir=out / "base", progress=False)
    print("pretrain", _digest(out / "base"), f"{time.perf_counter() - t:.1f}", flush=True)
    t = time.perf_counter()
    settings = LoraSettings(r=4, lora_alpha=8, dropout=0.1, learning_rate=5e-3, batch_size=8, max_length=64, seed=0,
                            steps=2)
    train_lora_adapter(str(out / "base"), tok, texts[32:48], settings, out_dir=out / "lora", progress=False)
    print("lora", _digest(out / "lora"), f"{time.perf_counter() - t:.1f}", flush=True)
    shutil.rmtree(out, ignore_errors=True)


def run(cpu: str | None, unpinned: bool) -> dict[str, str]:
    from lminterp.runtime import PINNED_KERNELS

    env = dict(os.environ)
    for k in PINNED_KERNELS:
        env.pop(k, None)
    env.update({"MKL_CBWR": "AVX2"} if unpinned else PINNED_KERNELS)
    cmd = [sys.executable, __file__, "--child"] + (["--unpinned"] if unpinned else [])
    if cpu:
        cmd = ["qemu-x86_64", "-cpu", cpu] + cmd
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [line.split() for line in proc.stdout.splitlines() if line.split()[:1] and
             line.split()[0] in ("classifier", "pretrain", "lora")]
    if proc.returncode != 0 or len(lines) != 3:
        raise SystemExit(f"{cpu or 'native'}: the run failed:\n{proc.stderr[-2000:]}")
    return {name: digest for name, digest, _ in lines}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cpus", default="EPYC-Rome-v1,Haswell-v4", help="QEMU CPU models, comma-separated")
    ap.add_argument("--unpinned", action="store_true", help="the kernels and AdamW as before the pinning")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.unpinned)
        return 0
    if shutil.which("qemu-x86_64") is None:
        print("needs qemu-x86_64 (apt-get install qemu-user)", file=sys.stderr)
        return 2
    native = run(None, args.unpinned)
    same = True
    print(f"{'':<14}" + "".join(f"{k:<23}" for k in native))
    print(f"{'native':<14}" + "".join(f"{v:<23}" for v in native.values()))
    for cpu in args.cpus.split(","):
        got = run(cpu, args.unpinned)
        print(f"{cpu:<14}" + "".join(f"{got[k] + (' =' if got[k] == v else ' DIFF'):<23}" for k, v in native.items()))
        same &= got == native
    print("same bits on every processor" if same else "the processors differ")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
