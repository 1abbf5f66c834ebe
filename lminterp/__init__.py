"""Continuous LM interpolation: the science library (no Snakemake imports)."""
