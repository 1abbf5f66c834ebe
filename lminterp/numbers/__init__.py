"""Stage 5, numbers: one module per figure family, what it computes from the result files (pandas, no torch)."""
