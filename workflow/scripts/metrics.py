"""ECE and sparsification of one grid cell on the evaluation split, raw and +TS,
with bootstrap intervals over frame pairs."""

import zlib

import numpy as np
import pandas as pd

from uqtrack import splits
from uqtrack.calibration import STATUSES
from uqtrack.evaluation import evaluate, pair_keys
from uqtrack.files import atomic_path, read_json
from uqtrack.lineage import link_stats
from uqtrack.scripting import log, run_rule
from uqtrack.tables import join_truth


def main(sm):
    wc = sm.wildcards
    truth = splits.gather(sm.input.truth, sm.params.parts, pd.read_parquet)
    table = join_truth(
        splits.gather(sm.input.edges, sm.params.parts, pd.read_parquet), truth,
        source=", ".join(sm.input.edges),
    )
    fit = read_json(sm.input.temperature)
    # the same draws for every tracker and method of this dataset and step: paired
    rng = np.random.default_rng([sm.params.seed, zlib.crc32(f"bootstrap/{wc.dataset}/{wc.step}".encode())])
    result = evaluate(table, fit["tau"], truth[pair_keys(truth) + ["daughter"]], sm.params.bootstrap, rng)
    for name, value in link_stats(truth, sm.params.max_daughters).items():
        result[name] = value
    for name in ("tau", "temperature", "daughters", "daughters_used", "msd"):
        result[f"ts_{name}" if name.startswith("daughters") else name] = fit[name]
    result["ts_status"] = STATUSES.index(fit["status"])  # flag_meanings set by the summary
    if int(result["n_predicted_links"]) == 0:
        log.warning("%s step %s %s/%s: no predicted link to judge; its metrics are NaN",
                    wc.dataset, wc.step, wc.tracker, wc.method)
    with atomic_path(sm.output[0]) as tmp:
        result.to_netcdf(tmp, engine="scipy")


run_rule(main, snakemake)  # noqa: F821
