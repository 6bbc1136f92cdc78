"""What the models read: image datasets and their train/validation split (:mod:`.images`), the
image augmentations (:mod:`.augment`), the parallel corpus (:mod:`.corpus`) and its subword
vocabulary (:mod:`.vocab`)."""
