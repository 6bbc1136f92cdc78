"""Calibration of classifiers and token predictors: metrics, bootstrap, temperature scaling.

Paper: Müller, Kornblith & Hinton (2019), §3, Table 3 and Figs. 2-3 (ECE of Guo et al. 2017
with 15 bins; temperature scaling).

Layout (one concept per module):

* :mod:`.core` -- input checks, softmax, and the per-example top-label vectors
  (:class:`TopLabel`: confidence, correct, true-class log-probability, ``sum_k p_k^2``) that
  :func:`predictions_from_logits` reduces ``(N, K)`` logits to, block by block.
* :mod:`.metrics` -- ECE, MCE, adaptive ECE, smooth ECE, reliability bins, NLL, Brier on those
  vectors (``*_from_vectors``) and on dense ``(probs, labels)``; classwise ECE (dense only).
* :mod:`.debiased` -- the debiased calibration error of Kumar, Liang & Ma (2019).
* :mod:`.bootstrap` -- percentile-bootstrap intervals of every metric, and the per-split report
  (:func:`calibration_report` from logits, :func:`calibration_report_from_vectors`).
* :mod:`.temperature` -- temperature fits (NLL by safeguarded Newton; ECE by grid), on arrays or
  streamed blocks of logits.
* :mod:`.files` -- the stage's file-level entry points (not imported here: they need the
  workflow's table and figure modules).
"""

from lsrepro.calibration.bootstrap import (
    ALL_METRICS,
    BINNED_METRICS,
    VECTOR_METRICS,
    bootstrap_indices,
    bootstrap_metrics,
    bootstrap_samples,
    bootstrap_samples_from_predictions,
    calibration_report,
    calibration_report_from_predictions,
    calibration_report_from_vectors,
)
from lsrepro.calibration.core import (
    CalibrationInputError,
    EmptyInputError,
    LabelRangeError,
    NonFiniteError,
    ShapeError,
    TopLabel,
    bin_index,
    check_logits_labels,
    check_probs_labels,
    concat_predictions,
    log_softmax,
    predictions_from_chunks,
    predictions_from_logits,
    softmax,
    top_label,
)
from lsrepro.calibration.debiased import (
    ece_debiased,
    ece_debiased_from_vectors,
    squared_ce_debiased_from_vectors,
)
from lsrepro.calibration.metrics import (
    accuracy,
    adaptive_ece,
    adaptive_ece_from_vectors,
    brier,
    brier_from_vectors,
    classwise_ece,
    ece,
    ece_from_bins,
    ece_from_vectors,
    mce,
    mce_from_vectors,
    nll,
    nll_from_vectors,
    reliability_bins,
    reliability_bins_from_vectors,
    smooth_ece,
    smooth_ece_from_vectors,
)
from lsrepro.calibration.temperature import (
    DEFAULT_ECE_GRID,
    ConvergenceError,
    EceTemperatureFit,
    TemperatureFit,
    TemperatureFitError,
    fit_temperature,
    fit_temperature_chunks,
    fit_temperature_ece,
    fit_temperature_ece_chunks,
)

__all__ = [
    "ALL_METRICS",
    "BINNED_METRICS",
    "DEFAULT_ECE_GRID",
    "VECTOR_METRICS",
    "CalibrationInputError",
    "ConvergenceError",
    "EceTemperatureFit",
    "EmptyInputError",
    "LabelRangeError",
    "NonFiniteError",
    "ShapeError",
    "TemperatureFit",
    "TemperatureFitError",
    "TopLabel",
    "accuracy",
    "adaptive_ece",
    "adaptive_ece_from_vectors",
    "bin_index",
    "bootstrap_indices",
    "bootstrap_metrics",
    "bootstrap_samples",
    "bootstrap_samples_from_predictions",
    "brier",
    "brier_from_vectors",
    "calibration_report",
    "calibration_report_from_predictions",
    "calibration_report_from_vectors",
    "check_logits_labels",
    "check_probs_labels",
    "classwise_ece",
    "concat_predictions",
    "ece",
    "ece_debiased",
    "ece_debiased_from_vectors",
    "ece_from_bins",
    "ece_from_vectors",
    "fit_temperature",
    "fit_temperature_chunks",
    "fit_temperature_ece",
    "fit_temperature_ece_chunks",
    "log_softmax",
    "mce",
    "mce_from_vectors",
    "nll",
    "nll_from_vectors",
    "predictions_from_chunks",
    "predictions_from_logits",
    "reliability_bins",
    "reliability_bins_from_vectors",
    "smooth_ece",
    "smooth_ece_from_vectors",
    "softmax",
    "squared_ce_debiased_from_vectors",
    "top_label",
]
