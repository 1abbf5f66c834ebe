"""Stage 6, figures: one module per figure family, how it is drawn (matplotlib, no torch), and the shared style."""
