"""Stage 3, mixing: the adapter bank, per-row mixed LoRA layers, method recipes, generation, perplexity, inference cost."""
