"""Read and write the lineage file ``man_track.txt`` (``label begin end parent`` per track).

The reader and the writer check the same lineage rules, so that no invalid file is
ever produced; every fault is one line naming the file and the line.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from uqtrack.ctc.names import TRACK_COLUMNS, StrPath
from uqtrack.errors import InputError

__all__ = ["read_man_track", "write_man_track"]


_INT_RE = re.compile(r"[0-9]+")  # fullmatch: non-negative ASCII decimal, no sign


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
