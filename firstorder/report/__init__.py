"""Reports: Markdown, plots, atomic run folders, one writer per report."""
