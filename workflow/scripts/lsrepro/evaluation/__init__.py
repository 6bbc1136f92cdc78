"""Inference on trained models (:mod:`.inference`) and its artifact (:mod:`.artifact`)."""
