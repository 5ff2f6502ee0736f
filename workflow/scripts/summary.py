"""Gather every grid cell's metrics into results/summary.nc (+ bootstrap.nc)."""

import xarray as xr

from uqtrack.files import atomic_path
from uqtrack.scripting import run_rule
from uqtrack.summary import combine, split_replicates


def main(sm):
    summary = combine([xr.load_dataset(p, engine="scipy") for p in sm.input.metrics], sm.params.grid)
    summary, replicates = split_replicates(summary)
    for data, path in ((summary, sm.output.summary), (replicates, sm.output.bootstrap)):
        with atomic_path(path) as tmp:
            data.to_netcdf(tmp, engine="scipy")


run_rule(main, snakemake)  # noqa: F821
