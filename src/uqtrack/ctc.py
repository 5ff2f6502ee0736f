"""Read and check Cell Tracking Challenge (CTC) tracking ground truth.

A CTC sequence keeps its tracking ground truth in ``<dataset>/<seq>_GT/TRA/``:

* ``man_track.txt``: one line per track, ``label begin end parent`` (parent 0 = none);
* ``man_track<frame>.tif``: one label image per frame (3, 4 or 6 digits, any
  compression tifffile + imagecodecs can decode), pixel value = track label.

Everything here turns bad input into :class:`uqtrack.errors.InputError`, a single
line naming the file and the fault. Awkward but valid ground truth (a label missing
from a few frames inside its track, empty frames, a child that starts some frames
after its parent ended) is counted in the statistics rather than rejected, because
the published CTC data contains it.
"""

from __future__ import annotations

import fnmatch
import glob
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tifffile
from scipy import ndimage

from uqtrack.errors import InputError

__all__ = [
    "TRACK_COLUMNS",
    "DETECTION_COLUMNS",
    "read_man_track",
    "write_man_track",
    "find_frames",
    "find_label_images",
    "ignored_files",
    "read_frame",
    "read_masks",
    "read_detections",
    "validate",
    "data_quality",
    "quality_warnings",
    "frame_ranges",
    "tra_dir_of",
    "read_sequence",
]

StrPath = str | PathLike[str]

TRACK_COLUMNS = ["label", "begin", "end", "parent"]
DETECTION_COLUMNS = [
    "frame",
    "label",
    "y",
    "x",
    "area",
    "min_row",
    "min_col",
    "max_row",
    "max_col",
]
MAN_TRACK = "man_track.txt"
_FRAME_RE = re.compile(r"^man_track(\d+)\.tiff?$", re.IGNORECASE)
#: The CTC names of label images (TRA and SEG folders) and of raw frames.
_CTC_MASK_RE = re.compile(r"^man_(?:track|seg)(\d+)\.tiff?$", re.IGNORECASE)
IMAGE_RE = re.compile(r"^t(\d+)\.tiff?$", re.IGNORECASE)
_INT_RE = re.compile(r"[0-9]+")  # fullmatch: non-negative ASCII decimal, no sign
_TIFF_RE = re.compile(r"\.tiff?$", re.IGNORECASE)
_NUMBER_RE = re.compile(r"(\d+)\D*$")  # the last number in a file stem is its frame


# --------------------------------------------------------------------------- tracks


def _check_tracks(tracks: np.ndarray, lines: np.ndarray, path: StrPath) -> None:
    """Check the lineage rules on an (n, 4) int array; ``lines`` names each row.

    Shared by the reader and the writer so that no invalid file is ever produced.
    Rows come in line order, so the message names the first faulty line.
    """
    rows = tracks.tolist()
    where = {lab: i for i, (lab, *_) in reversed(list(enumerate(rows)))}  # first row of each label
    for i in range(len(rows)):
        label, begin, end, parent = rows[i]
        at = f"line {lines[i]}:"
        if label <= 0:
            raise InputError(path, f"{at} label must be > 0, got {label}")
        if begin > end:
            raise InputError(path, f"{at} track {label} begins at frame {begin} after it ends at frame {end}")
        if where[label] != i:
            raise InputError(path, f"{at} duplicate label {label} (first on line {lines[where[label]]})")
        if parent == 0:
            continue
        if parent not in where:
            raise InputError(path, f"{at} track {label} has parent {parent}, which is not a track")
        parent_end = rows[where[parent]][2]
        if begin <= parent_end:
            raise InputError(
                path,
                f"{at} track {label} begins at frame {begin}, "
                f"not after its parent {parent} ends at frame {parent_end}",
            )


def _tracks_frame(arr: np.ndarray) -> pd.DataFrame:
    arr = arr[np.argsort(arr[:, 0], kind="stable")] if len(arr) else arr
    return pd.DataFrame({c: arr[:, k].astype(np.int64) for k, c in enumerate(TRACK_COLUMNS)})


def read_man_track(path: StrPath) -> pd.DataFrame:
    """Read a CTC ``man_track.txt`` lineage file and check it.

    Parameters
    ----------
    path
        The text file: one track per non-blank line, four non-negative integers
        ``label begin end parent`` separated by white space; parent 0 = no parent.

    Returns
    -------
    pandas.DataFrame
        Columns ``label, begin, end, parent`` (int64), one row per track, sorted by
        label, index 0..n-1.

    Raises
    ------
    InputError
        The file is missing, unreadable, not text or holds no track, a line does
        not hold exactly four non-negative integers, ``begin > end``, a label is 0 or repeated, a parent is
        not a track, or a child begins at or before the frame its parent ends. The
        message names the file and the line number.
    """
    path = Path(path)
    text = _read_text(path)
    rows: list[list[int]] = []
    lines: list[int] = []
    all_lines = text.splitlines()
    for n, line in enumerate(all_lines, start=1):
        fields = line.split()
        if not fields:
            continue  # blank lines (e.g. a trailing one) carry nothing
        bad = [f for f in fields if not _INT_RE.fullmatch(f)]
        if len(fields) != 4 or bad:
            fault = _line_fault(line, fields, bad) + _truncation_hint(n, all_lines, text)
            raise InputError(path, f"line {n}: {fault}")
        values = [int(f) for f in fields]
        if max(values) > np.iinfo(np.int64).max:
            raise InputError(path, f"line {n}: value {max(values)} is too large")
        rows.append(values)
        lines.append(n)
    if not rows:
        raise InputError(
            path, "holds no track (the file is empty); expected one line 'label begin end parent' per track"
        )
    arr = np.array(rows, dtype=np.int64).reshape(-1, 4)
    _check_tracks(arr, np.array(lines, dtype=np.int64), path)
    return _tracks_frame(arr)


def _read_text(path: Path) -> str:
    """The file's text (UTF-8, with or without byte-order mark), or one-line faults."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, expected a text file") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(path, "is UTF-16 text; save it as plain ASCII (or UTF-8) text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            path,
            f"is not plain ASCII/UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as plain text",
        ) from None


def _line_fault(line: str, fields: list[str], bad: list[str]) -> str:
    """Why a line is not 'label begin end parent', with a hint for common mix-ups."""
    shown = line.strip()
    if len(shown) > 60:
        shown = shown[:57] + "..."
    if line.lstrip().startswith("#"):
        return f"comment lines are not part of the format: {shown!r}"
    if any(sep in line for sep in ",;"):
        return f"fields must be separated by spaces or tabs, not commas/semicolons: {shown!r}"
    if len(fields) != 4:
        return f"expected 4 integers 'label begin end parent', got {len(fields)} fields: {shown!r}"
    if len(bad) == len(fields) and not any(c.isdigit() for c in line):
        return f"{bad[0]!r} is not a non-negative integer (a header line? the format has none)"
    return f"{bad[0]!r} is not a non-negative integer"


def _truncation_hint(n: int, lines: list[str], text: str) -> str:
    """Point at truncation when the faulty line is the last one and has no line end."""
    last = max((i for i, line in enumerate(lines, start=1) if line.strip()), default=0)
    if n == last and not text.endswith(("\n", "\r")):
        return " (the last line has no line end: is the file truncated?)"
    return ""


def write_man_track(path: StrPath, tracks: pd.DataFrame | np.ndarray) -> Path:
    """Write a lineage table as a CTC ``man_track.txt`` (checked, atomic).

    Parameters
    ----------
    path
        Output file; its folder must exist. Written to a temporary file first and
        renamed, so an interrupted write never leaves a truncated file.
    tracks
        A table with columns ``label, begin, end, parent`` or an (n, 4) integer
        array in that column order.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InputError
        ``tracks`` breaks a rule of :func:`read_man_track` (row numbers, 1-based in
        label order, stand in for line numbers).
    """
    path = Path(path)
    if isinstance(tracks, pd.DataFrame):
        missing = [c for c in TRACK_COLUMNS if c not in tracks.columns]
        if missing:
            raise InputError(path, f"tracks lack column(s) {', '.join(missing)}")
        values = tracks[TRACK_COLUMNS].to_numpy()
    else:
        values = np.asarray(tracks)
        if values.ndim != 2 or values.shape[1] != 4:
            raise InputError(path, f"tracks must be an (n, 4) array, got shape {values.shape}")
    if not np.issubdtype(values.dtype, np.integer):
        try:
            integral = bool(np.all(np.mod(values.astype(np.float64), 1) == 0))
        except (TypeError, ValueError):
            integral = False
        if not integral:
            raise InputError(path, "tracks must hold integers")
    if values.size and values.min() < 0:
        raise InputError(path, "tracks must hold non-negative integers")
    arr = _tracks_frame(values.astype(np.int64).reshape(-1, 4)).to_numpy()
    _check_tracks(arr, np.arange(1, len(arr) + 1), path)
    text = "".join(f"{a} {b} {c} {d}\n" for a, b, c, d in arr.tolist())
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="ascii", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# --------------------------------------------------------------------------- masks


def find_frames(tra_dir: StrPath) -> dict[int, Path]:
    """Map frame number to mask file for ``man_track<digits>.tif`` in a TRA folder.

    Parameters
    ----------
    tra_dir
        The ``<seq>_GT/TRA`` folder. Any number of digits is accepted (CTC uses 3,
        larger data sets 4 or 6); ``.tiff`` too.

    Returns
    -------
    dict[int, pathlib.Path]
        Sorted by frame number.

    Raises
    ------
    InputError
        The folder is missing, holds no mask file, or two files give the same frame
        number (e.g. ``man_track007.tif`` and ``man_track0007.tif``).
    """
    tra_dir = Path(tra_dir)
    if not tra_dir.is_dir():
        raise InputError(tra_dir, "no such folder")
    frames: dict[int, Path] = {}
    for entry in sorted(tra_dir.iterdir()):
        m = _FRAME_RE.match(entry.name)
        if not m:
            continue
        t = int(m.group(1))
        if t in frames:
            raise InputError(tra_dir, f"frame {t} appears twice: {frames[t].name} and {entry.name}")
        frames[t] = entry
    if not frames:
        raise InputError(tra_dir, "no mask files man_track<frame>.tif")
    return dict(sorted(frames.items()))


def _glob_any_case(pattern: str) -> list[Path]:
    """``glob`` whose last component (the file name) matches in any case."""
    folders, name = os.path.split(pattern)
    match = re.compile(fnmatch.translate(name), re.IGNORECASE).match
    found = []
    for folder in sorted(glob.glob(folders)) if folders else ["."]:
        if os.path.isdir(folder):
            # like glob, a wildcard does not match a hidden file's leading dot
            found += [Path(folder) / e for e in os.listdir(folder)
                      if match(e) and (name.startswith(".") or not e.startswith("."))]
    return sorted(found)


def find_label_images(location: StrPath) -> dict[int, Path]:
    """Map frame number to label image for a folder of TIFFs or a glob pattern.

    For sequences that come with label masks only (no ``man_track.txt``): a CTC
    ``TRA`` or ``SEG`` folder, a segmentation tool's output folder, or a pattern
    such as ``01_GT/SEG/man_seg*.tif``. The frame number is the last number in a
    file's stem (``man_track007.tif`` -> 7, ``img_t0012_masks.tif`` -> 12). Where
    some files have CTC names (``man_track<digits>.tif``, ``man_seg<digits>.tif``),
    only those are read: the others are strays (a ``man_track_old.tif``), left out.

    Parameters
    ----------
    location
        A folder (every ``*.tif``/``*.tiff`` in it counts) or a glob pattern (holds
        ``*``, ``?`` or ``[``). File names match in any case, as :func:`find_frames`
        and Windows or macOS do: ``man_track*.tif`` finds ``man_track001.TIF``.

    Returns
    -------
    dict[int, pathlib.Path]
        Sorted by frame number.

    Raises
    ------
    InputError
        Nothing matches, a file's name holds no number, or two files give the same
        frame number (name a narrower glob then).
    """
    text = str(location)
    if any(c in text for c in "*?["):
        files = [f for f in _glob_any_case(text) if _TIFF_RE.search(f.name)]
    elif Path(text).is_dir():
        files = [f for f in sorted(Path(text).iterdir()) if _TIFF_RE.search(f.name)]
    else:
        raise InputError(text, "no such folder (expected a folder of label TIFFs or a glob pattern)")
    if not files:
        raise InputError(text, "no label images (*.tif, *.tiff) found")
    if any(_CTC_MASK_RE.match(f.name) for f in files):
        # a CTC folder: its naming says which files are frames; others (a stray
        # man_track_old.tif) are left out, and counted by ignored_files
        files = [f for f in files if _CTC_MASK_RE.match(f.name)]
    frames: dict[int, Path] = {}
    for f in files:
        m = _NUMBER_RE.search(_TIFF_RE.sub("", f.name))
        if m is None:
            raise InputError(f, "no frame number in the file name")
        t = int(m.group(1))
        if t in frames:
            raise InputError(
                text, f"frame {t} appears twice: {frames[t].name} and {f.name} (give a narrower glob)"
            )
        frames[t] = f
    return dict(sorted(frames.items()))


def ignored_files(folder: StrPath | None, kind: str) -> list[str]:
    """Names of the files in a CTC folder that its naming leaves out.

    Parameters
    ----------
    folder
        A ``<seq>_GT/TRA`` folder (``kind="masks"``): frames are
        ``man_track<digits>.tif``, besides ``man_track.txt``; or a raw ``<seq>``
        folder (``kind="images"``): frames are ``t<digits>.tif``. Names match in
        any case. ``None`` or a missing folder holds nothing.

    Returns
    -------
    list[str]
        Sorted; hidden files (``.DS_Store``) and sub-folders are not counted.
    """
    if folder is None or not Path(folder).is_dir():
        return []
    if kind == "masks":
        def read(name: str) -> bool:
            return bool(_FRAME_RE.match(name)) or name == MAN_TRACK
    elif kind == "images":
        def read(name: str) -> bool:
            return bool(IMAGE_RE.match(name))
    else:
        raise ValueError(f"kind must be 'masks' or 'images', got {kind!r}")
    return sorted(e.name for e in Path(folder).iterdir()
                  if e.is_file() and not e.name.startswith(".") and not read(e.name))


def read_frame(path: StrPath) -> np.ndarray:
    """Read one CTC label image as a 2-D non-negative integer array.

    Raises
    ------
    InputError
        Missing, empty, truncated or otherwise unreadable file, no image in it,
        not 2-D (singleton axes are dropped first), empty, not integer, or
        negative labels.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    if size == 0:
        raise InputError(path, "empty file (0 bytes): a truncated copy? restore it from the original data")
    _check_tiff_magic(path)
    with _tifffile_messages() as said:
        try:
            with tifffile.TiffFile(path) as tif:
                _check_tiff_layout(tif, path, size, said)
                img = tif.series[0].asarray()
        except InputError:
            raise
        except Exception as exc:  # tifffile/imagecodecs raise many types for bad files
            fault = f"unreadable TIFF (corrupt or truncated?): {type(exc).__name__}: {exc}"
            raise InputError(path, fault) from None
    img = np.squeeze(img)  # some writers add singleton axes (pages, channels)
    if img.ndim == 3:
        what = "colour (RGB) image" if img.shape[-1] in (3, 4) else f"stack of {img.shape[0]} images"
        raise InputError(path, f"holds a {what} of shape {img.shape}, expected one 2-D label image per frame")
    if img.ndim != 2:
        raise InputError(path, f"expected a 2-D label image, got shape {img.shape}")
    if img.size == 0:
        raise InputError(path, f"holds an empty image of shape {img.shape}")
    if not np.issubdtype(img.dtype, np.integer):
        kind = "a binary mask" if img.dtype == bool else f"dtype {img.dtype}"
        raise InputError(path, f"expected an integer label image (one value per track), got {kind}")
    if np.issubdtype(img.dtype, np.signedinteger) and img.min() < 0:
        raise InputError(path, "negative label values")
    return img


_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF
_OTHER_FORMATS = {b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"PK\x03\x04": "a zip archive"}


def _check_tiff_magic(path: Path) -> None:
    """Name the format of a file that is not a TIFF at all (e.g. a renamed PNG)."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if head in _TIFF_MAGIC:
        return
    what = next((name for magic, name in _OTHER_FORMATS.items() if head.startswith(magic)), None)
    found = what or f"its first bytes are {head!r}"
    raise InputError(path, f"not a TIFF file ({found}); CTC masks are TIFF label images")


@contextmanager
def _tifffile_messages() -> Iterator[list[str]]:
    """Collect what tifffile logs about the file read in this thread.

    tifffile logs (rather than raises) many faults of a damaged file and then
    returns an empty image; the reader turns them into its one-line error instead
    of letting them reach the terminal as stray warnings.
    """
    said: list[str] = []
    me = threading.get_ident()

    def keep(record: logging.LogRecord) -> bool:
        if record.thread != me:
            return True
        said.append(record.getMessage())
        return False

    logger = logging.getLogger("tifffile")
    logger.addFilter(keep)
    try:
        yield said
    finally:
        logger.removeFilter(keep)


def _check_tiff_layout(tif: tifffile.TiffFile, path: Path, size: int, said: list[str]) -> None:
    """Fail on a TIFF whose directory or pixel data lie (partly) beyond its end."""
    hint = f" ({said[0]})" if said else ""
    if not len(tif.pages) or not tif.series:
        raise InputError(path, f"truncated or corrupt TIFF: no image found in its {size} bytes{hint}")
    page = tif.pages[0]
    offsets, counts = page.dataoffsets, page.databytecounts
    if not len(offsets) or len(offsets) != len(counts):
        raise InputError(path, f"truncated or corrupt TIFF: the pixel data cannot be located{hint}")
    end = max(o + c for o, c in zip(offsets, counts))
    if end > size:
        raise InputError(
            path, f"truncated TIFF: its pixel data end at byte {end}, but the file has {size} bytes"
        )


def _frame_regions(img: np.ndarray) -> dict[str, np.ndarray]:
    """Label, area, centroid and bounding box of every non-zero label in ``img``.

    One pass of ``np.bincount`` plus ``ndimage.find_objects``: several times faster
    than building skimage ``regionprops`` objects, with the same numbers
    (centroid = mean pixel row/column; bbox max is exclusive, as in skimage).
    """
    width = img.shape[1]
    flat = img.ravel()
    nz = np.flatnonzero(flat)
    if nz.size == 0:
        return {}
    vals = flat[nz]
    labels = np.unique(vals) if vals.max() > 4 * img.size else None
    if labels is not None:
        # Huge label values: compact them so bincount/find_objects stay small.
        vals = np.searchsorted(labels, vals) + 1
        dense = np.zeros(img.shape, dtype=np.int64)
        dense.ravel()[nz] = vals
    else:
        dense = img
    vals = vals.astype(np.intp, copy=False)
    area = np.bincount(vals)
    present = np.flatnonzero(area)
    present = present[present > 0]
    rows, cols = np.divmod(nz, width)
    ysum = np.bincount(vals, weights=rows)[present]
    xsum = np.bincount(vals, weights=cols)[present]
    boxes = ndimage.find_objects(dense)
    bbox = np.array(
        [
            (boxes[k - 1][0].start, boxes[k - 1][1].start, boxes[k - 1][0].stop, boxes[k - 1][1].stop)
            for k in present
        ],
        dtype=np.int64,
    ).reshape(-1, 4)
    a = area[present]
    return {
        "label": (labels[present - 1] if labels is not None else present).astype(np.int64),
        "y": ysum / a,
        "x": xsum / a,
        "area": a.astype(np.int64),
        "min_row": bbox[:, 0],
        "min_col": bbox[:, 1],
        "max_row": bbox[:, 2],
        "max_col": bbox[:, 3],
    }


def _read_one(item: tuple[int, Path]) -> tuple[int, tuple[int, int], dict[str, np.ndarray]]:
    t, path = item
    img = read_frame(path)
    return t, img.shape, _frame_regions(img)


def _select(frames: dict[int, Path], subset: Iterable[int] | None, tra_dir: Path) -> dict[int, Path]:
    if subset is None:
        return frames
    wanted = sorted({int(t) for t in subset})
    if not wanted:
        raise InputError(tra_dir, "no frames requested")
    missing = [t for t in wanted if t not in frames]
    if missing:
        raise InputError(tra_dir, f"no mask file for requested frame(s) {missing[:5]}")
    return {t: frames[t] for t in wanted}


def _read_all(
    tra_dir: Path, frames: dict[int, Path], workers: int | None
) -> tuple[pd.DataFrame, dict[int, tuple[int, int]]]:
    # Decoding (zstd/LZW in imagecodecs) and numpy release the GIL, so threads help.
    workers = workers or min(4, os.cpu_count() or 1)
    items = list(frames.items())
    if workers > 1 and len(items) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_read_one, items))
    else:
        results = [_read_one(it) for it in items]
    shapes = {t: shape for t, shape, _ in results}
    parts = []
    for t, _, reg in results:
        if reg:
            parts.append(pd.DataFrame({"frame": np.full(reg["label"].size, t, dtype=np.int64), **reg}))
    if parts:
        det = pd.concat(parts, ignore_index=True)
    else:
        det = pd.DataFrame(
            {c: np.array([], dtype=np.float64 if c in ("y", "x") else np.int64) for c in DETECTION_COLUMNS}
        )
    det = det[DETECTION_COLUMNS].sort_values(["frame", "label"], kind="stable", ignore_index=True)
    return det, shapes


def read_detections(
    tra_dir: StrPath, frames: Iterable[int] | None = None, *, workers: int | None = None
) -> pd.DataFrame:
    """One row per labelled cell per frame of a CTC TRA folder.

    Parameters
    ----------
    tra_dir
        The ``<seq>_GT/TRA`` folder.
    frames
        Read only these frame numbers (default: every mask file). Frames need not
        start at 0 and may differ in size.
    workers
        Threads used to decode frames (default: up to 4, bounded by the CPU count).
        The result does not depend on it.

    Returns
    -------
    pandas.DataFrame
        Columns ``frame, label`` (int64), ``y, x`` (centroid in pixels: mean row and
        column, float64), ``area`` (pixels, int64) and the bounding box
        ``min_row, min_col, max_row, max_col`` (int64, max exclusive as in
        skimage). Sorted by (frame, label). Empty frames contribute no row. A label
        split into several pieces in one frame is one row (pooled pixels).

    Raises
    ------
    InputError
        Missing folder, no mask files, a requested frame without a file, or a
        mask that is not a readable 2-D non-negative integer image.
    """
    tra_dir = Path(tra_dir)
    det, _ = _read_all(tra_dir, _select(find_frames(tra_dir), frames, tra_dir), workers)
    return det


# --------------------------------------------------------------------------- checks


def _frame_name(frames: dict[int, Path], t: int) -> str:
    """File name that frame ``t`` has, or would have with this folder's digit count."""
    if t in frames:
        return frames[t].name
    digits = {len(_FRAME_RE.match(p.name).group(1)) for p in frames.values()}  # type: ignore[union-attr]
    width = min(digits) if digits else 3
    return f"man_track{t:0{width}d}.tif"


def validate(
    tracks: pd.DataFrame,
    detections: pd.DataFrame,
    tra_dir: StrPath,
    frames: Iterable[int] | None = None,
    shapes: dict[int, tuple[int, int]] | None = None,
    *,
    allow_mixed_frame_sizes: bool = False,
) -> dict[str, Any]:
    """Check masks against ``man_track.txt`` and describe the sequence.

    Errors (:class:`InputError`, naming the offending file):

    * a frame whose size differs from the sequence's other frames (unless
      ``allow_mixed_frame_sizes``): no published sequence mixes sizes, so such a
      frame almost surely belongs to another sequence;
    * a mask label that is not a track in ``man_track.txt``;
    * a label present in a frame outside its track's ``[begin, end]``;
    * a frame in ``[min(begin), max(end)]`` without a mask file;
    * a track whose label is absent from its begin frame or from its end frame
      (checked only where that frame was read).

    Counted, not errors (all occur in, or are allowed by, CTC ground truth): a label
    absent from a frame strictly inside its range ("gap"), frames with no cell, a
    child whose track starts more than one frame after its parent's ended, and
    parents with one or with more than two children.

    Parameters
    ----------
    tracks
        From :func:`read_man_track`.
    detections
        From :func:`read_detections` over ``frames``.
    tra_dir
        The TRA folder both came from (for file names and the frame list).
    frames
        The frames that ``detections`` covers (default: every mask file). Checks
        and counts about frames outside it are skipped.
    shapes
        Frame number -> image shape, if already known; otherwise the shapes are
        taken from the TIFF headers (no pixel decoding).
    allow_mixed_frame_sizes
        Accept frames of different sizes within the sequence.

    Returns
    -------
    dict
        ``n_frames`` (frames checked), ``first_frame``, ``last_frame``,
        ``missing_frame_numbers`` (frame numbers between the first and last mask
        file without a file, outside every track: allowed), ``n_tracks``,
        ``n_detections``, ``n_divisions`` (tracks with two or more child tracks, the
        count the CTC data sets publish), ``n_parents`` (tracks with at least one
        child), ``n_children`` (tracks with a parent), ``n_single_child_parents``
        (a track continued under a new label without dividing),
        ``n_multi_child_parents`` (more than two children), ``n_delayed_children``
        (child begins later than parent end + 1), ``n_root_tracks`` (no parent),
        ``n_gaps`` (track-frame pairs missing strictly inside a track's range, over
        the checked frames), ``n_tracks_with_gaps``, ``empty_frames`` (sorted list),
        ``frame_shapes`` (sorted list of distinct (height, width)),
        ``max_cells_per_frame`` / ``mean_cells_per_frame``, and ``data_quality``:
        legal but rare features, each with the frames concerned (see
        :func:`data_quality` and :func:`quality_warnings`).
    """
    tra_dir = Path(tra_dir)
    all_frames = find_frames(tra_dir)
    checked = _select(all_frames, frames, tra_dir)
    checked_set = np.fromiter(checked, dtype=np.int64)
    if shapes is None:
        shapes = {t: _header_shape(p) for t, p in checked.items()}
    if not allow_mixed_frame_sizes:
        _check_one_size(shapes, checked)

    tracks = tracks.sort_values("label", kind="stable")  # searchsorted below needs it
    label = tracks["label"].to_numpy(np.int64)
    begin = tracks["begin"].to_numpy(np.int64)
    end = tracks["end"].to_numpy(np.int64)
    parent = tracks["parent"].to_numpy(np.int64)

    # Every frame a track spans must exist as a file (whether or not it was read).
    if label.size:
        needed = np.arange(begin.min(), end.max() + 1)
        absent = needed[~np.isin(needed, np.fromiter(all_frames, dtype=np.int64))]
        if absent.size:
            raise InputError(
                tra_dir,
                f"{_frame_name(all_frames, int(absent[0]))} is missing ({absent.size} frame(s) missing), "
                f"but {MAN_TRACK} has tracks in frames {begin.min()}-{end.max()}",
            )

    det_frame = detections["frame"].to_numpy(np.int64)
    det_label = detections["label"].to_numpy(np.int64)
    if not np.isin(det_frame, checked_set).all():
        raise ValueError("detections hold frames outside `frames`; pass the frames they were read from")
    # Position of each detection's track (label sorted -> searchsorted).
    pos = np.searchsorted(label, det_label)
    pos_c = np.minimum(pos, max(label.size - 1, 0))
    known = (pos < label.size) & (label[pos_c] == det_label) if label.size else np.zeros(det_label.size, bool)
    if not known.all():
        k = int(np.flatnonzero(~known)[0])
        raise InputError(all_frames[int(det_frame[k])], f"label {det_label[k]} is not a track in {MAN_TRACK}")
    inside = (det_frame >= begin[pos_c]) & (det_frame <= end[pos_c])
    if not inside.all():
        k = int(np.flatnonzero(~inside)[0])
        j = pos_c[k]
        raise InputError(
            all_frames[int(det_frame[k])],
            f"label {det_label[k]} is present, but its track in {MAN_TRACK} spans frames {begin[j]}-{end[j]}",
        )

    # Presence of each track at its own begin and end frame (where those were read).
    present = pd.MultiIndex.from_arrays([det_frame, det_label])
    for what, at in (("begins", begin), ("ends", end)):
        read = np.isin(at, checked_set)
        hit = np.zeros(label.size, bool)
        if read.any():
            hit[read] = pd.MultiIndex.from_arrays([at[read], label[read]]).isin(present)
        bad = np.flatnonzero(read & ~hit)
        if bad.size:
            k = int(bad[0])
            raise InputError(
                all_frames[int(at[k])],
                f"label {label[k]} is absent, but {MAN_TRACK} says track {label[k]} {what} at frame {at[k]} "
                f"({bad.size} track(s) affected)",
            )

    # Gaps: frames read inside a track's range minus the frames it appears in.
    span_read = np.searchsorted(checked_set, end, side="right") - np.searchsorted(
        checked_set, begin, side="left"
    )
    seen = np.bincount(pos_c, minlength=label.size) if label.size else np.zeros(0, np.int64)
    gaps = span_read - seen
    children = pd.Series(parent[parent != 0]).value_counts()
    if label.size:
        child = parent != 0
        pend = end[np.searchsorted(label, parent[child])]
        delayed = int(np.sum(begin[child] > pend + 1))
    else:
        delayed = 0

    counts = np.bincount(np.searchsorted(checked_set, det_frame), minlength=checked_set.size)
    file_frames = np.fromiter(all_frames, dtype=np.int64)
    has_gap = gaps > 0
    quality = data_quality(
        label[has_gap], begin[has_gap], end[has_gap], det_frame, det_label, checked_set, counts
    )
    if len(set(shapes.values())) > 1:
        quality["frame_sizes"] = {
            f"{h}x{w}": sorted(t for t, s in shapes.items() if tuple(s) == (h, w))
            for h, w in sorted({tuple(s) for s in shapes.values()})
        }
    return {
        "n_frames": int(checked_set.size),
        "first_frame": int(checked_set.min()),
        "last_frame": int(checked_set.max()),
        "missing_frame_numbers": sorted(
            set(range(int(file_frames.min()), int(file_frames.max()) + 1)) - set(file_frames.tolist())
        ),
        "n_tracks": int(label.size),
        "n_detections": int(det_label.size),
        "n_divisions": int((children >= 2).sum()),
        "n_parents": int(children.size),
        "n_children": int(children.sum()),
        "n_single_child_parents": int((children == 1).sum()),
        "n_multi_child_parents": int((children > 2).sum()),
        "n_delayed_children": delayed,
        "n_root_tracks": int(np.sum(parent == 0)),
        "n_gaps": int(gaps.sum()),
        "n_tracks_with_gaps": int(np.sum(gaps > 0)),
        "empty_frames": checked_set[counts == 0].tolist(),
        "frame_shapes": sorted({tuple(int(v) for v in s) for s in shapes.values()}),
        "max_cells_per_frame": int(counts.max()),
        "mean_cells_per_frame": float(counts.mean()),
        "data_quality": quality,
    }


def _header_shape(path: Path) -> tuple[int, int]:
    """(height, width) of a mask from its TIFF header, as :func:`read_frame` squeezes it."""
    try:
        with tifffile.TiffFile(path) as tif:
            dims = [int(n) for n in tif.series[0].shape if n != 1]
    except Exception as exc:
        fault = f"unreadable TIFF (corrupt or truncated?): {type(exc).__name__}: {exc}"
        raise InputError(path, fault) from None
    return (dims[-2], dims[-1]) if len(dims) >= 2 else (0, 0)


def _check_one_size(shapes: dict[int, tuple[int, int]], files: dict[int, Path]) -> None:
    """Every frame of a sequence has one size; name the first frame that does not.

    The sequence's size is the most common one (ties: the earliest frame's).
    """
    sizes = [tuple(int(v) for v in shapes[t]) for t in sorted(shapes)]
    if len(set(sizes)) <= 1:
        return
    common = max(dict.fromkeys(sizes), key=sizes.count)  # first of the most frequent
    odd = [t for t in sorted(shapes) if tuple(shapes[t]) != common]
    t = odd[0]
    h, w = shapes[t]
    others = f" ({len(odd)} frames differ: {frame_ranges(odd)})" if len(odd) > 1 else ""
    raise InputError(
        files[t],
        f"frame {t} is {h}x{w} pixels, but the other frames of this sequence are {common[0]}x{common[1]}"
        f"{others}: a frame from another sequence? If the size really changes within the sequence, "
        "set allow_mixed_frame_sizes: true for this dataset in the config",
    )


#: A change of the cell count between consecutive frames is "abrupt" when it is at
#: least this many cells and more than half of the larger count (no real sequence in
#: the CTC data has one: divisions add at most half of the cells per frame).
JUMP_MIN_CELLS = 3
JUMP_FRACTION = 0.5


def data_quality(
    gap_label: np.ndarray,
    gap_begin: np.ndarray,
    gap_end: np.ndarray,
    det_frame: np.ndarray,
    det_label: np.ndarray,
    frames: np.ndarray,
    counts: np.ndarray,
) -> dict[str, Any]:
    """Legal but rare features of a sequence, with the frames they concern.

    Parameters
    ----------
    gap_label, gap_begin, gap_end
        The tracks that have gaps, with their spans.
    det_frame, det_label
        Frame and label of every detection.
    frames, counts
        The checked frame numbers (sorted) and the number of cells in each.

    Returns
    -------
    dict
        ``gaps``: ``{"label", "frames"}`` for each track absent from checked frames
        strictly inside its span; ``cell_count_jumps``: ``{"frames": [t, t2],
        "cells": [n, n2]}`` for consecutive checked frames whose cell count changes
        by at least :data:`JUMP_MIN_CELLS` and by more than :data:`JUMP_FRACTION`
        of the larger count.
    """
    gaps = []
    for lab, b, e in zip(gap_label.tolist(), gap_begin.tolist(), gap_end.tolist()):
        inside = frames[(frames >= b) & (frames <= e)]
        seen = det_frame[det_label == lab]
        gaps.append({"label": lab, "frames": inside[~np.isin(inside, seen)].tolist()})
    change = np.abs(np.diff(counts))
    larger = np.maximum(counts[1:], counts[:-1])
    jumps = np.flatnonzero((change >= JUMP_MIN_CELLS) & (change > JUMP_FRACTION * larger))
    return {
        "gaps": gaps,
        "cell_count_jumps": [
            {"frames": [int(frames[k]), int(frames[k + 1])], "cells": [int(counts[k]), int(counts[k + 1])]}
            for k in jumps
        ],
    }


def quality_warnings(stats: dict[str, Any], where: str) -> list[str]:
    """One line per kind of rare feature in ``stats["data_quality"]``, naming the frames.

    Parameters
    ----------
    stats
        From :func:`validate` or :func:`read_sequence`.
    where
        What the lines name first (the TRA folder).
    """
    quality = stats.get("data_quality", {})
    lines = []
    gaps = quality.get("gaps", [])
    if gaps:
        shown = "; ".join(f"track {g['label']}: frames {frame_ranges(g['frames'])}" for g in gaps[:5])
        more = f"; and {len(gaps) - 5} more tracks" if len(gaps) > 5 else ""
        lines.append(
            f"{where}: {len(gaps)} track(s) missing from frames inside their span ({shown}{more}); "
            "kept as gaps, see data_quality in lineage.json"
        )
    jumps = quality.get("cell_count_jumps", [])
    if jumps:
        shown = "; ".join(
            f"frames {j['frames'][0]}->{j['frames'][1]}: {j['cells'][0]}->{j['cells'][1]} cells"
            for j in jumps[:5]
        )
        more = f"; and {len(jumps) - 5} more" if len(jumps) > 5 else ""
        lines.append(
            f"{where}: the number of cells changes abruptly ({shown}{more}); "
            "check these frames belong to this sequence, see data_quality in lineage.json"
        )
    return lines


def frame_ranges(frames: Iterable[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``"1-3, 7"``."""
    runs: list[list[int]] = []
    for t in sorted(frames):
        if runs and t == runs[-1][1] + 1:
            runs[-1][1] = t
        else:
            runs.append([t, t])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)

# --------------------------------------------------------------------------- sequence


def tra_dir_of(path: StrPath, seq: str | int | None = None) -> Path:
    """Locate the TRA folder of a sequence.

    ``path`` is a TRA folder, a ``<seq>_GT`` folder, or (with ``seq``) a dataset
    folder holding ``<seq>_GT/TRA``. ``seq`` may be ``"01"`` or ``1``.

    Raises
    ------
    InputError
        The folder does not exist.
    """
    path = Path(path)
    if seq is not None:
        name = f"{seq:02d}" if isinstance(seq, int) else str(seq)
        path = path / f"{name}_GT" / "TRA"
    elif (path / "TRA").is_dir():
        path = path / "TRA"
    if not path.is_dir():
        raise InputError(path, "no such folder (expected <dataset>/<seq>_GT/TRA with man_track.txt)")
    return path


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
    chosen = _select(all_frames, frames, tra_dir)
    detections, shapes = _read_all(tra_dir, chosen, workers)
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
    detections, shapes = _read_all(Path(location), frames, workers)
    if not allow_mixed_frame_sizes:
        _check_one_size(shapes, frames)
    numbers = np.fromiter(frames, dtype=np.int64)
    counts = np.bincount(np.searchsorted(numbers, detections["frame"].to_numpy(np.int64)),
                         minlength=numbers.size)
    digits = [len(_NUMBER_RE.search(_TIFF_RE.sub("", p.name)).group(1)) for p in frames.values()]  # type: ignore[union-attr]
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
