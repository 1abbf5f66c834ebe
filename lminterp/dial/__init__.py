"""Dial a style: surfaces fitted on measured grids, inverted for a requested set of scores, and the request files."""
