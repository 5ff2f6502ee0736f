"""ECE and sparsification of one grid cell on the evaluation split, raw and +TS."""

import pandas as pd

from uqtrack import splits
from uqtrack.evaluation import evaluate
from uqtrack.files import atomic_path, read_json
from uqtrack.lineage import link_stats
from uqtrack.scripting import run_rule


def main(sm):
    table = splits.gather(sm.input.edges, sm.params.parts, pd.read_parquet)
    truth = splits.gather(sm.input.truth, sm.params.parts, pd.read_parquet)
    result = evaluate(table, read_json(sm.input.temperature)["temperature"])
    for name, value in link_stats(truth, sm.params.max_daughters).items():
        result[name] = value
    with atomic_path(sm.output[0]) as tmp:
        result.to_netcdf(tmp, engine="scipy")


run_rule(main, snakemake)  # noqa: F821
