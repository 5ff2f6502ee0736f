"""Fit the temperature on the calibration split; record who informed it."""

import numpy as np
import pandas as pd

from uqtrack import splits
from uqtrack.calibration import fit_temperature
from uqtrack.files import write_json
from uqtrack.lineage import mean_squared_displacement
from uqtrack.scripting import log, run_rule
from uqtrack.tables import daughter_groups, join_truth, judged_rows


def main(sm):
    parts = sm.params.parts
    table = splits.gather(sm.input.edges, parts, pd.read_parquet)
    truth = splits.gather(sm.input.truth, parts, pd.read_parquet)
    table = join_truth(table, truth, source=", ".join(sm.input.edges))
    if sm.params.fit_on == "predicted":  # the population whose calibration is reported
        table = table[judged_rows(table)].reset_index(drop=True)
    fit = fit_temperature(table["logp"].to_numpy(), daughter_groups(table), table["true"].to_numpy())
    msd = [
        mean_squared_displacement(splits.select(pd.read_parquet(links), part), pd.read_parquet(dets))
        for links, dets, part in zip(sm.input.truth_parts, sm.input.detections, parts, strict=True)
    ]
    log.info("tau = %.6g (%s) from %d of %d calibration daughters (%s)",
             fit.tau, fit.status, fit.daughters_used, fit.daughters, sm.params.fit_on)
    if fit.status != "fitted":
        log.warning(
            "%s step %s %s/%s: temperature not identifiable (%s); raw probabilities kept (tau = 1)",
            sm.wildcards.dataset, sm.wildcards.step, sm.wildcards.tracker, sm.wildcards.method,
            fit.status,
        )
    write_json({**fit.to_dict(), "fit_on": sm.params.fit_on, "msd": float(np.nanmean(msd))}, sm.output[0])


run_rule(main, snakemake)  # noqa: F821
