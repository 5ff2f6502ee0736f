"""Gather every edges job's per-pair compute times into one table."""

from uqtrack.files import read_tsv, write_tsv
from uqtrack.scripting import run_rule
from uqtrack.timing import per_job


def main(sm):
    tables = [read_tsv(path) for path in sm.input]
    write_tsv(per_job(tables, sm.params.cells), sm.output[0])


run_rule(main, snakemake)  # noqa: F821
