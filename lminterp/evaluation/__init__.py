"""Stage 4, evaluation: score files, metrics, bootstrap intervals, diversity, the baselines' alpha scaling, result files."""
