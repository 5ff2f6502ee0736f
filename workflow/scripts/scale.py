"""Resolve a tracker's parameters; `sigma: auto` is fitted on step-1 calibration moves."""

import numpy as np
import pandas as pd

from uqtrack import splits
from uqtrack.errors import InputError
from uqtrack.files import write_json
from uqtrack.scripting import log, run_rule
from uqtrack.trackers import continuing_moves, fit_sigma


def main(sm):
    params = dict(sm.params.tracker)
    if params.get("sigma", "auto") == "auto":
        moves = [
            continuing_moves(splits.select(pd.read_parquet(links), part), pd.read_parquet(dets))
            for links, dets, part in zip(sm.input.links, sm.input.detections, sm.params.parts)
        ]
        moves = np.concatenate(moves)
        if len(moves) == 0:
            raise InputError(
                f"datasets.{sm.wildcards.dataset}",
                "no cell continues its track at step 1 in the calibration split, so "
                f"sigma cannot be fitted; set trackers.{sm.wildcards.tracker}.sigma to a number",
            )
        params["sigma"] = fit_sigma(moves)
        log.info("sigma fitted on %d step-1 moves: %.4g px", sum(map(len, moves)), params["sigma"])
    write_json(params, sm.output[0])


run_rule(main, snakemake)  # noqa: F821
