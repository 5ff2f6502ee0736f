"""Train an association model from scratch on annotated sequences.

One training sample is one frame pair ``(t, t + s)`` for every step ``s`` asked for
and every start ``t`` (all offsets, not only multiples of ``s``); the model sees the
pair re-indexed as times 0 and 1, exactly as :func:`~uqtrack.transformer.associate`
shows it. The loss is the cross-entropy of each daughter's true class (its true
mother, see :mod:`uqtrack.lineage`, or "no parent") under the very quiet-softmax
distribution that ``associate`` reads. Daughters whose true mother is beyond the
model's spatial cutoff cannot be learnt (probability 0) and are left out, counted.
Each sample is augmented by a random rotation, flip, scaling (0.8-1.25) and shift,
and a large frame pair is cut to a random disc of it (see ``max_cells``).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from uqtrack.lineage import NO_MOTHER, true_links
from uqtrack.transformer._trackastra import TrackingTransformer
from uqtrack.transformer.features import WRFEAT_DIM, coordinates, region_features
from uqtrack.transformer.model import FEATURES, AssociationModel, seeded_torch, torch_threads

__all__ = ["TrainingSequence", "train_model", "training_pairs"]

log = logging.getLogger("uqtrack")


@dataclass(frozen=True)
class TrainingSequence:
    """One annotated sequence (or a frame range of one) to learn from.

    Attributes
    ----------
    detections : DataFrame
        ``frame, label, y, x`` (as :func:`uqtrack.ctc.read_detections` gives);
        restrict it to a frame range to train on part of a movie.
    tracks : DataFrame
        ``label, begin, end, parent`` as in CTC ``man_track.txt``.
    mask, image : callable(frame) -> 2D array, optional
        The label mask / raw image of a frame, read on demand; needed only to
        train a model with ``features="wrfeat"``.
    name : str
        For messages and the training record.
    """

    detections: pd.DataFrame
    tracks: pd.DataFrame
    mask: Callable[[int], np.ndarray] | None = None
    image: Callable[[int], np.ndarray] | None = None
    name: str = ""


@dataclass(frozen=True)
class _Pair:
    coords: np.ndarray  # (M + D, 2) float64: mothers, then daughters
    n_mothers: int
    target: np.ndarray  # (D,) index of the true mother, or M for "no parent"
    features: np.ndarray | None  # (M + D, F) float32


def training_pairs(seq: TrainingSequence, step: int, cutoff: float, features: str = "none"
                   ) -> tuple[list[_Pair], int]:
    """All frame pairs ``(t, t + step)`` of a sequence as training samples.

    Returns the samples and the number of daughters left out because their true
    mother is farther than ``cutoff`` pixels.
    """
    det = seq.detections
    if det.empty:
        return [], 0
    cells = {int(f): g.sort_values("label") for f, g in det.groupby("frame")}
    last = max(cells)
    feats: dict[int, np.ndarray] = {}
    if features == "wrfeat":
        if seq.mask is None or seq.image is None:
            raise ValueError(f"sequence {seq.name!r}: features='wrfeat' needs mask and image readers")
        feats = {t: region_features(c, seq.mask(t), seq.image(t)) for t, c in cells.items()}
    pairs: list[_Pair] = []
    dropped = 0
    for offset in range(min(step, last + 1)):
        links = true_links(seq.tracks, det, step, frames=np.arange(offset, last + 1))
        for (t, t2), truth in links.groupby(["t", "t2"], sort=True):
            if int(t) not in cells:
                continue  # an empty frame: nothing to learn
            mothers, daughters = cells[int(t)], cells[int(t2)]
            index = {int(lab): i for i, lab in enumerate(mothers["label"])}
            mother = truth.set_index("daughter")["mother"].loc[daughters["label"]].to_numpy()
            m = len(mothers)
            target = np.array([m if mo == NO_MOTHER else index[int(mo)] for mo in mother])
            xy = np.concatenate([coordinates(mothers), coordinates(daughters)]).astype(np.float64)
            far = target < m
            far[far] = np.hypot(*(xy[target[far]] - xy[m:][far]).T) > cutoff
            if far.any():
                dropped += int(far.sum())
                keep = np.concatenate([np.ones(m, bool), ~far])
                xy, target = xy[keep], target[~far]
            f = None
            if features == "wrfeat":
                f = np.concatenate([feats[int(t)], feats[int(t2)]])
                f = f[keep] if far.any() else f
            if m and len(target):
                pairs.append(_Pair(xy, m, target, f))
    return pairs, dropped


def _crop(pair: _Pair, rng: np.random.Generator, max_cells: int | None, margin: float) -> _Pair:
    """A random disc of a large frame pair: about ``max_cells / 2`` daughters nearest
    to a random daughter, with every mother within ``margin`` pixels more.

    Attention is local (``spatial_pos_cutoff``) anyway, and the cost of a sample
    grows with the square of its cells. Daughters whose true mother falls outside
    are left out (their class could not be learnt).
    """
    m, d = pair.n_mothers, len(pair.target)
    if max_cells is None or m + d <= max_cells:
        return pair
    mxy, dxy = pair.coords[:m], pair.coords[m:]
    centre = dxy[rng.integers(d)]
    dist = np.hypot(*(dxy - centre).T)
    radius = np.sort(dist)[min(max(1, max_cells // 2), d) - 1]
    keep_m = np.hypot(*(mxy - centre).T) <= radius + margin
    has = pair.target < m
    keep_d = (dist <= radius) & (~has | keep_m[np.minimum(pair.target, m - 1)])
    if not keep_m.any() or not keep_d.any():
        return pair
    new_index = np.cumsum(keep_m) - 1
    k = int(keep_m.sum())
    target = np.where(has[keep_d], new_index[np.minimum(pair.target[keep_d], m - 1)], k)
    keep = np.concatenate([keep_m, keep_d])
    feats = None if pair.features is None else pair.features[keep]
    return _Pair(pair.coords[keep], k, target, feats)


def _augment(pair: _Pair, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """Randomly rotated, flipped, scaled and shifted coordinates (and features)."""
    theta = rng.uniform(0, 2 * np.pi)
    scale = np.exp(rng.uniform(np.log(0.8), np.log(1.25)))
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    flip = np.diag([1.0, -1.0]) if rng.random() < 0.5 else np.eye(2)
    mat = scale * rot @ flip
    xy = (pair.coords - pair.coords.mean(axis=0)) @ mat.T
    xy = xy - xy.min(axis=0) + rng.uniform(0, 512, 2)
    feats = pair.features
    if feats is not None:  # diameter scales, inertia tensor I -> M I M^T, the rest stays
        feats = feats.copy()
        feats[:, 0] *= scale
        inertia = feats[:, 2:6].reshape(-1, 2, 2)
        feats[:, 2:6] = np.einsum("ij,njk,lk->nil", mat, inertia, mat).reshape(-1, 4)
    return xy.astype(np.float32), feats


def _batch_loss(net: TrackingTransformer, batch: list[_Pair], rng: np.random.Generator,
                cutoff: float, max_cells: int | None) -> torch.Tensor:
    """Mean cross-entropy of the daughters' true classes over a padded batch."""
    batch = [_crop(p, rng, max_cells, cutoff / 4) for p in batch]
    n = max(len(p.coords) for p in batch)
    coords = np.zeros((len(batch), n, 3), np.float32)
    pad = np.ones((len(batch), n), bool)
    feat_dim = batch[0].features.shape[1] if batch[0].features is not None else 0
    feats = np.zeros((len(batch), n, feat_dim), np.float32)
    for b, p in enumerate(batch):
        xy, f = _augment(p, rng)
        k = len(xy)
        coords[b, :k, 0] = np.arange(k) >= p.n_mothers
        coords[b, :k, 1:] = xy
        pad[b, :k] = False
        if f is not None:
            feats[b, :k] = f
    coords_t = torch.from_numpy(coords)
    a = net(coords_t, features=torch.from_numpy(feats) if feat_dim else None,
            padding_mask=torch.from_numpy(pad))
    losses = []
    for b, p in enumerate(batch):
        m, k = p.n_mothers, len(p.coords)
        logits = a[b, :m, m:k].T  # (D, M)
        far = torch.cdist(coords_t[b, m:k, 1:], coords_t[b, :m, 1:]) > cutoff
        logits = logits.masked_fill(far, -torch.inf)
        logits = torch.cat([logits, logits.new_zeros(len(logits), 1)], dim=1)  # "no parent"
        losses.append(torch.nn.functional.cross_entropy(
            logits, torch.from_numpy(p.target), reduction="sum"))
    return torch.stack(losses).sum() / sum(len(p.target) for p in batch)


def train_model(
    sequences: Sequence[TrainingSequence],
    *,
    seed: int,
    steps: Sequence[int] = (1,),
    iterations: int = 600,
    batch_size: int = 8,
    lr: float = 1e-3,
    d_model: int = 64,
    layers: int = 2,
    heads: int = 4,
    dropout: float = 0.1,
    cutoff: float = 256.0,
    features: str = "none",
    max_cells: int | None = 256,
    threads: int = 1,
) -> AssociationModel:
    """Train a small trackastra ``TrackingTransformer`` from scratch.

    Parameters
    ----------
    sequences : sequence of TrainingSequence
        The training data; it must cover the cell density and motion the model
        will meet (a model that never saw a crowded frame fails on one).
    seed : int
        Seeds the weights, the sample order, the augmentation and the dropout.
        With the same ``threads`` the result is bit-identical on the CPU.
    steps : sequence of int
        Subsampling steps to learn: every frame pair ``(t, t + s)``.
    iterations : int
        Optimiser updates (AdamW, linear warm-up over the first 5 %, then cosine
        decay to 0); the training budget, deterministic unlike a time limit.
    batch_size : int
        Frame pairs per update.
    lr : float
        Peak learning rate.
    d_model, layers, heads : int
        Width, number of encoder (= decoder) layers, attention heads.
    dropout : float
        Attention dropout while training (MC dropout may use another rate).
    cutoff : float
        ``spatial_pos_cutoff`` in pixels: pairs farther apart have probability 0.
    features : {"none", "wrfeat"}
        What the model sees besides centroids (see :data:`~uqtrack.transformer.model.FEATURES`).
    max_cells : int or None
        A frame pair with more cells (both frames) is cut, each time it is drawn,
        to a random disc of about ``max_cells / 2`` daughters and the mothers
        within ``cutoff / 4`` pixels around them; None: never cut.
    threads : int
        torch intra-op threads while training (more than 1 pays only on large
        frames of an idle machine).

    Returns
    -------
    AssociationModel
        In eval mode; ``info["uqtrack"]`` records the training set-up and counts.
    """
    if features not in FEATURES:
        raise ValueError(f"features must be one of {FEATURES}, got {features!r}")
    if iterations < 1 or batch_size < 1:
        raise ValueError("iterations and batch_size must be >= 1")
    steps = sorted({int(s) for s in steps})
    if not steps or steps[0] < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    samples: list[_Pair] = []
    record = []
    unreachable = 0
    for seq in sequences:
        for s in steps:
            pairs, dropped = training_pairs(seq, s, cutoff, features)
            samples += pairs
            unreachable += dropped
            record.append({"name": seq.name, "step": s, "pairs": len(pairs)})
    if not samples:
        raise ValueError("no frame pair with cells in both frames to train on")
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(1,)))
    # Region features enter through trackastra's Fourier embedding (8 per feature):
    # fed raw (inertia tensors of hundreds of px^2) the model learnt nothing on the
    # E. coli colony (21 % argmax accuracy against 75 % embedded).
    wrfeat = features == "wrfeat"
    config = dict(coord_dim=2, feat_dim=WRFEAT_DIM if wrfeat else 0,
                  feat_embed_per_dim=8 if wrfeat else 1,
                  d_model=d_model, nhead=heads, num_encoder_layers=layers,
                  num_decoder_layers=layers, dropout=dropout, window=2,
                  spatial_pos_cutoff=int(cutoff) if float(cutoff).is_integer() else cutoff,
                  attn_positional_bias="rope", causal_norm="quiet_softmax")
    det_before = torch.are_deterministic_algorithms_enabled()
    tic = time.perf_counter()
    with seeded_torch(seed), torch_threads(threads):
        torch.use_deterministic_algorithms(True)
        try:
            net = TrackingTransformer(**config)
            opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.01)
            warm = max(1, iterations // 20)

            def factor(i: int) -> float:
                if i < warm:
                    return (i + 1) / warm
                return 0.5 * (1 + math.cos(math.pi * (i - warm) / max(1, iterations - warm)))

            sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
            net.train()
            for it in range(iterations):
                batch = [samples[i] for i in rng.integers(len(samples), size=batch_size)]
                loss = _batch_loss(net, batch, rng, cutoff, max_cells)
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                opt.step()
                sched.step()
                if (it + 1) % max(1, iterations // 10) == 0:
                    log.info("transformer training: %d/%d updates, loss %.4f, %.0f s",
                             it + 1, iterations, loss.item(), time.perf_counter() - tic)
        finally:
            torch.use_deterministic_algorithms(det_before)
    info = {"uqtrack": {
        "seed": int(seed), "steps": steps, "iterations": int(iterations),
        "batch_size": int(batch_size), "lr": float(lr), "threads": int(threads),
        "max_cells": None if max_cells is None else int(max_cells),
        "samples": len(samples), "unreachable_daughters": int(unreachable),
        "sequences": record,
    }}
    return AssociationModel(net, features, info)
