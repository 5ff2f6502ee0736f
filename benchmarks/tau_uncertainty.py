"""Does the temperature's own uncertainty matter? Refit it on bootstrapped calibration frame pairs.

The +TS intervals of ``summary.nc`` resample evaluation frame pairs with the fitted
temperature held fixed. Here, for each (dataset, step, tracker, method) cell of a
finished run, the calibration frame pairs are resampled with replacement
(``--replicates`` times), the temperature (and floor) refitted as the workflow fits
it, and the evaluation split's ECE +TS recomputed: the spread of those ECEs is what
the fit's uncertainty adds. Printed per cell: the +TS interval width from
``summary.nc`` (evaluation bootstrap), the 95 % width from the refits, and how much
wider the interval would be if both were combined (``sqrt(a^2 + b^2) / a``, treating
them as independent).

    python benchmarks/tau_uncertainty.py --config config/paper.yaml --results results \
        [--trackers distance] [--methods sm fp as mm] [--replicates 50]
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from floor_sensitivity import judge, load, read_run, run_arguments

from uqtrack import calibration
from uqtrack import config as cfg
from uqtrack.errors import InputError
from uqtrack.tables import daughter_groups, frame_pair_blocks, judged_rows


def refit(cal, model: str, prior_sd, rng, replicates: int) -> list[calibration.TemperatureFit]:
    """Fits on ``replicates`` resamples of the calibration frame pairs (each drawn pair's rows, renumbered)."""
    blocks = frame_pair_blocks(cal)
    groups = daughter_groups(cal)
    n_blocks = int(blocks.max()) + 1
    rows_of = [np.flatnonzero(blocks == b) for b in range(n_blocks)]
    fits = []
    for _ in range(replicates):
        drawn = np.sort(rng.integers(n_blocks, size=n_blocks))  # time order kept for the cv folds
        rows = np.concatenate([rows_of[b] for b in drawn])
        # a pair drawn twice is two blocks of distinct daughters
        copy = np.repeat(np.arange(n_blocks), [len(rows_of[b]) for b in drawn])
        g = np.unique(groups[rows].astype(np.int64) * n_blocks + copy, return_inverse=True)[1].reshape(-1)
        fits.append(calibration.fit(cal["logp"].to_numpy()[rows], g, cal["true"].to_numpy()[rows],
                                    model, prior_sd, copy))
    return fits


def main() -> None:
    ap = run_arguments(__doc__, trackers=["distance"], methods=["sm", "fp", "as", "mm"])
    ap.add_argument("--replicates", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    conf, results, trackers, methods = read_run(args)
    summary = xr.open_dataset(results / "summary.nc")
    model, prior_sd = conf.get("ts_model", "floor"), conf.get("ts_prior_sd", "cv")
    rng = np.random.default_rng(args.seed)
    print("| dataset | step | tracker | method | ECE +TS | eval. interval width | refit 95 % width | widening |")
    print("|---|---|---|---|---|---|---|---|")
    widening = []
    for tracker in trackers:
        for method in methods:
            for dataset, entry in conf["datasets"].items():
                for step in cfg.Dataset.from_config(dataset, entry, conf["steps"]).steps:
                    try:
                        cal = load(results, conf, dataset, step, tracker, method, "calibration")
                        ev = load(results, conf, dataset, step, tracker, method, "evaluation")
                    except (FileNotFoundError, InputError):
                        continue
                    cal = cal[judged_rows(cal)].reset_index(drop=True)
                    if cal.empty:
                        continue
                    cell = summary.sel(dataset=dataset, step=step, tracker=tracker, uq=method, ts="ts")
                    eval_width = float(cell["ece_hi"] - cell["ece_lo"])
                    eces = [judge(ev, f)[0] for f in refit(cal, model, prior_sd, rng, args.replicates)]
                    lo, hi = np.nanpercentile(eces, [2.5, 97.5])
                    wider = float(np.hypot(eval_width, hi - lo) / eval_width) if eval_width > 0 else np.nan
                    widening.append(wider)
                    print(f"| {dataset} | {step} | {tracker} | {method} | {float(cell['ece']):.3f} | "
                          f"{eval_width:.3f} | {hi - lo:.3f} | {wider:.2f}x |")
    w = np.array(widening)
    print(f"\nwidening over {len(w)} cells: median {np.nanmedian(w):.2f}x, "
          f"90th percentile {np.nanpercentile(w, 90):.2f}x, max {np.nanmax(w):.2f}x")


if __name__ == "__main__":
    main()
