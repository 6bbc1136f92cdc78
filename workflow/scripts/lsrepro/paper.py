"""Numbers reported in the paper, verbatim: Müller, Kornblith & Hinton (2019), arXiv 1906.02629v3.

These are facts about the paper, not configuration; they are transcribed from
``docs/paper-spec.md`` §3 (Tables 2 and 3, read from the v3 text), §2.5 (the MNIST toy numbers)
and §4 (the statements of Figs. 4-6, which print no numbers), and only used to draw the
paper's number beside ours and to state the claims judged in :mod:`lsrepro.claims`.

Units: accuracies and MNIST test errors in percent, ECE as a fraction (Table 3), temperatures and
α unitless, mutual information in nats.
The CIFAR numbers are on the paper's 10k held-out validation split of the CIFAR training set.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "FIG1_ALPHA",
    "FIG4_STATEMENTS",
    "FIG5_BEST_TEACHER_ALPHA",
    "FIG5_STATEMENTS",
    "FIG5_TEMPERATURES",
    "FIG6_EXAMPLES",
    "FIG6_STATEMENTS",
    "MNIST_TOY",
    "MNIST_TOY_ALPHA",
    "MNIST_TOY_BETA",
    "TABLE2",
    "TABLE3",
    "AccuracyRow",
    "CalibrationRow",
    "ToyRow",
    "comparison_alpha",
    "normalise_name",
]


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


@dataclass(frozen=True)
class ToyRow:
    """One number of the MNIST toy distillation (§4, A.5): test error in percent."""

    role: str  # teacher_A (dropout), teacher_B (LS), student_A, student_B
    description: str
    test_error: float


#: §4: "teacher A 0.67 % -> student 0.74 %; teacher B 0.59 % -> student 0.91 %" (paper-spec §2.5).
MNIST_TOY: tuple[ToyRow, ...] = (
    ToyRow("teacher_A", "teacher A: 1200-1200, hard targets + dropout", 0.67),
    ToyRow("student_A", "student of teacher A: 800-800, logit matching", 0.74),
    ToyRow("teacher_B", "teacher B: 1200-1200, label smoothing instead of dropout", 0.59),
    ToyRow("student_B", "student of teacher B: 800-800, logit matching", 0.91),
)
MNIST_TOY_ALPHA = 0.1  # teacher B's label smoothing
MNIST_TOY_BETA = 0.6  # student loss 0.4 CE(hard) + 0.6 * 1/2 ||z_s - z_t||^2

#: Fig. 1: the label-smoothing models are trained with alpha = 0.1.
FIG1_ALPHA = 0.1


def comparison_alpha(
    alphas: Iterable[float], preferred: float | None = None, atol: float = 1e-9
) -> float | None:
    """The label-smoothing α set beside α = 0 when only some were trained: ``preferred`` if
    trained, else the paper's 0.1 (Figs. 1-4, Table 3 but CIFAR-100), else the smallest
    positive α; None when no positive α was trained. Equality within ``atol`` (α read back
    from a table).

    >>> comparison_alpha([0.0, 0.05, 0.1]), comparison_alpha([0.0, 0.3, 0.05])
    (0.1, 0.05)
    >>> comparison_alpha([0.0, 0.05, 0.1], preferred=0.05), comparison_alpha([0.0])
    (0.05, None)
    """
    positive = sorted(float(a) for a in alphas if a > 0)
    for wanted in (preferred, FIG1_ALPHA):
        if wanted is None:
            continue
        match = [a for a in positive if math.isclose(a, wanted, rel_tol=0.0, abs_tol=atol)]
        if match:
            return match[0]
    return positive[0] if positive else None


#: Fig. 4 (Transformer EN-DE): the statements of the text and caption; no numbers are printed.
FIG4_STATEMENTS: tuple[str, ...] = (
    "Label smoothing gives better BLEU and calibration but worse NLL than hard targets.",
    "Raising T for the hard-target net reduces ECE and slightly improves BLEU, "
    "but not enough to match the label-smoothing net's BLEU.",
    "The label-smoothing net is automatically calibrated: changing T degrades ECE and BLEU.",
    "The hard-target net has a better NLL at all temperatures.",
    "The minimum of ECE predicts the top BLEU score slightly better than NLL.",
)

#: Fig. 5 (ResNet-56 teacher -> AlexNet student, CIFAR-10): distillation temperatures of the
#: hard-target teacher, and the alpha up to which teacher accuracy improves.
FIG5_TEMPERATURES: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0, 8.0, 12.0, 16.0)
FIG5_BEST_TEACHER_ALPHA = 0.6
FIG5_STATEMENTS: tuple[str, ...] = (
    "Teacher accuracy improves with alpha up to alpha = 0.6.",
    "Label smoothing slightly degrades the student trained alone.",
    "All students distilled from the hard-target teacher outperform the label-smoothing student.",
    "Students of label-smoothing teachers are no better, and sometimes worse, than training "
    "the student directly with label smoothing.",
    "A teacher with better accuracy is not necessarily the one that distills better.",
)

#: Fig. 6: mutual information between N = 600 training examples (airplane, dog) and the logit
#: difference; its maximum is log 600 (nats) and late values are "slightly above log 2".
FIG6_EXAMPLES = 600
FIG6_STATEMENTS: tuple[str, ...] = (
    "After initialization the mutual information is very small; as the network is trained it "
    "first rapidly increases, then slowly decreases, especially with label smoothing.",
    "For later stages of training, mutual information stays slightly above log(2).",
    "Lower mutual information with label smoothing goes with poorer distillation.",
)


def normalise_name(name: str) -> str:
    """Key for matching dataset/architecture names: lower case, letters and digits only.

    ``"CIFAR-100" -> "cifar100"``, ``"ResNet-56" -> "resnet56"``, ``"Inception-v4" ->
    "inceptionv4"``, so config spellings such as ``cifar100``/``resnet56`` match the paper's.
    """
    return re.sub(r"[^a-z0-9]", "", str(name).lower())
