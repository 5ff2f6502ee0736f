"""Association probabilities of one frame pair, with optional MC dropout.

The model sees the two frames of the pair only, re-indexed as time 0 (mothers) and
time 1 (daughters), also when the pair is ``(t, t + s)`` of a subsampled movie. Its
output is a matrix of logits ``a_ij`` over all cells of the pair; trackastra's
``quiet_softmax`` normalisation reads, for every daughter ``j``, a softmax over the
mothers with one more class of logit 0, "no parent":

    p_ij = exp(a_ij) / (1 + sum_k exp(a_kj)),     p_none_j = 1 / (1 + sum_k exp(a_kj)),

where the sums run over the mothers within ``spatial_pos_cutoff`` pixels of ``j``
(the others get ``p_ij = 0``). So for every daughter ``sum_i p_ij + p_none_j = 1``.
This is ``TrackingTransformer.normalize_output`` without its ``1e-6`` stabiliser,
computed in float64 log space so that ``-log p_ij`` stays finite for tiny ``p_ij``.

MC dropout (Gal & Ghahramani 2016) at rate ``r``: the network stays in eval mode
except its attention modules (``RelativePositionalAttention``, trackastra's only
dropout), which drop attention weights with probability ``r``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd
import torch

from uqtrack.transformer._trackastra import RelativePositionalAttention, TrackingTransformer
from uqtrack.transformer.features import coordinates, region_features
from uqtrack.transformer.model import AssociationModel, seeded_torch, torch_threads

__all__ = ["associate", "log_probabilities", "mc_dropout", "pair_logits"]


@contextmanager
def mc_dropout(net: TrackingTransformer, rate: float) -> Iterator[None]:
    """Switch the attention dropout of ``net`` on at ``rate`` for one block."""
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
    mods = [m for m in net.modules() if isinstance(m, RelativePositionalAttention)]
    old = [m.dropout for m in mods]
    try:
        for m in mods:
            m.dropout = float(rate)
            m.train()
        yield
    finally:
        for m, r in zip(mods, old, strict=True):
            m.dropout = r
            m.eval()


def pair_logits(net: TrackingTransformer, coords: Sequence[np.ndarray],
                features: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """Logits ``a_ij`` (mothers x daughters) of one frame pair, as float64.

    Parameters
    ----------
    net : TrackingTransformer
    coords : (mothers, daughters)
        ``(M, 2)`` and ``(D, 2)`` float32 centroids ``(y, x)`` in pixels.
    features : (mothers, daughters), optional
        ``(M, F)`` and ``(D, F)`` region features for a model with ``feat_dim = F``.
    """
    m = len(coords[0])
    t = np.concatenate([np.zeros(m, np.float32), np.ones(len(coords[1]), np.float32)])
    xyz = np.column_stack([t, np.concatenate(coords).astype(np.float32, copy=False)])
    feats = None
    if features is not None:
        feats = torch.from_numpy(np.concatenate(features).astype(np.float32))[None]
    with torch.no_grad():
        a = net(torch.from_numpy(xyz)[None], features=feats)[0]
    return a[:m, m:].double().numpy()


def log_probabilities(logits: np.ndarray, coords: Sequence[np.ndarray], cutoff: float
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Quiet-softmax log-probabilities per daughter (see the module docstring).

    Returns ``(log_p (M, D), log_p_none (D,))``; ``-inf`` beyond ``cutoff``.
    """
    d = np.asarray(coords[0], np.float64)[:, None, :] - np.asarray(coords[1], np.float64)[None]
    logits = np.where(np.sqrt((d**2).sum(-1)) > cutoff, -np.inf, logits)
    # log(1 + sum_k exp(a_kj)), the "no parent" logit 0 being the extra term
    top = np.maximum(logits.max(axis=0, initial=0.0), 0.0)
    with np.errstate(under="ignore"):
        log_z = top + np.log(np.exp(-top) + np.exp(logits - top).sum(axis=0))
    return logits - log_z, -log_z


def associate(
    model: AssociationModel,
    cells_t: pd.DataFrame,
    cells_t2: pd.DataFrame,
    *,
    masks: tuple[np.ndarray, np.ndarray] | None = None,
    images: tuple[np.ndarray, np.ndarray] | None = None,
    dropout: float | None = None,
    rng: np.random.Generator | None = None,
    log: bool = False,
    threads: int | None = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Association probabilities of every mother-daughter pair of one frame pair.

    Parameters
    ----------
    model : AssociationModel
    cells_t, cells_t2 : DataFrame
        The mothers (frame ``t``) and daughters (frame ``t + s``): columns ``y, x``
        (centroid, pixels) and, for a ``wrfeat`` model, ``label``.
    masks, images : (frame t, frame t + s), optional
        Label masks and raw images of the two frames; needed only when
        ``model.features == "wrfeat"`` (a model trained here sees centroids only).
    dropout : float, optional
        None: deterministic prediction (eval mode). A rate in ``[0, 1)``: one MC
        dropout sample at that rate (the paper's 0.5, 0.25, 0.125).
    rng : numpy.random.Generator
        Required with ``dropout``: one integer drawn from it seeds the dropout, so
        the same generator state gives the same output.
    log : bool
        Return natural logarithms (``-inf`` for probability 0) instead.
    threads : int or None
        torch intra-op threads for this call (None: leave torch's setting).

    Returns
    -------
    p : ndarray, shape (M, D)
        ``p[i, j]``: probability that mother ``i`` (row of ``cells_t``) is the parent
        of daughter ``j`` (row of ``cells_t2``).
    p_none : ndarray, shape (D,)
        Probability that daughter ``j`` has no parent. ``p[:, j].sum() + p_none[j]
        == 1`` for every daughter ``j``.
    """
    coords = (coordinates(cells_t), coordinates(cells_t2))
    m, d = len(coords[0]), len(coords[1])
    feats = None
    if model.features == "wrfeat" and m and d:
        if masks is None or images is None:
            raise ValueError("this model sees region features: pass masks and images of both frames")
        feats = [region_features(c, mk, im) for c, mk, im in zip((cells_t, cells_t2), masks, images, strict=True)]
    if dropout is not None and rng is None:
        raise ValueError("MC dropout needs rng (a numpy Generator)")
    if m == 0 or d == 0:
        logits = np.zeros((m, d))
    elif dropout is None:
        with torch_threads(threads):
            logits = pair_logits(model.net, coords, feats)
    else:
        seed = int(rng.integers(2**63))
        with seeded_torch(seed), mc_dropout(model.net, dropout), torch_threads(threads):
            logits = pair_logits(model.net, coords, feats)
    log_p, log_none = log_probabilities(logits, coords, model.cutoff)
    if log:
        return log_p, log_none
    return np.exp(log_p), np.exp(log_none)
