"""Stage 2, training: tokenizer, base-model pretraining, LoRA anchors and mixtures, attribute classifiers, checkpoints."""
