"""Fit each method's temperature on the calibration split, then judge it on the
evaluation split: ECE and sparsification, raw and +TS, with bootstrap intervals."""

import zlib

import numpy as np
import pandas as pd

from uqtrack import splits
from uqtrack.calibration import STATUSES, fit_temperature
from uqtrack.evaluation import evaluate, pair_keys
from uqtrack.files import atomic_path, write_json
from uqtrack.lineage import link_stats, mean_squared_displacement
from uqtrack.scripting import log, run_rule
from uqtrack.tables import daughter_groups, join_truth, judged_rows


def calibrate(sm, method, truth, msd):
    parts = sm.params.calibration
    paths = [p for p in sm.input.calibration if f"/{method}/" in p]
    table = join_truth(splits.gather(paths, parts, pd.read_parquet), truth, source=", ".join(paths))
    if sm.params.fit_on == "predicted":  # the population whose calibration is reported
        table = table[judged_rows(table)].reset_index(drop=True)
    fit = fit_temperature(table["logp"].to_numpy(), daughter_groups(table), table["true"].to_numpy())
    wc = sm.wildcards
    log.info("%s: tau = %.6g (%s) from %d of %d calibration daughters (%s)",
             method, fit.tau, fit.status, fit.daughters_used, fit.daughters, sm.params.fit_on)
    if fit.status != "fitted":
        log.warning("%s step %s %s/%s: temperature not identifiable (%s); raw probabilities kept (tau = 1)",
                    wc.dataset, wc.step, wc.tracker, method, fit.status)
    return {**fit.to_dict(), "fit_on": sm.params.fit_on, "msd": msd}


def main(sm):
    wc = sm.wildcards
    cal_truth = splits.gather(sm.input.calibration_truth, sm.params.calibration, pd.read_parquet)
    msd = [
        mean_squared_displacement(splits.select(pd.read_parquet(links), part), pd.read_parquet(dets))
        for links, dets, part in zip(sm.input.calibration_truth_parts, sm.input.calibration_detections,
                                     sm.params.calibration, strict=True)
    ]
    msd = float(np.nanmean(msd)) if np.isfinite(msd).any() else float("nan")
    truth = splits.gather(sm.input.evaluation_truth, sm.params.evaluation, pd.read_parquet)
    stats = link_stats(truth, sm.params.max_daughters)
    for method, fit_path, metrics_path in zip(sm.params.methods, sm.output.temperature, sm.output.metrics,
                                              strict=True):
        fit = calibrate(sm, method, cal_truth, msd)
        write_json(fit, fit_path)
        paths = [p for p in sm.input.evaluation if f"/{method}/" in p]
        table = join_truth(splits.gather(paths, sm.params.evaluation, pd.read_parquet), truth,
                           source=", ".join(paths))
        # the same draws for every tracker and method of this dataset and step: paired
        rng = np.random.default_rng([sm.params.seed, zlib.crc32(f"bootstrap/{wc.dataset}/{wc.step}".encode())])
        result = evaluate(table, fit["tau"], truth[pair_keys(truth) + ["daughter"]], sm.params.bootstrap, rng)
        for name, value in stats.items():
            result[name] = value
        for name in ("tau", "temperature", "daughters", "daughters_used", "msd"):
            result[f"ts_{name}" if name.startswith("daughters") else name] = fit[name]
        result["ts_status"] = STATUSES.index(fit["status"])  # flag_meanings set by the summary
        timed_out = [p for p in sm.input.timings if f"/{method}/" in p]
        result["timed_out_pairs"] = int(sum(pd.read_csv(p, sep="\t")["timed_out"].sum() for p in timed_out))
        if int(result["n_predicted_links"]) == 0:
            log.warning("%s step %s %s/%s: no predicted link to judge; its metrics are NaN",
                        wc.dataset, wc.step, wc.tracker, method)
        with atomic_path(metrics_path) as tmp:
            result.to_netcdf(tmp, engine="scipy")


run_rule(main, snakemake)  # noqa: F821
