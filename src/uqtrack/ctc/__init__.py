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

The package's modules, each importable on its own (this one re-exports their public
names, so ``from uqtrack.ctc import read_sequence`` works):

* :mod:`~uqtrack.ctc.names`: file-name patterns, table columns, ``MAN_TRACK``;
* :mod:`~uqtrack.ctc.mantrack`: read and write ``man_track.txt``;
* :mod:`~uqtrack.ctc.discovery`: find the TRA folder, the frames, the stray files;
* :mod:`~uqtrack.ctc.tiff`: decode one label image, with damage checks;
* :mod:`~uqtrack.ctc.regions`: label, area, centroid and box of each cell of an image;
* :mod:`~uqtrack.ctc.detections`: read many images (threads) into one table;
* :mod:`~uqtrack.ctc.checks`: check masks against the lineage, describe the sequence;
* :mod:`~uqtrack.ctc.quality`: legal but rare features and their warnings;
* :mod:`~uqtrack.ctc.sequence`: the entry points :func:`read_sequence` (lineage and
  masks) and :func:`read_masks` (masks alone).
"""

from uqtrack.ctc.checks import validate
from uqtrack.ctc.detections import read_detections
from uqtrack.ctc.discovery import find_frames, find_label_images, ignored_files, tra_dir_of
from uqtrack.ctc.mantrack import read_man_track, write_man_track
from uqtrack.ctc.names import DETECTION_COLUMNS, IMAGE_RE, MAN_TRACK, TRACK_COLUMNS, StrPath
from uqtrack.ctc.quality import JUMP_FRACTION, JUMP_MIN_CELLS, data_quality, frame_ranges, quality_warnings
from uqtrack.ctc.sequence import read_masks, read_sequence
from uqtrack.ctc.tiff import read_frame

__all__ = [
    "TRACK_COLUMNS",
    "DETECTION_COLUMNS",
    "MAN_TRACK",
    "IMAGE_RE",
    "JUMP_MIN_CELLS",
    "JUMP_FRACTION",
    "StrPath",
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
