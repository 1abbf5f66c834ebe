"""The package version (kept equal to pyproject.toml's; tests/test_report.py). Its own module, not __init__.py:
every job's code hash covers the package's __init__.py, so a version bump there would rerun every job."""
__version__ = "0.1.0"
