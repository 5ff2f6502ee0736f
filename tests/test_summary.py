import numpy as np
import xarray as xr

from uqtrack.summary import combine, split_replicates


def _cell(value):
    return xr.Dataset(
        {"ece": (("ts",), [value, value / 2]), "n": ((), 3), "boot_ece": (("ts", "replicate"), np.full((2, 4), value))},
        coords={"ts": ["raw", "ts"], "replicate": np.arange(4)},
    )


def test_combine_fills_the_grid_in_config_order_and_leaves_missing_cells_nan():
    grid = [
        dict(dataset="b", step=10, tracker="t", method="sm"),
        dict(dataset="b", step=1, tracker="t", method="sm"),
        dict(dataset="a", step=1, tracker="t", method="as"),
    ]
    s = combine([_cell(0.1), _cell(0.2), _cell(0.3)], grid)
    assert list(s["dataset"].values) == ["b", "a"] and list(s["step"].values) == [1, 10]
    assert list(s["uq"].values) == ["sm", "as"]
    assert float(s["ece"].sel(dataset="b", step=10, tracker="t", uq="sm", ts="ts")) == 0.05
    assert float(s["ece"].sel(dataset="b", step=1, tracker="t", uq="sm", ts="raw")) == 0.2
    assert np.isnan(s["ece"].sel(dataset="a", step=10, tracker="t", uq="as", ts="raw"))  # not in the grid
    summary, boot = split_replicates(s)
    assert "replicate" not in summary.dims and list(boot.data_vars) == ["boot_ece"]
    assert boot["boot_ece"].shape == (2, 2, 1, 2, 2, 4)
