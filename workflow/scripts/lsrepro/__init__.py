"""lsrepro: the importable core of the label-smoothing reproduction workflow.

All logic lives here, with explicit arguments and no global config; the scripts under
``workflow/scripts/`` are thin adapters from ``snakemake.*`` to these functions.
"""

__version__ = "0.1.0"
