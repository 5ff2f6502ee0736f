"""Compute time per frame pair of each method (paper Fig. 7)."""

import pandas as pd

from uqtrack import plots
from uqtrack.scripting import run_rule


def main(sm):
    plots.save(plots.compute_time(pd.read_csv(sm.input[0], sep="\t")), sm.output)


run_rule(main, snakemake)  # noqa: F821
