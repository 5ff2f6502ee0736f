"""Trackastra's association transformer as a link-probability model (MC dropout).

The cost of a candidate link is ``w_ij = -log p_ij`` with ``p_ij`` the association
probability of the frame pair (:func:`associate`); the perturbation for the
uncertainty methods is MC dropout at the paper's rates 0.5, 0.25, 0.125. Models are
trained here from scratch (:func:`train_model`, centroids only, so they work on
every dataset, with or without raw images) or loaded from a folder or by the name
of a trackastra pretrained model (:func:`load_model`, network needed once).

Importing this package imports torch and trackastra (about 2 s); the rest of
``uqtrack`` does not.
"""

from uqtrack.transformer.associate import (
    associate,
    associate_draws,
    associate_window,
    average_windows,
    draw_seeds,
    mc_dropout,
    pair_windows,
)
from uqtrack.transformer.features import region_features
from uqtrack.transformer.model import FEATURES, AssociationModel, load_model, save_model
from uqtrack.transformer.train import TrainingSequence, train_model, training_windows

__all__ = [
    "FEATURES",
    "AssociationModel",
    "TrainingSequence",
    "associate",
    "associate_draws",
    "associate_window",
    "average_windows",
    "draw_seeds",
    "load_model",
    "mc_dropout",
    "pair_windows",
    "region_features",
    "save_model",
    "train_model",
    "training_windows",
]
