"""Stage 7, report: tables written as CSV/Markdown/LaTeX, the claims, the HTML report, the archive, verify."""
