"""Weight-space figures (fig31-33): factored inner products against dense float64 ones, cosine and distance
with known answers, the MDS layout, and the numpy reader against the torch one on peft's own format."""
import json

import numpy as np
import pytest
from safetensors.numpy import save_file

from lminterp.numbers import weight_space as W
from lminterp.training.adapter_files import read_adapter_numpy
from lminterp.evaluation.results import ResultFiles

MODULES = ["model.layers.0.self_attn.q_proj", "model.layers.0.mlp.down_proj", "model.layers.1.self_attn.q_proj"]
SHAPES = {"q_proj": (12, 12), "down_proj": (12, 20)}   # (d_out, d_in)


def _factors(rng, r=4, scale=1.0):
    out = {}
    for m in MODULES:
        d_out, d_in = SHAPES[m.rsplit(".", 1)[1]]
        out[m] = (rng.normal(size=(r, d_in)), scale * rng.normal(size=(d_out, r)), 16.0 / r)
    return out


def _save(path, factors, r=4, alpha=16.0):
    path.mkdir(parents=True)
    tensors = {}
    for m, (A, B, _) in factors.items():
        tensors[f"base_model.model.{m}.lora_A.weight"] = A.astype(np.float32)
        tensors[f"base_model.model.{m}.lora_B.weight"] = B.astype(np.float32)
    save_file(tensors, str(path / "adapter_model.safetensors"))
    (path / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": r, "lora_alpha": alpha}))
    return path


def test_factored_inner_products_equal_dense_float64():
    rng = np.random.default_rng(0)
    adapters = {"a": _factors(rng), "b": _factors(rng), "c": _factors(rng)}
    modules, gram = W.gram_per_module(adapters)
    for mi, m in enumerate(modules):
        for i, x in enumerate(adapters):
            for j, y in enumerate(adapters):
                want = W.dense_inner(adapters[x][m], adapters[y][m])
                assert gram[mi, i, j] == pytest.approx(want, rel=1e-10)


def test_cosine_and_distance_known_answers():
    rng = np.random.default_rng(1)
    a = _factors(rng)
    double = {m: (A, 2.0 * B, s) for m, (A, B, s) in a.items()}          # 2 dW: cosine 1, distance |dW|^2
    neg = {m: (A, -B, s) for m, (A, B, s) in a.items()}                  # -dW: cosine -1, distance 4 |dW|^2
    # an update in an orthogonal subspace: rows of A and columns of B disjoint from a's
    ortho = {}
    for m, (A, B, s) in a.items():
        A2, B2 = np.zeros_like(A), np.zeros_like(B)
        A2[:, :2] = rng.normal(size=(A.shape[0], 2))
        B2[:2, :] = rng.normal(size=(2, B.shape[1]))
        A1, B1 = A.copy(), B.copy()
        A1[:, :2] = 0.0
        B1[:2, :] = 0.0
        a[m] = (A1, B1, s)
        ortho[m] = (A2, B2, s)
        double[m] = (A1, 2.0 * B1, s)
        neg[m] = (A1, -B1, s)
    _, gram = W.gram_per_module({"a": a, "2a": double, "-a": neg, "o": ortho})
    cos = W.cosine_matrix(gram)
    assert cos[0, 1] == pytest.approx(1.0) and cos[0, 2] == pytest.approx(-1.0) and cos[0, 3] == pytest.approx(0.0, abs=1e-12)
    sq = W.squared_distance_matrix(gram)
    norms = np.einsum("mii->mi", gram)[:, 0]
    assert sq[0, 1] == pytest.approx(norms.mean()) and sq[0, 2] == pytest.approx(4 * norms.mean())
    assert sq[0, 3] == pytest.approx((norms + np.einsum("mii->mi", gram)[:, 3]).mean())   # Pythagoras
    assert np.allclose(np.diag(sq), 0.0)


def _files(tmp_path, attributes, rng):
    dirs = []
    for a in attributes:
        for pole in (0, 1):
            dirs.append(_save(tmp_path / f"{a}-{pole}", _factors(rng, scale=1.0 + pole)))
    return ResultFiles(adapters=dirs)


def test_tables_and_mds(tmp_path):
    rng = np.random.default_rng(2)
    cfg = {"attributes": ["humor", "formality"], "weight_space": {"mds_alpha_step": 0.25, "mds_seed": 0}}
    files = _files(tmp_path, cfg["attributes"], rng)
    cos = W.cosine_table(files, cfg)
    assert len(cos) == 16 and set(cos["anchor_i"]) == {"humor-", "humor+", "formality-", "formality+"}
    assert np.allclose(cos[cos["anchor_i"] == cos["anchor_j"]]["cosine"], 1.0)
    dist = W.distance_table(files, cfg)
    assert (dist["sq_l2"] >= -1e-9).all()
    mds = W.mds_table(files, cfg)
    assert len(mds) == 2 * 5 and sorted(set(mds["alpha"])) == [0.0, 0.25, 0.5, 0.75, 1.0]
    # an interpolation lies between its anchors: in the embedding its distance to them adds up (collinear)
    h = mds[mds["attribute"] == "humor"].set_index("alpha")[["x", "y"]].to_numpy()
    whole = np.linalg.norm(h[-1] - h[0])
    assert np.linalg.norm(h[2] - h[0]) + np.linalg.norm(h[-1] - h[2]) == pytest.approx(whole, rel=0.05)


def test_numpy_reader_matches_the_torch_reader_on_peft_files(tmp_path):
    torch = pytest.importorskip("torch")
    from transformers import LlamaConfig, LlamaForCausalLM

    from lminterp.mixing.adapters import load_peft_adapter
    from lora_helpers import save_random_adapters

    base = LlamaForCausalLM(LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=24, num_hidden_layers=2,
                                        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=32))
    dirs = save_random_adapters(base, {"x-1": {"r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "down_proj"]}},
                                tmp_path, seed0=0, b_std=0.1)
    _, np_mods = read_adapter_numpy(dirs["x-1"])
    _, torch_mods = load_peft_adapter(dirs["x-1"])
    assert set(np_mods) == set(torch_mods) and len(np_mods) == 4
    for m, (A, B, s) in np_mods.items():
        tA, tB, ts = torch_mods[m]
        assert s == ts == 2.0
        assert np.array_equal(A, tA.double().numpy()) and np.array_equal(B, tB.double().numpy())
    assert torch.is_tensor(tA)


def test_cosine_check_reads_orthogonal_and_aligned_attributes(tmp_path):
    """Claim 6's number: mean |cosine| between anchors of different attributes. Independent random updates in a
    large space are nearly orthogonal (passes); anchors that all share one update are not (fails)."""
    cfg = {"attributes": ["humor", "formality", "sentiment"]}
    rng = np.random.default_rng(3)
    big = {m: (rng.normal(size=(4, 400)), rng.normal(size=(400, 4)), 4.0) for m in MODULES[:1]}
    dirs_ortho, dirs_same = [], []
    for a in cfg["attributes"]:
        for pole in (0, 1):
            own = {m: (rng.normal(size=(4, 400)), rng.normal(size=(400, 4)), 4.0) for m in MODULES[:1]}
            dirs_ortho.append(_save(tmp_path / "ortho" / f"{a}-{pole}", own))
            dirs_same.append(_save(tmp_path / "same" / f"{a}-{pole}", big))
    got = W.cosine_check(ResultFiles(adapters=dirs_ortho), cfg)
    assert got["passed"] and got["mean_abs_cosine_between_attributes"] < 0.05
    same = W.cosine_check(ResultFiles(adapters=dirs_same), cfg)
    assert not same["passed"] and same["mean_abs_cosine_between_attributes"] == pytest.approx(1.0)
