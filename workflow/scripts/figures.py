"""Paper-style figures from results/summary.nc."""

import xarray as xr

from uqtrack import plots
from uqtrack.scripting import run_rule


def main(sm):
    summary = xr.load_dataset(sm.input[0], engine="scipy")
    for name, draw in [
        ("ece", plots.ece_vs_step),
        ("temperature", plots.temperature_vs_step),
        ("sparsification", plots.sparsification),
    ]:
        plots.save(draw(summary), sm.output[name])


run_rule(main, snakemake)  # noqa: F821
