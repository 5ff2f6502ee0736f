"""The data-quality page: rare features with their frames, and grid cells with little to judge."""

import numpy as np
import xarray as xr

from uqtrack import quality
from uqtrack.calibration import STATUSES

DIMS = ("dataset", "step", "tracker", "uq")


def _summary():
    """One dataset with steps 1 and 10, plus step 50 that is not one of its grid cells."""
    coords = {"dataset": ["d"], "step": [1, 10, 50], "tracker": ["distance"], "uq": ["sm", "as"]}
    full = lambda v: np.full((1, 3, 1, 2), v, dtype=float)  # noqa: E731
    s = xr.Dataset({k: (DIMS, full(v)) for k, v in
                    {"frame_pairs": 9, "n_predicted_links": 300, "ts_status": 0, "timed_out_pairs": 0}.items()},
                   coords=coords)
    s["frame_pairs"][0, 2] = np.nan  # step 50: no grid cell
    s["n_predicted_links"][0, 2] = np.nan
    s["ts_status"][0, 0, 0, 1] = STATUSES.index("separable")  # step 1, as: fine, only counted
    s["n_predicted_links"][0, 1, 0, :] = [0, 0]  # step 10: nothing judged ...
    s["ts_status"][0, 1, 0, :] = STATUSES.index("no_data")  # ... so no temperature
    s["timed_out_pairs"][0, 1, 0, 1] = 2
    return s


def _stats(**quality_):
    return {"n_frames": 10, "first_frame": 0, "last_frame": 9, "mean_cells_per_frame": 12.5,
            "max_cells_per_frame": 20, "n_tracks": 30, "n_divisions": 4, "empty_frames": [7],
            "missing_frame_numbers": [], "data_quality": {"gaps": [], "cell_count_jumps": [], **quality_}}


def test_rare_features_are_listed_with_their_frames():
    stats = {"d/01": _stats(gaps=[{"label": 5, "frames": [3, 4, 5]}],
                            cell_count_jumps=[{"frames": [6, 7], "cells": [20, 2]}],
                            frame_sizes={"64x64": [0, 1, 2, 4, 5, 6, 7, 8, 9], "80x64": [3]}),
             "d/02": _stats()}
    text = quality.markdown(stats, _summary())
    assert ("| d/01 | 10 (0-9) | 12.5, 20 | 30 | 4 | 7 | 0 | 1 | 1 | 64x64: frames 0-2, 4-9; 80x64: frames 3 "
            "| 0 |") in text
    assert "| d/02 | 10 (0-9) | 12.5, 20 | 30 | 4 | 7 | 0 | 0 | 0 | one | 0 |" in text
    assert "- d/01: track 5 missing from frames 3-5; frames 6->7: 20->2 cells" in text
    assert "d/02:" not in text


def test_ignored_files_are_counted_per_sequence_and_named():
    strays = {**_stats(),
              "ignored_files": {"masks": ["man_track_old.tif", "notes.txt"], "images": ["t005_b.tif"]}}
    text = quality.markdown({"d/01": strays, "d/02": {**_stats(), "ignored_files": {"masks": [], "images": []}}},
                            _summary())
    assert "| d/01 | 10 (0-9) | 12.5, 20 | 30 | 4 | 7 | 0 | 0 | 0 | one | 3 |" in text
    assert "| d/02 | 10 (0-9) | 12.5, 20 | 30 | 4 | 7 | 0 | 0 | 0 | one | 0 |" in text
    assert ("- d/01: ignored file man_track_old.tif (TRA folder, not man_track<digits>.tif); ignored file "
            "notes.txt (TRA folder, not man_track<digits>.tif); ignored file t005_b.tif (raw images, "
            "not t<digits>.tif)") in text
    assert "d/02:" not in text


def test_grid_cells_with_nothing_to_judge_are_flagged_not_averaged():
    text = quality.markdown({"d/01": _stats()}, _summary())
    assert "None: no track has gaps" in text
    assert "1 of 2 dataset x step x tracker cells need a second look" in text  # step 50 is no cell
    row = next(line for line in text.splitlines() if line.startswith("| d | 10 |"))
    assert "nothing to judge" in row and "sm (no_data), as (no_data)" in row and "as 2" in row
    assert "| d | 1 |" not in text  # a separable fit is only counted
    assert "In 1 method x cell fits the calibration data were separable" in text


def test_few_judged_links_are_flagged():
    s = _summary()
    s["n_predicted_links"][0, 1, 0, :] = [quality.LITTLE - 1, 40]
    s["ts_status"][0, 1, 0, :] = 0
    s["timed_out_pairs"][0, 1, 0, :] = 0
    text = quality.markdown({"d/01": _stats()}, s)
    row = next(line for line in text.splitlines() if line.startswith("| d | 10 |"))
    assert f"| {quality.LITTLE - 1}-40 | few judged links" in row
    s["n_predicted_links"][0, 1, 0, :] = [quality.LITTLE, 40]
    assert "All 2 dataset x step x tracker cells have" in quality.markdown({"d/01": _stats()}, s)
