"""Figure functions: matplotlib/seaborn, no LaTeX, each writes PDF and PNG."""
