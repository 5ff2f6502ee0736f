"""Tests of the CTC reader (uqtrack.ctc) on tiny synthetic sequences and the real data."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tifffile

from uqtrack import ctc
from uqtrack.errors import InputError

from conftest import SHARED_DATA

REAL = SHARED_DATA / "ctc"

# A cell is a (2*R+1)-pixel square centred on its position.
R = 1


def write_sequence(
    root: Path,
    man_track: str | list[tuple[int, int, int, int]],
    cells: dict[int, dict[int, tuple[int, int]]],
    shapes: dict[int, tuple[int, int]] | None = None,
    digits: int = 3,
    compression: str | None = None,
) -> Path:
    """Write ``root/01_GT/TRA`` with man_track.txt and one mask per frame of ``cells``.

    ``cells[frame][label] = (y, x)``; ``man_track`` is raw text or 4-tuples.
    """
    tra = root / "01_GT" / "TRA"
    tra.mkdir(parents=True)
    text = (
        man_track if isinstance(man_track, str) else "".join(f"{a} {b} {c} {d}\n" for a, b, c, d in man_track)
    )
    (tra / "man_track.txt").write_text(text)
    for t, frame_cells in cells.items():
        img = np.zeros((shapes or {}).get(t, (20, 30)), dtype=np.uint16)
        for label, (y, x) in frame_cells.items():
            img[y - R : y + R + 1, x - R : x + R + 1] = label
        tifffile.imwrite(tra / f"man_track{t:0{digits}d}.tif", img, compression=compression)
    return tra


def raises_input_error(fn, *parts: str) -> InputError:
    with pytest.raises(InputError) as info:
        fn()
    msg = str(info.value)
    assert "\n" not in msg
    for part in parts:
        assert part in msg, (part, msg)
    return info.value


# Track 1 lives in frames 5-7, track 2 in 5-6; frame 8 is empty; frame 6 is larger
# (allowed only with allow_mixed_frame_sizes).
BASIC_TRACKS = [(1, 5, 7, 0), (2, 5, 6, 0)]
BASIC_CELLS = {5: {1: (3, 4), 2: (10, 20)}, 6: {1: (4, 5), 2: (11, 21)}, 7: {1: (5, 6)}, 8: {}}
BASIC_SHAPES = {6: (25, 40)}


@pytest.mark.parametrize("digits", [3, 4, 6])
@pytest.mark.parametrize("compression", [None, "zstd"])
def test_basic_sequence(tmp_path: Path, digits: int, compression: str | None) -> None:
    tra = write_sequence(tmp_path, BASIC_TRACKS, BASIC_CELLS, BASIC_SHAPES, digits, compression)
    assert list(ctc.find_frames(tra)) == [5, 6, 7, 8]
    tracks, det, stats = ctc.read_sequence(tmp_path, "01", allow_mixed_frame_sizes=True)

    assert list(tracks.columns) == ctc.TRACK_COLUMNS
    assert (tracks.dtypes == np.int64).all()
    assert tracks.to_numpy().tolist() == [list(t) for t in BASIC_TRACKS]

    assert list(det.columns) == ctc.DETECTION_COLUMNS
    assert det[["frame", "label"]].to_numpy().tolist() == [[5, 1], [5, 2], [6, 1], [6, 2], [7, 1]]
    assert det["y"].dtype == np.float64 and det["area"].dtype == np.int64
    row = det.iloc[3]  # label 2 in frame 6, centred on (11, 21)
    assert (row.y, row.x, row.area) == (11.0, 21.0, (2 * R + 1) ** 2)
    assert (row.min_row, row.min_col, row.max_row, row.max_col) == (10, 20, 13, 23)

    assert stats["n_frames"] == 4 and (stats["first_frame"], stats["last_frame"]) == (5, 8)
    assert stats["n_tracks"] == 2 and stats["n_detections"] == 5
    assert stats["n_divisions"] == 0 and stats["n_parents"] == 0 and stats["n_gaps"] == 0
    assert stats["empty_frames"] == [8]
    assert stats["frame_shapes"] == [(20, 30), (25, 40)]
    assert stats["data_quality"]["frame_sizes"] == {"20x30": [5, 7, 8], "25x40": [6]}


def test_detections_match_skimage_and_are_deterministic(tmp_path: Path) -> None:
    from skimage.measure import regionprops_table

    tra = tmp_path / "TRA"
    tra.mkdir()
    rng = np.random.default_rng(0)
    img = rng.integers(0, 6, size=(40, 50)).astype(np.uint16)  # ragged, split labels
    img[img == 3] = 60000  # a large label value
    tifffile.imwrite(tra / "man_track000.tif", img)
    det = ctc.read_detections(tra)
    ref = pd.DataFrame(regionprops_table(img, properties=("label", "centroid", "area", "bbox")))
    np.testing.assert_array_equal(det["label"], ref["label"])
    np.testing.assert_allclose(det[["y", "x"]], ref[["centroid-0", "centroid-1"]])
    np.testing.assert_array_equal(det["area"], ref["area"])
    np.testing.assert_array_equal(
        det[["min_row", "min_col", "max_row", "max_col"]], ref[["bbox-0", "bbox-1", "bbox-2", "bbox-3"]]
    )
    pd.testing.assert_frame_equal(det, ctc.read_detections(tra, workers=1))


def test_lineage_quirks_are_counted(tmp_path: Path) -> None:
    # 1 divides into 2 and 3; 3 continues as 4 (single child) after a gap of one
    # frame (delayed); 2 is absent from frame 3 inside its range (a gap).
    tracks = [(1, 0, 1, 0), (2, 2, 4, 1), (3, 2, 2, 1), (4, 4, 4, 3)]
    cells = {
        0: {1: (5, 5)},
        1: {1: (5, 6)},
        2: {2: (5, 3), 3: (5, 10)},
        3: {},
        4: {2: (5, 3), 4: (5, 12)},
    }
    write_sequence(tmp_path, tracks, cells)
    _, det, stats = ctc.read_sequence(tmp_path / "01_GT")
    assert len(det) == 6
    assert stats["n_divisions"] == 1 and stats["n_parents"] == 2 and stats["n_children"] == 3
    assert stats["n_single_child_parents"] == 1 and stats["n_delayed_children"] == 1
    assert stats["n_gaps"] == 1 and stats["n_tracks_with_gaps"] == 1
    assert stats["empty_frames"] == [3] and stats["n_root_tracks"] == 1


def test_frame_subset(tmp_path: Path) -> None:
    tra = write_sequence(tmp_path, BASIC_TRACKS, BASIC_CELLS, BASIC_SHAPES)
    tracks, det, stats = ctc.read_sequence(tra, frames=[6, 7], allow_mixed_frame_sizes=True)
    assert sorted(det["frame"].unique()) == [6, 7] and stats["n_frames"] == 2
    assert stats["frame_shapes"] == [(20, 30), (25, 40)]
    raises_input_error(lambda: ctc.read_detections(tra, frames=[9]), "TRA", "frame(s) [9]")


def test_write_man_track_round_trip(tmp_path: Path) -> None:
    tracks = pd.DataFrame({"label": [3, 1, 2], "begin": [5, 0, 5], "end": [6, 4, 9], "parent": [1, 0, 1]})
    path = ctc.write_man_track(tmp_path / "man_track.txt", tracks)
    assert path.read_text() == "1 0 4 0\n2 5 9 1\n3 5 6 1\n"
    back = ctc.read_man_track(path)
    pd.testing.assert_frame_equal(back, tracks.sort_values("label", ignore_index=True).astype(np.int64))
    ctc.write_man_track(path, np.array([[1, 0, 2, 0]]))
    assert path.read_text() == "1 0 2 0\n"
    raises_input_error(
        lambda: ctc.write_man_track(tmp_path / "bad.txt", [[1, 0, 2, 0], [2, 1, 3, 1]]), "bad.txt", "parent 1"
    )
    assert not (tmp_path / "bad.txt").exists()


def test_blank_lines_and_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "man_track.txt"
    path.write_text("\n1 0 2 0\n   \n2\t3  4 1\n\n")
    assert ctc.read_man_track(path)["label"].tolist() == [1, 2]
    for empty in ("", "\n  \n"):
        path.write_text(empty)
        raises_input_error(lambda: ctc.read_man_track(path), "man_track.txt", "holds no track (the file is empty)")


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("1 0 2 0\n2 0 2\n", "line 2: expected 4 integers"),
        ("1 0 2 0\n2 0 2 0 0\n", "line 2: expected 4 integers"),
        ("1 0 2.5 0\n", "line 1: '2.5' is not a non-negative integer"),
        ("1 0 two 0\n", "line 1: 'two' is not a non-negative integer"),
        ("1 0 -2 0\n", "line 1: '-2' is not a non-negative integer"),
        ("1 0 2 0\n\n2 5 3 0\n", "line 3: track 2 begins at frame 5 after it ends at frame 3"),
        ("1 0 2 0\n2 0 2 0\n1 3 4 0\n", "line 3: duplicate label 1 (first on line 1)"),
        ("0 0 2 0\n", "line 1: label must be > 0"),
        ("1 0 2 0\n2 3 4 7\n", "line 2: track 2 has parent 7, which is not a track"),
        ("1 0 2 0\n2 2 4 1\n", "line 2: track 2 begins at frame 2, not after its parent 1 ends at frame 2"),
    ],
)
def test_man_track_faults(tmp_path: Path, text: str, fault: str) -> None:
    path = tmp_path / "man_track.txt"
    path.write_text(text)
    err = raises_input_error(lambda: ctc.read_man_track(path), "man_track.txt", fault)
    assert err.path == str(path)


def test_missing_man_track(tmp_path: Path) -> None:
    raises_input_error(
        lambda: ctc.read_man_track(tmp_path / "man_track.txt"), "man_track.txt", "no such file"
    )


@pytest.mark.parametrize(
    ("tracks", "cells", "file", "fault"),
    [
        (
            [(1, 0, 1, 0)],
            {0: {1: (5, 5)}, 1: {1: (5, 5), 9: (10, 10)}},
            "man_track001.tif",
            "label 9 is not a track",
        ),
        (
            [(1, 0, 0, 0), (2, 0, 1, 0)],
            {0: {1: (5, 5), 2: (9, 9)}, 1: {1: (5, 5), 2: (9, 9)}},
            "man_track001.tif",
            "label 1 is present, but its track in man_track.txt spans frames 0-0",
        ),
        ([(1, 0, 2, 0)], {0: {1: (5, 5)}, 2: {1: (5, 5)}}, "man_track001.tif", "is missing"),
        (
            [(1, 0, 1, 0)],
            {0: {}, 1: {1: (5, 5)}},
            "man_track000.tif",
            "label 1 is absent, but man_track.txt says track 1 begins at frame 0",
        ),
        ([(1, 0, 1, 0)], {0: {1: (5, 5)}, 1: {}}, "man_track001.tif", "track 1 ends at frame 1"),
    ],
)
def test_mask_faults(tmp_path: Path, tracks, cells, file: str, fault: str) -> None:
    write_sequence(tmp_path, tracks, cells)
    raises_input_error(lambda: ctc.read_sequence(tmp_path, "01"), file, fault)


def test_missing_folder(tmp_path: Path) -> None:
    raises_input_error(lambda: ctc.read_sequence(tmp_path, "02"), "02_GT", "no such folder")
    raises_input_error(lambda: ctc.find_frames(tmp_path / "nope"), "nope", "no such folder")


def test_folder_faults(tmp_path: Path) -> None:
    tra = tmp_path / "TRA"
    tra.mkdir()
    (tra / "man_track.txt").write_text("1 0 0 0\n")
    raises_input_error(lambda: ctc.find_frames(tra), "TRA", "no mask files")
    img = np.zeros((4, 4), np.uint16)
    tifffile.imwrite(tra / "man_track007.tif", img)
    tifffile.imwrite(tra / "man_track0007.tif", img)
    raises_input_error(lambda: ctc.find_frames(tra), "TRA", "frame 7 appears twice")


def test_bad_mask_files(tmp_path: Path) -> None:
    (tmp_path / "man_track000.tif").write_bytes(b"not a tiff")
    raises_input_error(
        lambda: ctc.read_frame(tmp_path / "man_track000.tif"), "man_track000.tif", "not a TIFF file"
    )
    tifffile.imwrite(tmp_path / "man_track001.tif", np.zeros((4, 4), np.float32))
    raises_input_error(lambda: ctc.read_frame(tmp_path / "man_track001.tif"), "man_track001.tif", "integer")
    tifffile.imwrite(tmp_path / "man_track002.tif", np.zeros((2, 4, 4), np.uint16))
    raises_input_error(lambda: ctc.read_frame(tmp_path / "man_track002.tif"), "man_track002.tif", "2-D")
    tifffile.imwrite(tmp_path / "man_track003.tif", -np.ones((4, 4), np.int16))
    raises_input_error(lambda: ctc.read_frame(tmp_path / "man_track003.tif"), "man_track003.tif", "negative")


# --------------------------------------------------------------------------- real data

realdata = pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} not found")


def _divisions_in_text(path: Path) -> tuple[int, int]:
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    parents = pd.Series([int(r[3]) for r in rows if int(r[3]) != 0]).value_counts()
    return len(rows), int((parents >= 2).sum())


@pytest.mark.realdata
@realdata
def test_real_sim_plus_01() -> None:
    start = time.perf_counter()
    tracks, det, stats = ctc.read_sequence(REAL / "Fluo-N2DH-SIM+", "01")
    assert time.perf_counter() - start < 10
    n_tracks, n_div = _divisions_in_text(REAL / "Fluo-N2DH-SIM+" / "01_GT" / "TRA" / "man_track.txt")
    assert (stats["n_tracks"], stats["n_divisions"]) == (n_tracks, n_div) == (95, 28)
    assert stats["n_frames"] == 65 and stats["frame_shapes"] == [(690, 628)]
    assert len(det) == stats["n_detections"] and det["frame"].is_monotonic_increasing


@pytest.mark.realdata
@realdata
def test_real_ecoli_six_digits() -> None:
    tra = REAL / "Ecoli-vanVliet-trpL" / "01_GT" / "TRA"
    frames = ctc.find_frames(tra)
    assert len(frames) == 53 and frames[0].name == "man_track000000.tif"
    _, det, stats = ctc.read_sequence(tra, frames=range(0, 53, 13))
    assert stats["n_frames"] == 5 and stats["n_tracks"] == 714 and stats["n_divisions"] == 356
    assert det.groupby("frame").size().loc[0] == 2


@pytest.mark.realdata
@realdata
def test_real_msc_no_divisions() -> None:
    _, _, stats = ctc.read_sequence(REAL / "Fluo-C2DL-MSC", "02")
    assert stats["n_divisions"] == 0 and stats["n_parents"] == 0
    assert stats["frame_shapes"] == [(782, 1200)]


def test_validate_directly(tmp_path: Path) -> None:
    tra = write_sequence(tmp_path, BASIC_TRACKS, BASIC_CELLS, BASIC_SHAPES)
    tracks = ctc.read_man_track(tra / "man_track.txt")
    det = ctc.read_detections(tra)
    # order of the tracks table does not matter
    stats = ctc.validate(tracks.iloc[::-1], det, tra, allow_mixed_frame_sizes=True)
    assert stats["frame_shapes"] == [(20, 30), (25, 40)] and stats["n_gaps"] == 0
    assert stats | {"tra_dir": str(tra)} == ctc.read_sequence(tra, allow_mixed_frame_sizes=True)[2]
    raises_input_error(
        lambda: ctc.validate(tracks[tracks.label != 2], det, tra, allow_mixed_frame_sizes=True),
        "man_track005.tif",
        "label 2",
    )
    raises_input_error(lambda: ctc.validate(tracks, det, tra), "man_track006.tif", "25x40", "20x30")


# --------------------------------------------------------------------------- stray files


def _with_strays(root: Path, seq: str) -> Path:
    """A CTC sequence ``seq`` whose TRA and raw folders hold files besides the frames."""
    write_sequence(root / "tmp", BASIC_TRACKS, BASIC_CELLS)
    tra = (root / "tmp" / "01_GT").rename(root / f"{seq}_GT") / "TRA"
    img = np.zeros((20, 30), np.uint16)
    tifffile.imwrite(tra / "man_track_old.tif", img)  # the stray: no frame number
    tifffile.imwrite(tra / "man_track005_old.tif", img)  # a number, but not a CTC name
    (tra / "notes.txt").write_text("not a frame")
    (tra / ".DS_Store").write_bytes(b"")  # hidden: not counted
    raw = root / seq
    raw.mkdir()
    for t in BASIC_CELLS:
        tifffile.imwrite(raw / f"t{t:03d}.tif", img)
    tifffile.imwrite(raw / "t005_bright.tif", img)
    (raw / "sub").mkdir()  # a folder: not counted
    return tra


def test_stray_files_in_ctc_folders_are_ignored_and_counted(tmp_path: Path) -> None:
    from uqtrack import config as cfg
    from uqtrack.frames import find_images

    tra = _with_strays(tmp_path, "01")
    assert list(ctc.find_frames(tra)) == [5, 6, 7, 8]
    # the tracking rules list the masks through masks_location's glob, the truth through find_frames
    listed = ctc.find_label_images(cfg.Dataset("x", (1,)).masks_location(str(tmp_path), "01"))
    assert listed == ctc.find_frames(tra)
    assert ctc.find_label_images(tra) == ctc.find_frames(tra)  # the folder itself (masks: {seq}_GT/TRA)
    _, det, _ = ctc.read_sequence(tmp_path, "01")
    assert sorted(set(det["frame"])) == [5, 6, 7]
    assert ctc.ignored_files(tra, "masks") == ["man_track005_old.tif", "man_track_old.tif", "notes.txt"]
    assert list(find_images(tmp_path / "01")) == [5, 6, 7, 8]
    assert ctc.ignored_files(tmp_path / "01", "images") == ["t005_bright.tif"]
    assert ctc.ignored_files(tmp_path / "nope", "images") == [] and ctc.ignored_files(None, "masks") == []
    # a folder without CTC names is still read by the last number in each name
    other = tmp_path / "seg"
    other.mkdir()
    tifffile.imwrite(other / "img_t0012_masks.tif", np.zeros((2, 2), np.uint16))
    assert list(ctc.find_label_images(other)) == [12]


def test_stray_files_do_not_stop_the_config_check(tmp_path: Path) -> None:
    import yaml

    from uqtrack import config as cfg

    from conftest import ROOT

    for seq in ("01", "02"):
        _with_strays(tmp_path, seq)
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config["overview"] = []
    config["datasets"] = {"real": {"path": str(tmp_path), "calibration": ["01"], "evaluation": ["02"],
                                   "steps": [1]}}
    cfg.load(config, ROOT / "workflow" / "schemas" / "config.schema.yaml", "my.yaml")  # once: "no frame number"
