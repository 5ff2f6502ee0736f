"""One labelled summary of the whole grid: dataset x step x tracker x uq x ts.

The uncertainty method's dimension is called ``uq``, not ``method``: ``method`` is a
keyword of xarray's ``.sel``, so ``s.ece.sel(uq="as", ts="raw")`` just works.

``results/summary.nc`` holds the statistics and their 95 % bootstrap intervals;
the bootstrap replicates themselves (``boot_*``, dim ``replicate``) go to
``results/bootstrap.nc``, which the claims check reads for paired differences.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import xarray as xr

from uqtrack.calibration import STATUSES

GRID_DIMS = ("dataset", "step", "tracker", "uq")
#: The grid's keys (as the workflow names them) for each summary dimension.
GRID_KEYS = {"dataset": "dataset", "step": "step", "tracker": "tracker", "uq": "method"}


def combine(cells: Sequence[xr.Dataset], grid: Sequence[dict[str, Any]]) -> xr.Dataset:
    """Stack per-cell metric datasets along the grid's dimensions.

    Cells missing from the grid (a dataset without some step) stay NaN.
    """
    labelled = [
        cell.expand_dims({dim: [where[GRID_KEYS[dim]]] for dim in GRID_DIMS})
        for cell, where in zip(cells, grid, strict=True)
    ]
    summary = xr.merge(labelled, join="outer", compat="no_conflicts", combine_attrs="drop")
    # xarray sorts outer-joined coordinates; keep the config's order instead
    order = {dim: list(dict.fromkeys(w[GRID_KEYS[dim]] for w in grid)) for dim in GRID_DIMS}
    order["step"] = sorted(order["step"])
    summary = summary.reindex(order)
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
