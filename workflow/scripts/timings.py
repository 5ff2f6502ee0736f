"""Gather every edges job's per-pair compute times into results/timings.tsv."""

import pandas as pd

from uqtrack.files import write_tsv
from uqtrack.scripting import run_rule
from uqtrack.timing import per_job


def main(sm):
    tables = [pd.read_csv(path, sep="\t") for path in sm.input]
    write_tsv(per_job(tables, sm.params.cells), sm.output[0])


run_rule(main, snakemake)  # noqa: F821
