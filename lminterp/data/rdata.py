"""A reader of R's serialized data, enough to take character vectors out of an R package's data (the lazy-load
database ``data/Rdata.rdx`` + ``data/Rdata.rdb`` that R packages ship), with no R installed: the real-text packages
(lminterp/data/real_text.py) hold Jane Austen's novels and the Harvard sentences that way.

The format is R's XDR serialization, versions 2 and 3 (R Internals, "Serialization formats"): big-endian ints, each
item a flags word (type in the low byte, has-attributes bit 9, has-tag bit 10) and its body. The types a data set
holds are read: NULL, symbols and references to them, pairlists (attributes), character, logical, integer, double
and raw vectors, lists, and ALTREP's compact sequences and wrappers; anything else is refused by name."""
from __future__ import annotations

import bz2
import gzip
import lzma
import os
import struct
import zlib
from dataclasses import dataclass, field

NIL, SYM, LIST, CHAR, LGL, INT, REAL, STR, VEC, RAW = 254, 1, 2, 9, 10, 13, 14, 16, 19, 24
REF, ALTREP, NAMESPACE, PACKAGE, ENV = 255, 238, 249, 250, 4
EMPTY_ENV, BASE_ENV, GLOBAL_ENV, UNBOUND, MISSING, BASE_NAMESPACE = 242, 241, 253, 252, 251, 247


class RDataError(ValueError):
    """Not R serialized data, or a type this reader does not read."""


@dataclass
class RObject:
    kind: str                       # "str", "int", "real", "lgl", "raw", "list", "pairlist", "special"
    value: object
    attrs: dict = field(default_factory=dict)

    @property
    def names(self) -> list[str] | None:
        n = self.attrs.get("names")
        return list(n.value) if isinstance(n, RObject) else None


class _Reader:
    def __init__(self, data: bytes):
        self.d, self.p, self.refs = data, 0, []

    def int(self) -> int:
        (v,) = struct.unpack_from(">i", self.d, self.p)
        self.p += 4
        return v

    def length(self) -> int:
        n = self.int()
        return (self.int() << 32) + self.int() if n == -1 else n

    def header(self) -> "_Reader":
        if self.d[:2] != b"X\n":
            raise RDataError("not R's XDR serialization (no 'X\\n' header)")
        self.p = 2
        version = self.int()
        self.int(), self.int()                         # the writer's and the minimal reader's R versions
        if version == 3:
            n = self.int()                             # the native encoding's name
            self.p += n
        elif version != 2:
            raise RDataError(f"serialization version {version} (2 and 3 are read)")
        return self

    def item(self):
        flags = self.int()
        t, has_attr, has_tag = flags & 0xFF, bool(flags & (1 << 9)), bool(flags & (1 << 10))
        if t == NIL:
            return None
        if t in (EMPTY_ENV, BASE_ENV, GLOBAL_ENV, UNBOUND, MISSING, BASE_NAMESPACE):
            return RObject("special", t)
        if t == REF:
            index = (flags >> 8) or self.int()
            return self.refs[index - 1]
        if t in (NAMESPACE, PACKAGE):
            self.int()
            obj = RObject("special", [self.item() for _ in range(self.int())])
            self.refs.append(obj)
            return obj
        if t == SYM:
            name = self.item()
            self.refs.append(name)
            return name
        if t == ENV:
            obj = RObject("special", "environment")
            self.refs.append(obj)
            self.int()
            for _ in range(4):                         # enclosure, frame, hash table, attributes
                self.item()
            return obj
        if t == LIST:
            cells = []
            while True:                                # a pairlist's cdr chain, read iteratively
                if has_attr:
                    self.item()
                tag = self.item() if has_tag else None
                cells.append((tag, self.item()))
                save, nxt = self.p, self.int()
                if nxt & 0xFF == LIST:
                    has_attr, has_tag = bool(nxt & (1 << 9)), bool(nxt & (1 << 10))
                    continue
                self.p = save
                self.item()
                return RObject("pairlist", cells)
        if t == CHAR:
            n = self.int()
            if n == -1:
                return None                            # NA_character_
            s = self.d[self.p:self.p + n]
            self.p += n
            return s.decode("latin-1" if (flags >> 12) & 4 else "utf-8", errors="replace")
        if t == ALTREP:
            info, state, attr = self.item(), self.item(), self.item()
            cls = info.value[0][1] if isinstance(info, RObject) and info.kind == "pairlist" else None
            if cls in ("compact_intseq", "compact_realseq"):
                n, start, step = state.value
                kind, cast = ("int", int) if cls == "compact_intseq" else ("real", float)
                return RObject(kind, [cast(start + k * step) for k in range(int(n))], _attrs(attr))
            if isinstance(cls, str) and cls.startswith("wrap_"):
                return state.value[0]
            if cls == "deferred_string":
                inner = state.value[0][1] if state.kind == "pairlist" else state
                return RObject("str", [str(x) for x in inner.value])
            raise RDataError(f"ALTREP class {cls!r} is not read")
        if t in (LGL, INT):
            n = self.length()
            value = list(struct.unpack_from(f">{n}i", self.d, self.p))
            self.p += 4 * n
        elif t == REAL:
            n = self.length()
            value = list(struct.unpack_from(f">{n}d", self.d, self.p))
            self.p += 8 * n
        elif t == RAW:
            n = self.length()
            value = self.d[self.p:self.p + n]
            self.p += n
        elif t in (STR, VEC):
            value = [self.item() for _ in range(self.length())]
        else:
            raise RDataError(f"R type {t} at byte {self.p - 4} is not read")
        kind = {LGL: "lgl", INT: "int", REAL: "real", RAW: "raw", STR: "str", VEC: "list"}[t]
        return RObject(kind, value, _attrs(self.item()) if has_attr else {})


def _attrs(pairlist) -> dict:
    return {tag: value for tag, value in pairlist.value} if isinstance(pairlist, RObject) else {}


def unserialize(data: bytes):
    return _Reader(data).header().item()


def _inflate(blob: bytes) -> bytes:
    """One compressed object of a lazy-load database: a 4-byte length, then zlib data, or a type byte ('Z' bzip2,
    'X' xz, '0' none) and the data."""
    (n,) = struct.unpack(">I", blob[:4])
    body = blob[4:]
    kind = body[:1]
    out = {b"Z": lambda b: bz2.decompress(b[1:]), b"X": lambda b: lzma.decompress(b[1:]),
           b"0": lambda b: b[1:]}.get(kind, zlib.decompress)(body)
    if len(out) != n:
        raise RDataError(f"a lazy-load object inflates to {len(out)} bytes, its header says {n}")
    return out


def read_lazyload(prefix: str | os.PathLike) -> dict[str, object]:
    """Every object of the lazy-load database ``<prefix>.rdx`` / ``<prefix>.rdb`` (e.g. ``.../data/Rdata``)."""
    return read_lazyload_bytes(open(f"{prefix}.rdx", "rb").read(), open(f"{prefix}.rdb", "rb").read())


def read_lazyload_bytes(rdx: bytes, rdb: bytes) -> dict[str, object]:
    index = unserialize(gzip.decompress(rdx) if rdx[:2] == b"\x1f\x8b" else _inflate(rdx))
    parts = dict(zip(index.names, index.value))
    variables = parts["variables"]
    out = {}
    for name, where in zip(variables.names, variables.value):
        offset, length = (int(x) for x in where.value)
        out[name] = unserialize(_inflate(rdb[offset:offset + length]))
    return out
