"""Representation stage (paper §2, Fig. 1): the plane projection (:mod:`.projection`), the
geometry measures (:mod:`.geometry`), file-level entry points in :mod:`.files`."""
