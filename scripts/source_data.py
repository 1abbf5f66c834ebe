"""Data files from the config's sources (lminterp/data/sources.py): an attribute's LM and classifier splits, the
evaluation prompts, the perplexity corpus, or the base model's pretraining corpus; a manifest of them beside."""
import os

from lminterp.data import sources as SRC
from lminterp.data.records import write_records
from lminterp.io import write_text
from lminterp.data.manifest import write_manifest
from lminterp.runtime import job_setup

job_setup(snakemake.log[0], torch_needed=False)
p = snakemake.params
out = snakemake.output
cache = snakemake.config["sources"]["cache_dir"]   # where, not what: not a param
data_dir = os.path.dirname(os.path.dirname(out.manifest))


def rows(source, key):
    return SRC.load_rows(source, key=key, cache_dir=cache)


if p.what == "attribute":
    attribute = snakemake.wildcards.attribute
    pools = {c: [r["text"] for k, s in enumerate(p.source[c])
                 for r in rows(s, f"sources.attributes.{attribute}.{c}.{k}")] for c in ("0", "1")}
    print({c: len(v) for c, v in pools.items()}, "rows kept per class")
    files = SRC.attribute_splits(pools, attribute=attribute, seed=p.seed, lm_per_class=p.lm_texts_per_class,
                                 classifier_per_class=p.classifier_texts_per_class)
    paths = []
    for rel, records in files.items():
        write_records(os.path.join(data_dir, rel), records)
        paths.append(os.path.join(data_dir, rel))
    assert sorted(map(os.path.abspath, paths)) == sorted(map(os.path.abspath, [*out.lm, *out.classifier]))
elif p.what == "prompts":
    texts = [r["text"] for r in rows(p.source, "sources.prompts")]
    write_records(out.prompts, SRC.prompt_rows(texts, p.prompts, p.seed))
    paths = [out.prompts]
elif p.what == "perplexity":
    texts = [r["text"] for r in rows(p.source, "sources.perplexity")]
    write_text(out.corpus, SRC.corpus_text(texts[:p.texts] if p.texts else texts))   # perplexity.texts: the first N
    paths = [out.corpus]
elif p.what == "corpus":
    write_records(out.corpus, rows(p.source, "sources.base_model.pretrain"))
    paths = [out.corpus]
else:
    raise ValueError(f"unknown data job {p.what!r}")
write_manifest(data_dir, os.path.splitext(os.path.basename(out.manifest))[0], paths)
print(f"wrote {len(paths)} files")
