"""Download a Cell Tracking Challenge training dataset and unpack it."""

from uqtrack.download import fetch_ctc
from uqtrack.scripting import run_rule


def main(sm):
    fetch_ctc(sm.params.url, sm.output[0])


run_rule(main, snakemake)  # noqa: F821
