"""One labelled summary of the whole grid: dataset x step x tracker x uq x ts.

The uncertainty method's dimension is called ``uq``, not ``method``: ``method`` is a
keyword of xarray's ``.sel``, so ``s.ece.sel(uq="as", ts="raw")`` just works.

The run's ``summary.nc`` holds the statistics and their 95 % bootstrap intervals;
the bootstrap replicates themselves (``boot_*``, dim ``replicate``) go to
``bootstrap.nc``, which the claims check reads for paired differences.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from uqtrack.calibration import STATUSES

GRID_DIMS = ("dataset", "step", "tracker", "uq")
#: The grid's keys (as the workflow names them) for each summary dimension.
GRID_KEYS = {"dataset": "dataset", "step": "step", "tracker": "tracker", "uq": "method"}


def combine(cells: Sequence[xr.Dataset], grid: Sequence[dict[str, Any]]) -> xr.Dataset:
    """Stack per-cell metric datasets along the grid's dimensions.

    Every variable becomes one array over the grid (config order; steps sorted)
    filled cell by cell, so memory stays the size of the result: aligning the
    cells with ``xarray.merge`` grew with cells x grid and ran out of memory on
    the paper's grid. Cells missing from the grid (a dataset without some step)
    stay NaN.
    """
    order = {dim: list(dict.fromkeys(w[GRID_KEYS[dim]] for w in grid)) for dim in GRID_DIMS}
    order["step"] = sorted(order["step"])
    position = {dim: {v: i for i, v in enumerate(vals)} for dim, vals in order.items()}
    shape = tuple(len(order[d]) for d in GRID_DIMS)
    arrays: dict[str, np.ndarray] = {}
    var_dims: dict[str, tuple[str, ...]] = {}
    coords: dict[str, Any] = {}
    for cell, where in zip(cells, grid, strict=True):
        at = tuple(position[d][where[GRID_KEYS[d]]] for d in GRID_DIMS)
        for key, var in cell.data_vars.items():
            name = str(key)
            if name not in arrays:
                arrays[name] = np.full(shape + var.shape, np.nan)
                var_dims[name] = tuple(str(d) for d in var.dims)
                for dim in var_dims[name]:
                    coords.setdefault(dim, cell[dim].values if dim in cell.coords else np.arange(var.sizes[dim]))
            arrays[name][at] = var.values
    summary = xr.Dataset(
        {name: (GRID_DIMS + var_dims[name], a) for name, a in arrays.items()},
        coords={**order, **coords},
    )
    if "ts_status" in summary:
        summary["ts_status"].attrs.update(
            flag_values=list(range(len(STATUSES))), flag_meanings=" ".join(STATUSES)
        )
    summary.attrs["description"] = (
        "uqtrack metrics: ECE, sparsification and counts per dataset, subsampling "
        "step, tracker, uncertainty method (uq) and temperature scaling (ts: raw | ts); <name>_lo and "
        "<name>_hi bound a 95 % bootstrap interval over evaluation frame pairs"
    )
    return summary


def split_replicates(summary: xr.Dataset) -> tuple[xr.Dataset, xr.Dataset]:
    """``(summary without replicates, the replicates)``."""
    boot = [name for name in summary.data_vars if "replicate" in summary[name].dims]
    return summary.drop_vars(boot + ["replicate"], errors="ignore"), summary[boot]
