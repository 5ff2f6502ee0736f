"""A real Snakemake run with the mask-based trackers beside `distance`."""

import copy
import json

import numpy as np
import pytest
import xarray as xr

from conftest import snakemake_command
from test_workflow import TINY, run

pytestmark = pytest.mark.slow


def test_three_trackers_side_by_side(tmp_path):
    config = copy.deepcopy(TINY)
    config["methods"] = ["sm", "fpa"]
    config["steps"] = [1]  # three trackers x two methods: keep the run short
    config["trackers"] = {"distance": {}, "overlap": {"type": "overlap"}, "activity": {"type": "activity"}}
    run(snakemake_command(), tmp_path, config, cores=2)
    summary = xr.load_dataset(tmp_path / "results" / "summary.nc")
    assert set(summary["tracker"].values) == {"distance", "overlap", "activity"}
    assert set(summary["method"].values) == {"sm", "fpa"} and list(summary["step"].values) == [1]
    ece = summary["ece"].values
    assert np.isfinite(ece).all() and (ece >= 0).all() and (ece <= 1).all()
    assert (summary["n_predicted_links"].values > 0).all()
    # the fit rule resolved the activity tracker's `auto` values on the calibration split
    params = json.loads((tmp_path / "results/trackers/tiny/activity/params.json").read_text())
    assert params["activity_source"] == "image"  # the simulation writes raw images
    assert params["sigma"] > 0 and params["alpha"] >= 0 and params["activity_scale"] > 0
