"""What the stages hand each other on disk: the trained model file (:mod:`.model`), the
evaluation npz (:mod:`.evaluation`) and the teacher cache (:mod:`.teacher_cache`): write, load,
digest checks."""
