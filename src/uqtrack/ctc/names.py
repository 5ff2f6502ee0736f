"""The CTC layout's names: file-name patterns, table columns, the lineage file's name.

Shared by every module of :mod:`uqtrack.ctc`, so that a frame is recognised by one
pattern everywhere.
"""

from __future__ import annotations

import re
from os import PathLike

__all__ = [
    "StrPath",
    "TRACK_COLUMNS",
    "DETECTION_COLUMNS",
    "MAN_TRACK",
    "FRAME_RE",
    "CTC_MASK_RE",
    "IMAGE_RE",
    "TIFF_RE",
    "NUMBER_RE",
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
#: A frame of a TRA folder: ``man_track<digits>.tif``.
FRAME_RE = re.compile(r"^man_track(\d+)\.tiff?$", re.IGNORECASE)
#: The CTC names of label images (TRA and SEG folders) and of raw frames.
CTC_MASK_RE = re.compile(r"^man_(?:track|seg)(\d+)\.tiff?$", re.IGNORECASE)
IMAGE_RE = re.compile(r"^t(\d+)\.tiff?$", re.IGNORECASE)
TIFF_RE = re.compile(r"\.tiff?$", re.IGNORECASE)
NUMBER_RE = re.compile(r"(\d+)\D*$")  # the last number in a file stem is its frame
