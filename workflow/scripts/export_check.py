"""Expected against true wrong links of an annotated sequence: the truth joins here only."""

import pandas as pd

from uqtrack.files import atomic_path, read_json, read_parquet, write_tsv
from uqtrack.proofread import check, check_markdown
from uqtrack.scripting import log, run_rule


def main(sm):
    links = pd.read_csv(sm.input.links, sep="\t", keep_default_na=False, na_values=[])
    table = check(links, read_parquet(sm.input.truth), source=sm.input.links)
    log.info("%s", table.to_dict("records")[-1])
    write_tsv(table, sm.output.table)
    with atomic_path(sm.output.markdown) as tmp:
        tmp.write_text(check_markdown(table, read_json(sm.input.context), sm.params.calibrated_on))


run_rule(main, snakemake)  # noqa: F821
