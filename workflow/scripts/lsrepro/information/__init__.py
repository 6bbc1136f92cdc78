"""Mutual information between example index and logit difference (paper §4, A.2, Fig. 6; C13).

- :mod:`.estimator`: the paper's estimator and its known-MI validation (numpy only);
- :mod:`.experiment`: logit differences of saved snapshots on augmented examples, the MI curve;
- :mod:`.files`: the workflow's file-level entry points (examples, ``mi.csv``, tables).
"""
