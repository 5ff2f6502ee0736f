"""A hostile new user's inputs: every malformed file or config stops with one line
naming the file (or key) and the real fault; awkward-but-valid input is read."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import numpy as np
import pytest
import tifffile
import yaml

from uqtrack import config as cfg
from uqtrack import ctc
from uqtrack.errors import InputError
from uqtrack.simulate import simulate_dataset

from conftest import ROOT

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    """A small valid simulated sequence: 10 frames of 64x64 with a few cells."""
    root = tmp_path_factory.mktemp("good")
    simulate_dataset(root, ["01"], "nuclei", {"n_frames": 10, "shape": [64, 64], "n_initial": 6}, seed=3)
    return root


@pytest.fixture
def seq(good, tmp_path) -> Path:
    """A fresh copy of the good sequence; returns its TRA folder."""
    shutil.copytree(good, tmp_path / "data")
    return tmp_path / "data" / "01_GT" / "TRA"


def one_line_error(tra: Path, **kw) -> str:
    with pytest.raises(InputError) as info:
        ctc.read_sequence(tra, **kw)
    message = str(info.value)
    assert "\n" not in message and message.count(": ") >= 1
    return message


# --------------------------------------------------------------------------- man_track.txt


def _text(tra: Path) -> str:
    return (tra / "man_track.txt").read_text()


def _set(tra: Path, data: str | bytes) -> None:
    path = tra / "man_track.txt"
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)


MAN_TRACK_FAULTS = {
    "empty": (lambda t: "", "holds no track (the file is empty)"),
    "only blank lines": (lambda t: "\n \n\t\n", "holds no track"),
    "utf-16": (lambda t: t.encode("utf-16"), "is UTF-16 text"),
    "latin-1 comment": (lambda t: t.encode() + b"caf\xe9\n", "is not plain ASCII/UTF-8 text (byte 0xe9"),
    "binary": (lambda t: b"\x00\x01garbage\xff", "is not plain ASCII/UTF-8 text"),
    "commas": (lambda t: t.replace(" ", ","), "not commas/semicolons"),
    "semicolons": (lambda t: t.replace(" ", ";"), "not commas/semicolons"),
    "header line": (lambda t: "label begin end parent\n" + t, "(a header line? the format has none)"),
    "comment line": (lambda t: "# tracks\n" + t, "line 1: comment lines are not part of the format"),
    "truncated": (lambda t: t[: len(t) // 2 + 1].rstrip("\n").rsplit(" ", 1)[0], "is the file truncated?"),
    "three fields": (lambda t: t + "99 1 2\n", "expected 4 integers"),
    "five fields": (lambda t: t + "99 1 2 0 5\n", "got 5 fields"),
    "float": (lambda t: t + "99 1 2.0 0\n", "'2.0' is not a non-negative integer"),
    "negative": (lambda t: t + "99 1 -2 0\n", "'-2' is not a non-negative integer"),
    "nan": (lambda t: t + "99 nan 2 0\n", "'nan' is not a non-negative integer"),
    "full-width digits": (lambda t: t + "\uff19\uff19 1 2 0\n", "is not a non-negative integer"),
    "huge value": (lambda t: t + "99999999999999999999999 1 2 0\n", "is too large"),
    "label 0": (lambda t: t + "0 1 2 0\n", "label must be > 0"),
    "reversed track": (lambda t: t + "99 5 2 0\n", "begins at frame 5 after it ends at frame 2"),
    "duplicate label": (lambda t: t + t.splitlines()[0] + "\n", "duplicate label"),
    "unknown parent": (lambda t: t + "99 1 2 98\n", "parent 98, which is not a track"),
    "is a folder": (None, "is a folder, expected a text file"),
    "missing": (None, "no such file"),
}


@pytest.mark.parametrize("case", list(MAN_TRACK_FAULTS))
def test_malformed_man_track(seq, case):
    change, fault = MAN_TRACK_FAULTS[case]
    path = seq / "man_track.txt"
    if case == "is a folder":
        path.unlink()
        path.mkdir()
    elif case == "missing":
        path.unlink()
    else:
        _set(seq, change(_text(seq)))
    message = one_line_error(seq)
    assert message.startswith(str(path)) and fault in message, message


MAN_TRACK_VALID = {
    "CRLF line ends": lambda b: b.replace(b"\n", b"\r\n"),
    "CR line ends": lambda b: b.replace(b"\n", b"\r"),
    "byte-order mark": lambda b: b"\xef\xbb\xbf" + b,
    "lines in reverse order": lambda b: b"".join(reversed(b.splitlines(keepends=True))),
    "tabs": lambda b: b.replace(b" ", b"\t"),
    "padding": lambda b: b.replace(b"\n", b"   \n").replace(b"\n", b"\n\n"),
    "no final line end": lambda b: b.rstrip(b"\n"),
}


@pytest.mark.parametrize("case", list(MAN_TRACK_VALID))
def test_awkward_but_valid_man_track(seq, case):
    reference = ctc.read_sequence(seq)
    path = seq / "man_track.txt"
    path.write_bytes(MAN_TRACK_VALID[case](path.read_bytes()))
    tracks, det, _ = ctc.read_sequence(seq)
    assert tracks.equals(reference[0]) and det.equals(reference[1])


# --------------------------------------------------------------------------- masks


def _mask(tra: Path, t: int = 3) -> Path:
    return tra / f"man_track{t:03d}.tif"


def _rewrite(tra: Path, fn, t: int = 3, **kw) -> None:
    path = _mask(tra, t)
    tifffile.imwrite(path, fn(tifffile.imread(path)), **kw)


def _truncate(tra: Path, keep) -> None:
    path = _mask(tra)
    data = path.read_bytes()
    path.write_bytes(data[: keep(len(data))])


def _ifd_last(tra: Path) -> None:
    """Rewrite the mask with its directory after the pixels (as the SIM+ files have it), then cut it off."""
    path = _mask(tra)
    img = tifffile.imread(path)
    raw = img.astype("<u2").tobytes()
    # minimal little-endian TIFF: header -> pixels -> IFD at the end
    import struct

    ifd_at = 8 + len(raw)
    entries = [(256, 3, 1, img.shape[1]), (257, 3, 1, img.shape[0]), (258, 3, 1, 16), (259, 3, 1, 1),
               (262, 3, 1, 1), (273, 4, 1, 8), (277, 3, 1, 1), (278, 3, 1, img.shape[0]), (279, 4, 1, len(raw))]
    ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries) + b"\0\0\0\0"
    full = b"II*\x00" + struct.pack("<I", ifd_at) + raw + ifd
    assert np.array_equal(tifffile.imread(_write(path, full)), img)  # a valid file first
    path.write_bytes(full[: ifd_at - 100])


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


MASK_FAULTS = {
    "zero bytes": (lambda t: _mask(t).write_bytes(b""), "empty file (0 bytes)"),
    "truncated pixels": (lambda t: _truncate(t, lambda n: n // 2), "truncated TIFF: its pixel data end at byte"),
    "truncated header": (lambda t: _truncate(t, lambda n: 6), "unreadable TIFF (corrupt or truncated?)"),
    "truncated before the directory": (_ifd_last, "truncated or corrupt TIFF: no image found"),
    "renamed PNG": (lambda t: _mask(t).write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64)), "not a TIFF file (a PNG image)"),
    "renamed JPEG": (lambda t: _mask(t).write_bytes(b"\xff\xd8\xff\xe0" + bytes(64)), "not a TIFF file (a JPEG image)"),
    "text file": (lambda t: _mask(t).write_text("hello"), "not a TIFF file (its first bytes are b'hell')"),
    "float labels": (lambda t: _rewrite(t, lambda a: a.astype(np.float32)), "got dtype float32"),
    "binary mask": (lambda t: _rewrite(t, lambda a: a > 0), "got a binary mask"),
    "3-D stack": (
        lambda t: _rewrite(t, lambda a: np.stack([a, a, a]), photometric="minisblack"),
        "holds a stack of 3 images",
    ),
    "RGB": (
        lambda t: _rewrite(t, lambda a: np.stack([a.astype(np.uint8)] * 3, -1), photometric="rgb"),
        "holds a colour (RGB) image",
    ),
    "1-D": (lambda t: _rewrite(t, lambda a: a.ravel()), "expected a 2-D label image"),
    "negative labels": (lambda t: _rewrite(t, lambda a: -a.astype(np.int16) - 1), "negative label values"),
    "broken symlink": (lambda t: (_mask(t).unlink(), _mask(t).symlink_to("/nonexistent/x.tif")), "no such file"),
    "frame of another size": (
        lambda t: _rewrite(t, lambda a: np.pad(a, ((0, 36), (0, 36)))),
        "frame 3 is 100x100 pixels, but the other frames of this sequence are 64x64",
    ),
    "smaller frame": (lambda t: _rewrite(t, lambda a: a[:40, :40]), "frame 3 is 40x40 pixels"),
}


@pytest.mark.parametrize("case", list(MASK_FAULTS))
def test_malformed_mask(seq, case, caplog):
    change, fault = MASK_FAULTS[case]
    change(seq)
    message = one_line_error(seq)
    assert message.startswith(str(_mask(seq))) and fault in message, message
    assert not [r for r in caplog.records if r.name.startswith("tifffile")], "tifffile's own warnings leaked"


def test_a_frame_from_another_sequence_is_named(good, tmp_path):
    """Frame 3 replaced by one of another size that holds labels of man_track.txt."""
    other = tmp_path / "other"
    simulate_dataset(other, ["01"], "nuclei", {"n_frames": 10, "shape": [80, 96], "n_initial": 6}, seed=3)
    shutil.copytree(good, tmp_path / "data")
    tra = tmp_path / "data" / "01_GT" / "TRA"
    shutil.copy(other / "01_GT" / "TRA" / "man_track003.tif", tra / "man_track003.tif")
    message = one_line_error(tra)
    assert message.startswith(str(tra / "man_track003.tif")) and "80x96" in message
    assert "allow_mixed_frame_sizes: true" in message
    # the key lets it through (it then fails or passes on its labels alone)
    try:
        _, _, stats = ctc.read_sequence(tra, allow_mixed_frame_sizes=True)
    except InputError as err:
        assert "80x96" not in str(err)
    else:
        assert stats["data_quality"]["frame_sizes"]["80x96"] == [3]


MASKS_VALID = {
    ".tiff": lambda t: _mask(t).rename(t / "man_track003.tiff"),
    ".TIF": lambda t: _mask(t).rename(t / "man_track003.TIF"),
    "int32": lambda t: _rewrite(t, lambda a: a.astype(np.int32)),
    "uint32": lambda t: _rewrite(t, lambda a: a.astype(np.uint32)),
    "zstd": lambda t: _rewrite(t, lambda a: a, compression="zstd"),
    "singleton axes": lambda t: _rewrite(t, lambda a: a[None, :, :, None]),
}


@pytest.mark.parametrize("case", list(MASKS_VALID))
def test_awkward_but_valid_masks(seq, case):
    reference = ctc.read_sequence(seq)[1]
    MASKS_VALID[case](seq)
    assert ctc.read_sequence(seq)[1].equals(reference)


# --------------------------------------------------------------------------- rare but legal


def test_gaps_and_cell_count_jumps_are_recorded_with_their_frames(seq):
    tracks = ctc.read_man_track(seq / "man_track.txt")
    long = tracks[(tracks.end - tracks.begin) >= 4].iloc[0]
    gap = [int(long.begin) + 1, int(long.begin) + 2]
    for t in gap:
        _rewrite(seq, lambda a: np.where(a == long.label, 0, a).astype(a.dtype), t=t)
    _, det, stats = ctc.read_sequence(seq)
    quality = stats["data_quality"]
    assert {"label": int(long.label), "frames": gap} in quality["gaps"]
    assert quality["cell_count_jumps"] == []
    lines = ctc.quality_warnings(stats, "TRA")
    assert len(lines) == 1 and f"track {long.label}: frames {gap[0]}-{gap[1]}" in lines[0]



def test_cell_count_jumps_are_recorded_with_their_frames(tmp_path):
    # 20 cells live in frames 0-4; in frame 2 only 5 of them are labelled (gaps)
    tra = tmp_path / "01_GT" / "TRA"
    tra.mkdir(parents=True)
    ctc.write_man_track(tra / "man_track.txt", [[k, 0, 4, 0] for k in range(1, 21)])
    for t in range(5):
        img = np.zeros((40, 90), np.uint16)
        for k in range(1, 21 if t != 2 else 6):
            img[2 * (k % 4) * 4 : 2 * (k % 4) * 4 + 3, 4 * k : 4 * k + 3] = k
        tifffile.imwrite(tra / f"man_track{t:03d}.tif", img)
    _, _, stats = ctc.read_sequence(tmp_path, "01")
    quality = stats["data_quality"]
    assert quality["cell_count_jumps"] == [{"frames": [1, 2], "cells": [20, 5]}, {"frames": [2, 3], "cells": [5, 20]}]
    assert len(quality["gaps"]) == 15 and all(g["frames"] == [2] for g in quality["gaps"])
    gaps, jumps = ctc.quality_warnings(stats, str(tra))
    assert gaps.startswith(str(tra)) and "15 track(s)" in gaps and "track 6: frames 2" in gaps and "10 more" in gaps
    assert "frames 1->2: 20->5 cells; frames 2->3: 5->20 cells" in jumps


# --------------------------------------------------------------------------- config frame ranges


DEFAULT = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def _config_with(parts: dict, steps=None, path=None) -> dict:
    config = copy.deepcopy(DEFAULT)
    ds = {"calibration": parts["calibration"], "evaluation": parts["evaluation"]}
    if path is None:
        ds["simulate"] = {"preset": "nuclei"}
    else:
        ds["path"] = str(path)
    if steps:
        ds["steps"] = steps
    config["datasets"] = {"one": ds}
    config["overview"] = []  # the default's names a dataset this config lacks
    return config


def _config_error(config) -> str:
    with pytest.raises(InputError) as info:
        cfg.load(config, SCHEMA, "my.yaml")
    message = str(info.value)
    assert "\n" not in message and message.startswith("my.yaml: datasets.one.")
    return message


CONFIG_FAULTS = {
    "reversed": (
        {"calibration": [{"seq": "01", "frames": [10, 0]}], "evaluation": [{"seq": "01", "frames": [20, 40]}]},
        None,
        "datasets.one.calibration.0.frames: [10, 0] is reversed",
    ),
    "one frame": (
        {"calibration": [{"seq": "01", "frames": [5, 5]}], "evaluation": [{"seq": "01", "frames": [20, 40]}]},
        [1],
        "calibration.0.frames: [5, 5] holds no frame pair at step 1",
    ),
    "shorter than a step": (
        {"calibration": [{"seq": "01", "frames": [0, 20]}], "evaluation": [{"seq": "01", "frames": [21, 60]}]},
        [1, 30],
        "calibration.0.frames: [0, 20] holds no frame pair at step 30",
    ),
}


@pytest.mark.parametrize("case", list(CONFIG_FAULTS))
def test_config_frame_ranges_without_data(case):
    parts, steps, fault = CONFIG_FAULTS[case]
    assert fault in _config_error(_config_with(parts, steps))


DATA_FAULTS = {
    # the good sequence has frames 0-9
    "beyond the sequence": (
        {"calibration": [{"seq": "01", "frames": [0, 4]}], "evaluation": [{"seq": "01", "frames": [5, 30]}]},
        [1],
        "evaluation.0.frames: [5, 30] reaches beyond sequence '01', which has frames 0-9",
    ),
    "before the sequence": (
        {"calibration": [{"seq": "01", "frames": [0, 4]}], "evaluation": [{"seq": "01", "frames": [5, 9]}]},
        [1],
        None,  # valid
    ),
    "no pair at a step (misaligned)": (
        # step 3 keeps 0, 3, 6, 9: [4, 8] holds 6 only
        {"calibration": [{"seq": "01", "frames": [0, 3]}], "evaluation": [{"seq": "01", "frames": [4, 8]}]},
        [1, 3],
        "evaluation.0.frames: [4, 8] of sequence '01' holds no frame pair at step 3",
    ),
    "whole sequence too short for a step": (
        {"calibration": ["01"], "evaluation": ["02"]},
        [1, 12],
        "calibration.0: sequence '01' holds no frame pair at step 12",
    ),
}


@pytest.mark.parametrize("case", list(DATA_FAULTS))
def test_config_frame_ranges_against_local_data(good, tmp_path, case):
    parts, steps, fault = DATA_FAULTS[case]
    root = tmp_path / "data"
    shutil.copytree(good, root)
    shutil.copytree(root / "01_GT", root / "02_GT")
    config = _config_with(parts, steps, path=root)
    if fault is None:
        cfg.load(config, SCHEMA, "my.yaml")
    else:
        assert fault in _config_error(config)


def test_check_frames_for_made_data():
    """Simulated/downloaded data: the same check runs once the frames exist (prepare)."""
    ds = {"calibration": [{"seq": "01", "frames": [0, 29]}], "evaluation": [{"seq": "01", "frames": [30, 60]}]}
    cfg.check_frames(cfg.Dataset.from_config("x", ds, [1, 10]), "01", range(61))
    with pytest.raises(InputError, match=r"^config: datasets.x.evaluation.0.frames: \[30, 60\] reaches beyond"):
        cfg.check_frames(cfg.Dataset.from_config("x", ds, [1]), "01", range(53))
    with pytest.raises(InputError, match="holds no frame pair at step 30"):
        cfg.check_frames(cfg.Dataset.from_config("x", ds, [1, 30]), "01", range(61))
    # parts on other sequences are not judged
    cfg.check_frames(cfg.Dataset.from_config("x", ds, [50]), "02", range(3))
