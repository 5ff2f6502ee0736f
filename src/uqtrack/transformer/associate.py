"""Association probabilities of one frame pair, with optional MC dropout.

The model sees the two frames of the pair only, re-indexed as time 0 (mothers) and
time 1 (daughters), also when the pair is ``(t, t + s)`` of a subsampled movie; a
windowed model sees several frames at once (:func:`associate_window`, every adjacent
pair of the window read the same way; :func:`pair_windows`, :func:`average_windows`). Its
output is a matrix of logits ``a_ij`` over all cells of the pair; trackastra's
``quiet_softmax`` normalisation reads, for every daughter ``j``, a softmax over the
mothers with one more class of logit 0, "no parent":

    p_ij = exp(a_ij) / (1 + sum_k exp(a_kj)),     p_none_j = 1 / (1 + sum_k exp(a_kj)),

where the sums run over the mothers within ``spatial_pos_cutoff`` pixels of ``j``
(the others get ``p_ij = 0``). So for every daughter ``sum_i p_ij + p_none_j = 1``.
This is ``TrackingTransformer.normalize_output`` without its ``1e-6`` stabiliser,
computed in float64 log space so that ``-log p_ij`` stays finite for tiny ``p_ij``.

MC dropout (Gal & Ghahramani 2016) at rate ``r``: the network stays in eval mode
except its attention (``RelativePositionalAttention``, trackastra's only dropout),
whose weights are dropped with probability ``r``. The K draws of a frame pair run as
one batched forward pass (:func:`associate_draws`; batch element = draw), and every
draw owns its dropout masks: a ``torch.Generator`` seeded by one integer drawn from
the passed numpy generator draws each attention layer's keep mask of that draw, and
the attention is computed explicitly (``softmax(q k^T / sqrt(d) + bias) * keep /
(1 - r) @ v``, what ``scaled_dot_product_attention`` does with ``dropout_p = r``).
So a draw is the same whether it runs alone (:func:`associate` with ``dropout``) or
in a batch, and the same generator state gives the same draws.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import torch

from uqtrack.transformer._trackastra import RelativePositionalAttention, TrackingTransformer
from uqtrack.transformer.features import coordinates, region_features
from uqtrack.transformer.model import AssociationModel, torch_threads

__all__ = ["associate", "associate_draws", "associate_window", "average_windows", "draw_seeds",
           "log_probabilities", "mc_dropout", "pair_logits", "pair_windows"]

#: Largest attention tensor (batch x heads x cells^2 elements) of one batched forward
#: pass (4 MiB as float32); more draws run in chunks. Measured on one thread, 10
#: draws: a single batch is fastest up to ~150 cells per pair, chunks of ~3 draws at
#: ~270 (0.16 s against 0.19 s as one batch: the weights stay in cache).
MAX_ATTENTION = 2**20


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


class _TorchFunctional:
    """``torch.nn.functional`` with ``scaled_dot_product_attention`` replaced."""

    def __init__(self, sdpa):
        self.scaled_dot_product_attention = sdpa

    def __getattr__(self, name):
        return getattr(torch.nn.functional, name)


@contextmanager
def seeded_dropout(net: TrackingTransformer, seeds: Sequence[int], rate: float) -> Iterator[None]:
    """Attention dropout at ``rate`` for a batch of draws, one seed per batch element.

    Within the block every forward pass of ``net`` must have batch size
    ``len(seeds)``; element ``b`` of each attention layer, in call order, drops
    weights by a keep mask drawn from ``torch.Generator().manual_seed(seeds[b])``.
    The masks are drawn per draw, not per batch, so that a draw does not depend on
    the others run beside it. Trackastra's attention modules stay in eval mode (they
    pass ``dropout_p = 0``); its ``scaled_dot_product_attention`` is replaced for
    the block by the explicit computation with these masks.
    """
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
    gens = [torch.Generator().manual_seed(int(s)) for s in seeds]
    keep = 1.0 - float(rate)

    def sdpa(q, k, v, attn_mask=None, dropout_p=0.0, **kw):
        if q.shape[0] != len(gens) or kw:
            raise RuntimeError("seeded_dropout: unexpected attention call")
        w = torch.matmul(q, k.transpose(-2, -1)).mul_(1.0 / math.sqrt(q.shape[-1]))
        if attn_mask is not None:
            w.add_(attn_mask)
        w = torch.softmax(w, dim=-1)
        # keep mask = (uniform < keep), in place (a third of bernoulli_'s time); the
        # 1 / keep scale goes on the (cells x head width) output, not the cells^2 weights
        masks = torch.empty_like(w)
        for b, g in enumerate(gens):
            torch.rand(w.shape[1:], generator=g, out=masks[b])
        return torch.matmul(w.mul_(masks.lt_(keep)), v).mul_(1.0 / keep)

    module: Any = sys.modules[RelativePositionalAttention.__module__]  # trackastra's, holding its F
    old = module.F
    mods = [m for m in net.modules() if isinstance(m, RelativePositionalAttention)]
    training = [m.training for m in mods]
    try:
        module.F = _TorchFunctional(sdpa)
        for m in mods:
            m.eval()
        yield
    finally:
        module.F = old
        for m, t in zip(mods, training, strict=True):
            m.train(t)


def _forward(net: TrackingTransformer, coords: Sequence[np.ndarray],
             features: Sequence[np.ndarray] | None, batch: int | None) -> torch.Tensor:
    """Logits ``(b, N, N)`` over the cells of consecutive frames, re-indexed as times 0, 1, ..."""
    t = np.repeat(np.arange(len(coords), dtype=np.float32), [len(c) for c in coords])
    xyz = torch.from_numpy(np.column_stack([t, np.concatenate(coords).astype(np.float32, copy=False)]))
    b = 1 if batch is None else int(batch)
    feats = None
    if features is not None:
        feats = torch.from_numpy(np.concatenate(features).astype(np.float32))[None].expand(b, -1, -1)
    with torch.no_grad():
        return net(xyz[None].expand(b, -1, -1), features=feats)


def pair_logits(net: TrackingTransformer, coords: Sequence[np.ndarray],
                features: Sequence[np.ndarray] | None = None, batch: int | None = None) -> np.ndarray:
    """Logits ``a_ij`` (mothers x daughters) of one frame pair, as float64.

    Parameters
    ----------
    net : TrackingTransformer
    coords : (mothers, daughters)
        ``(M, 2)`` and ``(D, 2)`` float32 centroids ``(y, x)`` in pixels.
    features : (mothers, daughters), optional
        ``(M, F)`` and ``(D, F)`` region features for a model with ``feat_dim = F``.
    batch : int, optional
        Run the same input ``batch`` times in one forward pass (MC-dropout draws,
        equal lengths: no padding) and return ``(batch, M, D)``; None: ``(M, D)``.
    """
    m = len(coords[0])
    a = _forward(net, coords, features, batch)[:, :m, m:].double().numpy()
    return a[0] if batch is None else a


def log_probabilities(logits: np.ndarray, coords: Sequence[np.ndarray], cutoff: float
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Quiet-softmax log-probabilities per daughter (see the module docstring).

    ``logits`` is ``(..., M, D)``; returns ``(log_p (..., M, D), log_p_none (..., D))``,
    ``-inf`` beyond ``cutoff``.
    """
    d = np.asarray(coords[0], np.float64)[:, None, :] - np.asarray(coords[1], np.float64)[None]
    logits = np.where(np.sqrt((d**2).sum(-1)) > cutoff, -np.inf, logits)
    # log(1 + sum_k exp(a_kj)), the "no parent" logit 0 being the extra term
    top = np.maximum(logits.max(axis=-2, initial=0.0), 0.0)
    with np.errstate(under="ignore"):
        log_z = top + np.log(np.exp(-top) + np.exp(logits - top[..., None, :]).sum(axis=-2))
    return logits - log_z[..., None, :], -log_z


def _region_features(model: AssociationModel, cells: Sequence[pd.DataFrame], masks, images, features
                     ) -> list[np.ndarray] | None:
    if model.features != "wrfeat" or not all(len(c) for c in cells):
        return None
    if features is not None:
        return list(features)
    if masks is None or images is None:
        raise ValueError("this model sees region features: pass masks and images of both frames")
    return [region_features(c, mk, im) for c, mk, im in zip(cells, masks, images, strict=True)]


def associate(
    model: AssociationModel,
    cells_t: pd.DataFrame,
    cells_t2: pd.DataFrame,
    *,
    masks: tuple[np.ndarray, np.ndarray] | None = None,
    images: tuple[np.ndarray, np.ndarray] | None = None,
    features: tuple[np.ndarray, np.ndarray] | None = None,
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
    features : (frame t, frame t + s), optional
        Region features of the two frames already computed
        (:func:`uqtrack.transformer.region_features`); then masks and images are
        not read.
    dropout : float, optional
        None: deterministic prediction (eval mode). A rate in ``[0, 1)``: one MC
        dropout sample at that rate (the paper's 0.5, 0.25, 0.125), the first
        draw of :func:`associate_draws` with ``k = 1``.
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
    if dropout is not None:
        if rng is None:
            raise ValueError("MC dropout needs rng (a numpy Generator)")
        log_p, log_none = associate_draws(model, cells_t, cells_t2, 1, dropout, rng, masks=masks,
                                          images=images, features=features, threads=threads)
        log_p, log_none = log_p[0], log_none[0]
    else:
        feats = _region_features(model, (cells_t, cells_t2), masks, images, features)
        (log_p, log_none), = associate_window(model, (cells_t, cells_t2), features=feats, threads=threads)
    if log:
        return log_p, log_none
    return np.exp(log_p), np.exp(log_none)


def associate_draws(
    model: AssociationModel,
    cells_t: pd.DataFrame,
    cells_t2: pd.DataFrame,
    k: int,
    dropout: float,
    rng: np.random.Generator,
    *,
    masks: tuple[np.ndarray, np.ndarray] | None = None,
    images: tuple[np.ndarray, np.ndarray] | None = None,
    features: tuple[np.ndarray, np.ndarray] | None = None,
    threads: int | None = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """K MC-dropout draws of one frame pair in one batched forward pass, as logarithms.

    Draw ``b`` is seeded by the ``b``-th of ``k`` integers drawn from ``rng`` (see
    the module docstring), so it equals what :func:`associate` with ``dropout``
    returns for a generator in the same state: K calls of :func:`associate` on one
    generator give these K draws. Region features (``wrfeat``) are computed once,
    not per draw. Draws run in chunks when ``k`` x heads x cells^2 exceeds
    :data:`MAX_ATTENTION` (a draw does not depend on its chunk).

    Parameters
    ----------
    model, cells_t, cells_t2, masks, images, features, threads
        As for :func:`associate`.
    k : int
        Number of draws (>= 0).
    dropout : float
        Rate in ``[0, 1)``.
    rng : numpy.random.Generator
        ``k`` integers are drawn from it, whatever the sizes of the frames.

    Returns
    -------
    log_p : ndarray, shape (k, M, D)
        Per draw, ``log p_ij`` (``-inf`` beyond the cutoff).
    log_p_none : ndarray, shape (k, D)
        Per draw, ``log p_none_j``.
    """
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout rate must be in [0, 1), got {dropout}")
    seeds = draw_seeds(rng, k)
    feats = _region_features(model, (cells_t, cells_t2), masks, images, features)
    (log_p, log_none), = associate_window(model, (cells_t, cells_t2), features=feats, dropout=dropout,
                                          seeds=seeds, threads=threads)
    return log_p, log_none


def draw_seeds(rng: np.random.Generator, k: int) -> list[int]:
    """One integer per MC-dropout draw from ``rng`` (``k`` of them, whatever the frames)."""
    return [int(rng.integers(2**63)) for _ in range(int(k))]


def pair_windows(i: int, n_frames: int, window: int) -> list[tuple[int, int]]:
    """The windows ``[start, stop)`` of a chain of ``n_frames`` frames that hold its
    pair ``i`` (frames ``i`` and ``i + 1``).

    Every run of ``window`` consecutive frames that holds both, as trackastra slides
    its windows over a movie (up to ``window - 1`` of them); a chain of at most
    ``window`` frames is one window. :func:`~uqtrack.transformer.train_model` trains
    on the same windows.
    """
    if not 0 <= i < n_frames - 1:
        raise ValueError(f"pair {i} is not in a chain of {n_frames} frames")
    if n_frames <= window:
        return [(0, n_frames)]
    return [(j, j + window) for j in range(max(0, i + 2 - window), min(i, n_frames - window) + 1)]


def associate_window(
    model: AssociationModel,
    cells: Sequence[pd.DataFrame],
    *,
    features: Sequence[np.ndarray] | None = None,
    dropout: float | None = None,
    seeds: Sequence[int] | None = None,
    threads: int | None = 1,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Log-probabilities of every adjacent frame pair of a window, from one forward pass.

    The model sees the cells of all frames of the window at once, re-indexed as times
    0, 1, ...; each daughter of frame ``k + 1`` gets the quiet softmax over the
    mothers of frame ``k`` (trackastra's ``blockwise_causal_norm``, exact in float64
    as :func:`log_probabilities`). A window of two frames gives what :func:`associate`
    (``log=True``) gives.

    Parameters
    ----------
    model : AssociationModel
    cells : sequence of DataFrame
        The window's frames in order (columns ``y, x``).
    features : sequence of ndarray, optional
        A ``wrfeat`` model's region features of each frame.
    dropout, seeds
        MC dropout at rate ``dropout``, one draw per seed (as in
        :func:`associate_draws`; the same seed gives the same draw's masks of a
        window however many draws run beside it); None: the deterministic pass.
    threads : int or None
        torch intra-op threads for this call.

    Returns
    -------
    list of (log_p, log_p_none)
        Per frame pair ``(k, k + 1)`` of the window: ``(M_k, M_k+1)`` and
        ``(M_k+1,)``, with a leading axis of draws when ``seeds`` is given.
    """
    coords = [coordinates(c) for c in cells]
    starts = np.concatenate([[0], np.cumsum([len(c) for c in coords])])
    # without two adjacent non-empty frames every block is trivial: no forward pass
    linked = any(len(a) and len(b) for a, b in zip(coords, coords[1:]))
    if model.features == "wrfeat" and features is None and linked:
        raise ValueError("this model sees region features: pass features of every frame")
    feats = list(features) if features is not None and model.features == "wrfeat" and linked else None
    draws = None if seeds is None else [int(s) for s in seeds]
    if not linked or draws == []:
        b = 1 if draws is None else len(draws)
        logits = np.zeros((b, starts[-1], starts[-1]), np.float32)
    elif draws is None:
        with torch_threads(threads):
            logits = _forward(model.net, coords, feats, None).numpy()
    else:
        if dropout is None or not 0.0 <= dropout < 1.0:
            raise ValueError(f"MC dropout needs a rate in [0, 1), got {dropout}")
        chunk = max(1, MAX_ATTENTION // (int(model.net.config["nhead"]) * int(starts[-1]) ** 2))
        parts = []
        with torch_threads(threads):
            for first in range(0, len(draws), chunk):
                part = draws[first:first + chunk]
                with seeded_dropout(model.net, part, dropout):
                    parts.append(_forward(model.net, coords, feats, len(part)).numpy())
        logits = np.concatenate(parts)
    blocks = []
    for k in range(len(coords) - 1):
        a = logits[:, starts[k]:starts[k + 1], starts[k + 1]:starts[k + 2]].astype(np.float64)
        log_p, log_none = log_probabilities(a if draws is not None else a[0], coords[k:k + 2], model.cutoff)
        blocks.append((log_p, log_none))
    return blocks


def average_windows(logs: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """A frame pair's probabilities averaged over the windows that hold it (trackastra
    averages its windows' association weights), as logarithms: each daughter's
    classes still sum to 1."""
    if len(logs) == 1:
        return logs[0]
    n = math.log(len(logs))
    with np.errstate(divide="ignore"):
        return tuple(np.logaddexp.reduce(np.stack(part), axis=0) - n for part in zip(*logs, strict=True))
