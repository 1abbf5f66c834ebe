"""The reviewer's archive (lminterp/report/archive.py) on a hand-made results directory: what goes in, checksums, times,
and every way an unpack must refuse. The round trip on a real build is in test_workflow."""
import io
import os
import tarfile

import pytest

from lminterp.report import archive as A


@pytest.fixture()
def built(tmp_path):
    work = tmp_path / "built"
    files = {"results/adapters/anchor/sentiment-0/adapter_model.safetensors": b"weights",
             "results/scores/interp_sentiment-a0.5.csv": b"score\n0.5\n",
             "results/data/sentiment/lm_train_1.txt": b"a text\n",
             "results/claims.csv": b"rebuilt\n", "results/checks.json": b"{}\n",
             "results/base/tokenizer/.snakemake_timestamp": b"",
             "results/scores/.interp.csv.123.tmp": b"half-written",
             "results/adapters/anchor/.checkpoints/humor-1/state.pt": b"a killed job's training state"}
    for i, (rel, data) in enumerate(files.items()):
        path = work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (1_700_000_000 + i, 1_700_000_000 + i))
    os.utime(work / "results/base/tokenizer", (1_600_000_000, 1_600_000_000))   # a directory output's date
    return work


def _pack(work, tmp_path):
    cwd = os.getcwd()
    os.chdir(work)
    try:
        desc = A.pack("results", tmp_path / "a.tar.gz", {"world": "tiny", "seed": 1}, {"git_commit": "abc"})
    finally:
        os.chdir(cwd)
    return desc, tmp_path / "a.tar.gz"


def test_round_trip_keeps_bytes_and_times_and_leaves_out_what_is_rebuilt(built, tmp_path):
    desc, archive = _pack(built, tmp_path)
    assert desc["files"] == 4 and desc["files_per_kind"] == {"adapters": 1, "base": 1, "data": 1, "scores": 1}
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    got = A.unpack(archive, fresh)
    assert got["config"] == {"world": "tiny", "seed": 1} and got["git_commit"] == "abc"
    for rel in ("results/adapters/anchor/sentiment-0/adapter_model.safetensors",
                "results/scores/interp_sentiment-a0.5.csv", "results/data/sentiment/lm_train_1.txt"):
        assert (fresh / rel).read_bytes() == (built / rel).read_bytes()
        assert (fresh / rel).stat().st_mtime == (built / rel).stat().st_mtime   # Snakemake compares these
    # a directory output is dated by Snakemake's timestamp file inside it and by its own time: both travel
    assert (fresh / "results/base/tokenizer/.snakemake_timestamp").exists()
    assert (fresh / "results/base/tokenizer").stat().st_mtime == 1_600_000_000
    assert not (fresh / "results/claims.csv").exists() and not (fresh / "results/checks.json").exists()
    assert not list((fresh / "results/scores").glob(".*"))                      # no temporary file travels
    assert not (fresh / "results/adapters/anchor/.checkpoints").exists()       # nor a stale checkpoint
    assert [p.name for p in fresh.iterdir()] == ["results"]                     # no staging left behind


def test_unpack_refuses_to_overwrite_results(built, tmp_path):
    _, archive = _pack(built, tmp_path)
    with pytest.raises(A.ArchiveError, match="exists and is not empty"):
        A.unpack(archive, built)
    assert (built / "results/claims.csv").read_bytes() == b"rebuilt\n"


def _rewrite(archive, out, change):
    """Copy the archive member by member, with `change(name, data) -> data or None (drop)`."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(out, "w:gz") as dst:
        for m in src.getmembers():
            if m.isdir():
                dst.addfile(m)
                continue
            data = change(m.name, src.extractfile(m).read())
            if data is not None:
                m.size = len(data)
                dst.addfile(m, io.BytesIO(data))
    return out


def test_a_damaged_archive_lands_nothing(built, tmp_path):
    _, archive = _pack(built, tmp_path)
    damaged = _rewrite(archive, tmp_path / "damaged.tar.gz",
                       lambda n, d: b"flipped" if n.endswith(".safetensors") else d)
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    with pytest.raises(A.ArchiveError, match="1 files do not match their checksums.*safetensors"):
        A.unpack(damaged, fresh)
    assert list(fresh.iterdir()) == []
    missing = _rewrite(archive, tmp_path / "missing.tar.gz", lambda n, d: None if n.endswith(".txt") else d)
    with pytest.raises(A.ArchiveError, match="files and manifest disagree.*lm_train_1.txt"):
        A.unpack(missing, fresh)
    assert list(fresh.iterdir()) == []


def test_unpack_refuses_paths_outside_the_clone(tmp_path):
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        info = tarfile.TarInfo("../outside.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(A.ArchiveError, match="outside the working directory"):
        A.unpack(evil, tmp_path)
    assert not (tmp_path.parent / "outside.txt").exists()


def test_pack_says_what_to_do_without_results(tmp_path):
    with pytest.raises(A.ArchiveError, match=r"build the targets first \(./repro build all\)"):
        A.members(tmp_path / "results")
