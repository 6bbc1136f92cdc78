"""Knowledge distillation (paper §4, A.1, A.5): cached teacher outputs (:mod:`.cache`), the
smoothness index γ (:mod:`.gamma`), and the Fig. 5 and MNIST-toy tables (:mod:`.tables`). The
losses themselves are training objectives (:mod:`lsrepro.training.objectives`)."""
