"""Find a sequence's files: its TRA folder, its frames, the files its naming leaves out.

Frames are numbered by their file names (``man_track<digits>.tif`` in a TRA folder,
the last number of the stem elsewhere); nothing here opens an image.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from collections.abc import Iterable
from pathlib import Path

from uqtrack.ctc.names import CTC_MASK_RE, FRAME_RE, IMAGE_RE, MAN_TRACK, NUMBER_RE, TIFF_RE, StrPath
from uqtrack.errors import InputError

__all__ = ["find_frames", "find_label_images", "ignored_files", "select_frames", "tra_dir_of"]


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
        m = FRAME_RE.match(entry.name)
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
        files = [f for f in _glob_any_case(text) if TIFF_RE.search(f.name)]
    elif Path(text).is_dir():
        files = [f for f in sorted(Path(text).iterdir()) if TIFF_RE.search(f.name)]
    else:
        raise InputError(text, "no such folder (expected a folder of label TIFFs or a glob pattern)")
    if not files:
        raise InputError(text, "no label images (*.tif, *.tiff) found")
    if any(CTC_MASK_RE.match(f.name) for f in files):
        # a CTC folder: its naming says which files are frames; others (a stray
        # man_track_old.tif) are left out, and counted by ignored_files
        files = [f for f in files if CTC_MASK_RE.match(f.name)]
    frames: dict[int, Path] = {}
    for f in files:
        m = NUMBER_RE.search(TIFF_RE.sub("", f.name))
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
            return bool(FRAME_RE.match(name)) or name == MAN_TRACK
    elif kind == "images":
        def read(name: str) -> bool:
            return bool(IMAGE_RE.match(name))
    else:
        raise ValueError(f"kind must be 'masks' or 'images', got {kind!r}")
    return sorted(e.name for e in Path(folder).iterdir()
                  if e.is_file() and not e.name.startswith(".") and not read(e.name))


def select_frames(frames: dict[int, Path], subset: Iterable[int] | None, tra_dir: Path) -> dict[int, Path]:
    """The files of the frames in ``subset`` (all of ``frames`` when ``None``), in frame order.

    Raises
    ------
    InputError
        ``subset`` is empty or names a frame without a file (named after ``tra_dir``).
    """
    if subset is None:
        return frames
    wanted = sorted({int(t) for t in subset})
    if not wanted:
        raise InputError(tra_dir, "no frames requested")
    missing = [t for t in wanted if t not in frames]
    if missing:
        raise InputError(tra_dir, f"no mask file for requested frame(s) {missing[:5]}")
    return {t: frames[t] for t in wanted}


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
