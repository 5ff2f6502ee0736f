"""Fit the temperature on the calibration split."""

import pandas as pd

from uqtrack import splits
from uqtrack.calibration import fit_temperature
from uqtrack.files import write_json
from uqtrack.scripting import log, run_rule
from uqtrack.tables import daughter_groups


def main(sm):
    table = splits.gather(sm.input, sm.params.parts, pd.read_parquet)
    tau = fit_temperature(
        table["p"].to_numpy(), daughter_groups(table), table["true"].to_numpy()
    )
    log.info("tau = %.6g from %d calibration rows", tau, len(table))
    write_json({"temperature": tau, "rows": len(table)}, sm.output[0])


run_rule(main, snakemake)  # noqa: F821
