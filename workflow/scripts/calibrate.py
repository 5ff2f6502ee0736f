"""Fit each method's temperature on the calibration split (only there)."""

import numpy as np

from uqtrack import splits
from uqtrack.files import read_parquet, write_json
from uqtrack.lineage import mean_squared_displacement
from uqtrack.scripting import log, run_rule
from uqtrack.tables import fit_calibration, join_truth


def main(sm):
    wc, parts = sm.wildcards, [splits.Part(**p) for p in sm.params.parts]
    truth = splits.gather(sm.input.truth, parts, read_parquet)
    msd = [  # per part: `gather` numbered them
        mean_squared_displacement(truth[truth["part"] == i], read_parquet(dets))
        for i, dets in enumerate(sm.input.detections)
    ]
    msd = float(np.nanmean(msd)) if np.isfinite(msd).any() else float("nan")
    for method, out in zip(sm.params.methods, sm.output, strict=True):
        paths = sm.input[f"edges_{method}"]  # one per calibration sequence
        table = join_truth(splits.gather(paths, parts, read_parquet), truth, source=", ".join(paths))
        fit = fit_calibration(table, sm.params.model, sm.params.prior_sd, sm.params.fit_on)
        log.info("%s: tau = %.6g, eps = %.3g (%s, %s, prior sd %g) from %d of %d calibration daughters"
                 " (%s); %d errors, %d with a true mother of probability 0",
                 method, fit.tau, fit.eps, fit.model, fit.status, fit.prior_sd, fit.daughters_used,
                 fit.daughters, sm.params.fit_on, fit.errors, fit.zero_truth)
        if fit.status != "fitted":
            # "separable" (no calibration link wrong) is expected where tracking is easy:
            # the log and the summary's ts_status say so; the terminal hears of the others
            say = log.info if fit.status == "separable" else log.warning
            say("%s step %s %s/%s: temperature not identifiable (%s); raw probabilities kept (tau = 1)",
                wc.dataset, wc.step, wc.tracker, method, fit.status)
        write_json({**fit.to_dict(), "fit_on": sm.params.fit_on, "msd": msd}, out)


run_rule(main, snakemake)  # noqa: F821
