"""Paper-style figures of the whole grid from the summary (per tracker: tracker_figures.py)."""

from uqtrack import plots
from uqtrack.files import read_netcdf
from uqtrack.scripting import run_rule


def main(sm):
    summary = read_netcdf(sm.input[0])
    types = sm.params.tracker_types
    figures = {
        "ece": plots.ece_vs_step(summary),
        "ece_by_dataset": plots.ece_by_dataset(summary),
        "temperature": plots.temperature_vs_step(summary),
        "temperature_msd": plots.temperature_vs_msd(summary, types),
        "sparsification": plots.sparsification_gain(summary),
        "expected_wrong": plots.expected_vs_true_wrong(summary),
    }
    for name, fig in figures.items():
        plots.save(fig, sm.output[name])


run_rule(main, snakemake)  # noqa: F821
