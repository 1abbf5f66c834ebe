"""The workflow's own machinery: code hashes of jobs and the cost of a run before it runs."""
