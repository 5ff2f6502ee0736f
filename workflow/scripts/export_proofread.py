"""Proofreading summary of one tracked sequence, from its calibrated confidences alone."""

import pandas as pd

from uqtrack.files import atomic_path, read_json, write_tsv
from uqtrack.proofread import budget, summary_markdown
from uqtrack.scripting import run_rule


def main(sm):
    links = pd.read_csv(sm.input.links, sep="\t", keep_default_na=False, na_values=[])
    table = budget(links)
    write_tsv(table, sm.output.table)
    with atomic_path(sm.output.markdown) as tmp:
        tmp.write_text(summary_markdown(links, table, read_json(sm.input.context)))


run_rule(main, snakemake)  # noqa: F821
