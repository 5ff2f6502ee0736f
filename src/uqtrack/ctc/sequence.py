"""The two ways to read a sequence: with its lineage (ground truth) or from its masks alone.

:func:`read_sequence` reads ``man_track.txt`` and the masks and checks one against
the other; :func:`read_masks` reads only the label images, which is all tracking
needs (a sequence without ``man_track.txt`` can be tracked).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from uqtrack.ctc.checks import check_one_size, validate
from uqtrack.ctc.detections import read_all
from uqtrack.ctc.discovery import find_frames, find_label_images, select_frames, tra_dir_of
from uqtrack.ctc.mantrack import read_man_track
from uqtrack.ctc.names import MAN_TRACK, NUMBER_RE, TIFF_RE, StrPath

__all__ = ["read_sequence", "read_masks"]


def read_sequence(
    path: StrPath,
    seq: str | int | None = None,
    *,
    frames: Iterable[int] | None = None,
    workers: int | None = None,
    allow_mixed_frame_sizes: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Read and check the tracking ground truth of one CTC sequence.

    Parameters
    ----------
    path, seq
        See :func:`tra_dir_of`: ``read_sequence("ctc/Fluo-N2DH-SIM+", "01")`` or
        ``read_sequence("ctc/Fluo-N2DH-SIM+/01_GT/TRA")``.
    frames
        Read only these frames (checks and counts restricted to them).
    workers
        Decoding threads, see :func:`read_detections`.
    allow_mixed_frame_sizes
        See :func:`validate`.

    Returns
    -------
    tracks, detections, stats
        As returned by :func:`read_man_track`, :func:`read_detections` and
        :func:`validate`; ``stats`` also holds ``tra_dir``.
    """
    tra_dir = tra_dir_of(path, seq)
    tracks = read_man_track(tra_dir / MAN_TRACK)
    all_frames = find_frames(tra_dir)
    chosen = select_frames(all_frames, frames, tra_dir)
    detections, shapes = read_all(chosen, workers)
    stats = validate(
        tracks,
        detections,
        tra_dir,
        frames=chosen,
        shapes=shapes,
        allow_mixed_frame_sizes=allow_mixed_frame_sizes,
    )
    stats["tra_dir"] = str(tra_dir)
    return tracks, detections, stats


def read_masks(
    location: StrPath, *, workers: int | None = None, allow_mixed_frame_sizes: bool = False
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Detections and frame counts of one sequence from its label images alone.

    Reads no lineage: tracking needs only this, so a sequence without
    ``man_track.txt`` can be tracked, and the truth of one that has it never sits
    upstream of its tracking.

    Parameters
    ----------
    location
        See :func:`find_label_images`.
    workers
        Decoding threads, see :func:`read_detections`.
    allow_mixed_frame_sizes
        Accept frames of different sizes (see :func:`validate`); by default a frame
        of another size stops the read with one line naming it.

    Returns
    -------
    detections : pandas.DataFrame
        As :func:`read_detections`.
    stats : dict
        ``masks`` (``location``), ``n_frames``, ``first_frame``, ``last_frame``,
        ``missing_frame_numbers`` (numbers between the first and last file without
        one), ``digits`` (the file numbering width, e.g. 3 for ``man_track007``),
        ``n_detections``, ``empty_frames``, ``frame_shapes`` (distinct (height,
        width)), ``max_cells_per_frame`` and ``mean_cells_per_frame``.
    """
    frames = find_label_images(location)
    detections, shapes = read_all(frames, workers)
    if not allow_mixed_frame_sizes:
        check_one_size(shapes, frames)
    numbers = np.fromiter(frames, dtype=np.int64)
    counts = np.bincount(np.searchsorted(numbers, detections["frame"].to_numpy(np.int64)),
                         minlength=numbers.size)
    digits = [len(NUMBER_RE.search(TIFF_RE.sub("", p.name)).group(1)) for p in frames.values()]  # type: ignore[union-attr]
    return detections, {
        "masks": str(location),
        "n_frames": int(numbers.size),
        "first_frame": int(numbers.min()),
        "last_frame": int(numbers.max()),
        "missing_frame_numbers": sorted(set(range(int(numbers.min()), int(numbers.max()) + 1))
                                        - set(numbers.tolist())),
        "digits": int(min(digits)),
        "n_detections": int(len(detections)),
        "empty_frames": numbers[counts == 0].tolist(),
        "frame_shapes": sorted({tuple(int(v) for v in s) for s in shapes.values()}),
        "max_cells_per_frame": int(counts.max()),
        "mean_cells_per_frame": float(counts.mean()),
    }
