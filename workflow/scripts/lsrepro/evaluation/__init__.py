"""Inference on trained models (:mod:`.inference`) and the evaluate rule (:mod:`.files`); the
evaluation artifact is :mod:`lsrepro.artifacts.evaluation`."""
