"""Figures: of the whole grid (:mod:`.grid`), of one frame pair (:mod:`.overview`)."""

from uqtrack.plots.grid import (
    compute_time,
    ece_by_dataset,
    ece_vs_step,
    expected_vs_true_wrong,
    reliability,
    sparsification_curves,
    sparsification_gain,
    temperature_vs_msd,
    temperature_vs_step,
)
from uqtrack.plots.style import save

__all__ = [
    "compute_time",
    "ece_by_dataset",
    "ece_vs_step",
    "expected_vs_true_wrong",
    "reliability",
    "save",
    "sparsification_curves",
    "sparsification_gain",
    "temperature_vs_msd",
    "temperature_vs_step",
]
