"""Gather every grid cell's metrics into results/summary.nc."""

import xarray as xr

from uqtrack.files import atomic_path
from uqtrack.scripting import run_rule
from uqtrack.summary import combine


def main(sm):
    summary = combine([xr.load_dataset(p, engine="scipy") for p in sm.input.metrics], sm.params.grid)
    with atomic_path(sm.output[0]) as tmp:
        summary.to_netcdf(tmp, engine="scipy")

run_rule(main, snakemake)  # noqa: F821
