"""Decode one CTC label image, turning every kind of damaged file into one clear line.

tifffile logs (rather than raises) many faults of a damaged file and then returns an
empty image; the checks here (magic bytes, directory and pixel data inside the file,
the tifffile log of the reading thread) name the fault instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import tifffile

from uqtrack.ctc.names import StrPath
from uqtrack.errors import InputError

__all__ = ["read_frame", "header_shape"]


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


def header_shape(path: Path) -> tuple[int, int]:
    """(height, width) of a mask from its TIFF header, as :func:`read_frame` squeezes it."""
    try:
        with tifffile.TiffFile(path) as tif:
            dims = [int(n) for n in tif.series[0].shape if n != 1]
    except Exception as exc:
        fault = f"unreadable TIFF (corrupt or truncated?): {type(exc).__name__}: {exc}"
        raise InputError(path, fault) from None
    return (dims[-2], dims[-1]) if len(dims) >= 2 else (0, 0)
