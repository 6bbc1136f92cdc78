"""Representation stage (paper §2, Fig. 1): file-level entry points in :mod:`.files`."""
