"""A BPE tokenizer for the tiny world, trained on the pretraining corpus."""
from lminterp.data.manifest import read_split_jsonl
from lminterp.runtime import job_setup
from lminterp.training.tokenizer import train_tokenizer

job_setup(snakemake.log[0], torch_needed=False)
texts = [r["text"] for r in read_split_jsonl(snakemake.input[0])]
tok = train_tokenizer(texts, snakemake.params.tokenizer["vocab_size"], snakemake.output[0])
print(f"vocabulary: {len(tok)} tokens from {len(texts)} texts")
