"""Fit the temperature on the calibration split."""

import numpy as np
import pandas as pd

from uqtrack import splits
from uqtrack.calibration import fit_temperature, informative
from uqtrack.files import write_json
from uqtrack.scripting import log, run_rule
from uqtrack.tables import daughter_groups, judged_rows


def main(sm):
    table = splits.gather(sm.input, sm.params.parts, pd.read_parquet)
    if sm.params.fit_on == "predicted":  # only daughters whose predicted link is judged
        table = table[judged_rows(table)].reset_index(drop=True)
    logp, groups, true = table["logp"].to_numpy(), daughter_groups(table), table["true"].to_numpy()
    tau = fit_temperature(logp, groups, true)
    used = int(len(np.unique(groups[informative(logp, groups, true)])))
    daughters = int(groups.max()) + 1 if len(groups) else 0
    log.info("tau = %.6g from %d of %d calibration daughters", tau, used, daughters)
    write_json(
        {"temperature": tau, "fit_on": sm.params.fit_on, "daughters": daughters, "daughters_used": used},
        sm.output[0],
    )


run_rule(main, snakemake)  # noqa: F821
