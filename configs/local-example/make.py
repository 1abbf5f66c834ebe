"""Writes the example data files of configs/local-example.yaml: one attribute per format, each with the kind of
label a real dataset has. The texts come from the tiny world's generator (so that the example learns something in
minutes on a laptop); the files are what a researcher would bring instead. Run from the repository root:

    python configs/local-example/make.py
"""
from pathlib import Path

import datasets
import numpy as np

from lminterp.data.tiny_world import lm_texts, perplexity_text, pretrain_records, prompt_records
from lminterp.data.world import WorldSpec

OUT = Path(__file__).parent
SEED = 7
PER_CLASS = 320        # texts per class (the example config's splits use 295)
spec = WorldSpec()
rng = np.random.default_rng(SEED)


def pool(attribute, cls, n=PER_CLASS):
    return [f"{o} {c}" for o, c in lm_texts(SEED, spec, attribute, cls, n)]


def save(rows, path, fmt):
    ds = datasets.Dataset.from_list(rows)
    if fmt == "csv":
        ds.to_csv(path, index=False)
    elif fmt == "tsv":
        ds.to_csv(path, index=False, sep="\t")
    elif fmt == "jsonl":
        ds.to_json(path, lines=True)
    elif fmt == "parquet":
        ds.to_parquet(path)


def shuffled(rows):
    return [rows[i] for i in rng.permutation(len(rows))]


# sentiment: a continuous score as SST's; class 0 <= 0.3, class 1 >= 0.7, the neutral middle is dropped
neutral = pool("sentiment", 0, 40)[-40:] + pool("sentiment", 1, 40)[-40:]
rows = ([{"sentence": t, "score": round(float(rng.uniform(0.0, 0.3)), 3)} for t in pool("sentiment", 0)]
        + [{"sentence": t, "score": round(float(rng.uniform(0.7, 1.0)), 3)} for t in pool("sentiment", 1)]
        + [{"sentence": t + " indeed", "score": round(float(rng.uniform(0.35, 0.65)), 3)} for t in neutral])
save(shuffled(rows), OUT / "sentiment.tsv", "tsv")
# politeness: ten politeness classes as Madaan et al.'s P0..P9; the lowest and highest are the classes
rows = ([{"txt": t, "p_class": "P0"} for t in pool("politeness", 0)]
        + [{"txt": t, "p_class": "P9"} for t in pool("politeness", 1)]
        + [{"txt": t + " then", "p_class": f"P{rng.integers(1, 9)}"} for t in pool("politeness", 1, 60)[:60]])
save(shuffled(rows), OUT / "politeness.csv", "csv")
# formality: a categorical style column, as GYAFC's formal / informal folders
rows = ([{"text": t, "style": "informal"} for t in pool("formality", 0)]
        + [{"text": t, "style": "formal"} for t in pool("formality", 1)])
save(shuffled(rows), OUT / "formality.jsonl", "jsonl")
# simplicity: one plain-text file per class, as TinyStories (simple) and BookSum chapters (complex)
(OUT / "complex.txt").write_text("".join(t + "\n" for t in pool("simplicity", 0)))
(OUT / "simple.txt").write_text("".join(t + "\n" for t in pool("simplicity", 1)))
# humor: a 0/1 column in parquet, as FlickrStyle's humorous vs factual captions
rows = ([{"caption": t, "humorous": 0} for t in pool("humor", 0)]
        + [{"caption": t, "humorous": 1} for t in pool("humor", 1)])
save(shuffled(rows), OUT / "humor.parquet", "parquet")
# the base model's pretraining corpus, the perplexity corpus (txt) and the prompts (csv)
(OUT / "corpus.txt").write_text("".join(r["text"] + "\n" for r in pretrain_records(SEED, spec, 1500)))
(OUT / "wiki.txt").write_text(perplexity_text(SEED + 1, spec, 40))
save([{"id": r["prompt_id"], "prompt": r["prompt"]} for r in prompt_records(SEED, 60)], OUT / "prompts.csv", "csv")
print(sorted(p.name for p in OUT.iterdir()))
