"""Compute time per frame pair of each method (paper Fig. 7)."""

from uqtrack import plots
from uqtrack.files import read_tsv
from uqtrack.scripting import run_rule


def main(sm):
    plots.save(plots.compute_time(read_tsv(sm.input[0])), sm.output)


run_rule(main, snakemake)  # noqa: F821
