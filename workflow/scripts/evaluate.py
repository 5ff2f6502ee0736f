"""Judge each method on the evaluation split: ECE and sparsification, raw and +TS,
with bootstrap intervals, using the temperature fitted on the calibration split."""

import zlib

import numpy as np

from uqtrack import splits
from uqtrack.calibration import STATUSES
from uqtrack.evaluation import evaluate
from uqtrack.files import read_json, read_parquet, read_tsv, write_netcdf
from uqtrack.lineage import link_stats
from uqtrack.scripting import log, run_rule
from uqtrack.tables import join_truth


def main(sm):
    wc, parts = sm.wildcards, [splits.Part(**p) for p in sm.params.parts]
    truth = splits.gather(sm.input.truth, parts, read_parquet)
    stats = link_stats(truth, sm.params.max_daughters)
    for method, fit_path, out in zip(sm.params.methods, sm.input.temperature, sm.output, strict=True):
        fit = read_json(fit_path)
        paths = sm.input[f"edges_{method}"]  # one per evaluation sequence
        table = join_truth(splits.gather(paths, parts, read_parquet), truth, source=", ".join(paths))
        # the same draws for every tracker and method of this dataset and step: paired
        rng = np.random.default_rng([sm.params.seed, zlib.crc32(f"bootstrap/{wc.dataset}/{wc.step}".encode())])
        result = evaluate(table, fit["tau"], truth, sm.params.bootstrap, rng, eps=fit.get("eps", 0.0))
        for name, value in stats.items():
            result[name] = value
        for name in ("tau", "temperature", "daughters", "daughters_used", "msd"):
            result[f"ts_{name}" if name.startswith("daughters") else name] = fit[name]
        for name in ("eps", "zero_truth", "errors"):  # the floor model's (0 for the paper's fit)
            result[f"ts_{name}"] = fit.get(name, 0)
        result["ts_prior_sd"] = fit.get("prior_sd", np.nan)  # as cross-validated (nan: the paper's fit)
        result["ts_status"] = STATUSES.index(fit["status"])  # flag_meanings set by the summary
        timings = sm.input[f"timings_{method}"]  # one per sequence of the dataset
        result["timed_out_pairs"] = int(sum(read_tsv(p)["timed_out"].sum() for p in timings))
        if int(result["n_predicted_links"]) == 0:
            log.warning("%s step %s %s/%s: no predicted link to judge; its metrics are NaN",
                        wc.dataset, wc.step, wc.tracker, method)
        write_netcdf(result, out)


run_rule(main, snakemake)  # noqa: F821
