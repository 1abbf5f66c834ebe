"""Stage 1, data: the tiny world's generator, the sources every dataset comes from, downloads and data manifests."""
