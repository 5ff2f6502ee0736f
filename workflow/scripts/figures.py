"""Paper-style figures of the whole grid from the summary."""

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
    for tracker in types:
        plots.save(plots.sparsification_curves(summary, tracker), sm.params.curves[tracker])
        plots.save(plots.reliability(summary, tracker), sm.params.reliability[tracker])


run_rule(main, snakemake)  # noqa: F821
