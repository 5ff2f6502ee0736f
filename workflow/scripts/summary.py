"""Gather every grid cell's metrics into the summary (+ its bootstrap replicates)."""

from uqtrack.files import read_netcdf, write_netcdf
from uqtrack.scripting import run_rule
from uqtrack.summary import combine, split_replicates


def main(sm):
    summary = combine([read_netcdf(p) for p in sm.input.metrics], sm.params.grid)
    summary, replicates = split_replicates(summary)
    for data, path in ((summary, sm.output.summary), (replicates, sm.output.bootstrap)):
        write_netcdf(data, path)


run_rule(main, snakemake)  # noqa: F821
