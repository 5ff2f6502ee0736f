"""One tracker's sparsification curves (Fig. 10) and reliability diagrams from the summary."""

from uqtrack import plots
from uqtrack.files import read_netcdf
from uqtrack.scripting import run_rule


def main(sm):
    summary = read_netcdf(sm.input[0])
    tracker = sm.wildcards.tracker
    plots.save(plots.sparsification_curves(summary, tracker), sm.output.curves)
    plots.save(plots.reliability(summary, tracker), sm.output.reliability)


run_rule(main, snakemake)  # noqa: F821
