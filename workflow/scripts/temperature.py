"""Fit the temperature on the calibration split."""

import numpy as np
import pandas as pd

from uqtrack import splits
from uqtrack.calibration import fit_temperature, informative
from uqtrack.files import write_json
from uqtrack.scripting import log, run_rule
from uqtrack.tables import daughter_groups


def main(sm):
    table = splits.gather(sm.input, sm.params.parts, pd.read_parquet)
    logp, groups, true = table["logp"].to_numpy(), daughter_groups(table), table["true"].to_numpy()
    tau = fit_temperature(logp, groups, true)
    used = int(len(np.unique(groups[informative(logp, groups, true)])))
    daughters = int(groups.max()) + 1 if len(groups) else 0
    log.info("tau = %.6g from %d of %d calibration daughters", tau, used, daughters)
    write_json({"temperature": tau, "daughters": daughters, "daughters_used": used}, sm.output[0])


run_rule(main, snakemake)  # noqa: F821
