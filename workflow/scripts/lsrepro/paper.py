"""Numbers reported in the paper, verbatim: Müller, Kornblith & Hinton (2019), arXiv 1906.02629v3.

These are facts about the paper, not configuration; they are transcribed from
``docs/paper-spec.md`` §3 (Tables 2 and 3, read from the v3 text) and only used to draw the
paper's number beside ours.

Units: accuracies in percent (Table 2), ECE as a fraction (Table 3), temperatures and α unitless.
The CIFAR numbers are on the paper's 10k held-out validation split of the CIFAR training set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["TABLE2", "TABLE3", "AccuracyRow", "CalibrationRow", "normalise_name"]


@dataclass(frozen=True)
class AccuracyRow:
    """One row of Table 2: top-1 accuracy (%) with and without label smoothing.

    ``pm_*`` is the paper's "±" (std or range is not stated; None where the paper gives none).
    """

    dataset: str
    architecture: str
    accuracy_alpha0: float
    pm_alpha0: float | None
    accuracy_alpha01: float
    pm_alpha01: float | None


@dataclass(frozen=True)
class CalibrationRow:
    """One row of Table 3: ECE (fraction) of the baseline, temperature scaling and LS."""

    dataset: str
    architecture: str
    baseline_ece: float  # T = 1.0, alpha = 0.0
    ts_ece: float  # alpha = 0.0, at temperature ts_temperature
    ts_temperature: float
    ls_ece: float  # T = 1.0, at alpha = ls_alpha
    ls_alpha: float


#: Table 2, "Top-1 classification accuracies of networks trained with and without label
#: smoothing used in visualizations." (paper-spec §3). Columns: α = 0.0 and α = 0.1.
TABLE2: tuple[AccuracyRow, ...] = (
    AccuracyRow("CIFAR-10", "AlexNet", 86.8, 0.2, 86.7, 0.3),
    AccuracyRow("CIFAR-100", "ResNet-56", 72.1, 0.3, 72.7, 0.3),
    AccuracyRow("ImageNet", "Inception-v4", 80.9, None, 80.9, None),
)

#: Table 3, "Expected calibration error (ECE) on different architectures/datasets."
#: (paper-spec §3). ECE with 15 bins (assumed for all rows, paper-spec §1.4).
TABLE3: tuple[CalibrationRow, ...] = (
    CalibrationRow("CIFAR-100", "ResNet-56", 0.150, 0.021, 1.9, 0.024, 0.05),
    CalibrationRow("ImageNet", "Inception-v4", 0.071, 0.022, 1.4, 0.035, 0.1),
    CalibrationRow("EN-DE", "Transformer", 0.056, 0.018, 1.13, 0.019, 0.1),
)


def normalise_name(name: str) -> str:
    """Key for matching dataset/architecture names: lower case, letters and digits only.

    ``"CIFAR-100" -> "cifar100"``, ``"ResNet-56" -> "resnet56"``, ``"Inception-v4" ->
    "inceptionv4"``, so config spellings such as ``cifar100``/``resnet56`` match the paper's.
    """
    return re.sub(r"[^a-z0-9]", "", str(name).lower())
