"""Which temperature fit transfers: refit a finished run's cells with each fit, judge on evaluation.

For every (dataset, step, tracker, method) cell of a finished run the calibration
split's edge tables are fitted with the paper's fit (Eq. 20), the floor fit with a
fixed prior on ``log tau`` (``--sds``) and the floor fit whose prior is chosen by
cross-validation over calibration frame pairs (``cv``, the default); each fit is
judged on the evaluation split against the raw probabilities. Prints, per fit:

- cells where +TS is worse / better than raw by more than 0.01 ECE (all cells);
- for the distance tracker's cells whose evaluation split holds >= 30 wrong links
  (issue 13's targets): the share with expected / true wrong links in [0.8, 1.25]
  and with ECE +TS <= 0.05, per method.

    python benchmarks/fit_robustness.py --config config/paper.yaml --results results
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial

import numpy as np
from floor_sensitivity import judge, load, read_run, run_arguments

from uqtrack import calibration
from uqtrack import config as cfg
from uqtrack.errors import InputError
from uqtrack.tables import daughter_groups, frame_pair_blocks, judged_rows

RAW = calibration.TemperatureFit(1.0, "raw", 0, 0, np.nan, np.nan)


def fixed_prior(logp, groups, true, blocks, sd):
    return calibration.fit_floor(logp, groups, true, prior_sd=sd)


def main() -> None:
    ap = run_arguments(__doc__)
    ap.add_argument("--sds", nargs="*", type=float, default=[2.0])
    ap.add_argument("--cells", action="store_true", help="also print every distance cell with >= 30 wrong links")
    args = ap.parse_args()
    conf, results, trackers, methods = read_run(args)
    fits = {"paper": lambda *a: calibration.fit(*a[:3], model="paper")}
    fits |= {f"sd={sd:g}": partial(fixed_prior, sd=sd) for sd in args.sds}
    fits["cv"] = lambda *a: calibration.fit_cv(*a)
    worse, better, cells = defaultdict(int), defaultdict(int), 0
    band, good, n_target = defaultdict(int), defaultdict(int), defaultdict(int)
    chosen = defaultdict(int)
    rows = []
    for tracker in trackers:
        for method in methods:
            for dataset, entry in conf["datasets"].items():
                for step in cfg.Dataset.from_config(dataset, entry, conf["steps"]).steps:
                    try:
                        cal = load(results, conf, dataset, step, tracker, method, "calibration")
                        ev = load(results, conf, dataset, step, tracker, method, "evaluation")
                    except (FileNotFoundError, InputError):  # a cell the run did not make
                        continue
                    cal = cal[judged_rows(cal)].reset_index(drop=True)
                    a = (cal["logp"].to_numpy(), daughter_groups(cal), cal["true"].to_numpy(), frame_pair_blocks(cal))
                    ece_raw, exp_raw, wrong = judge(ev, RAW)
                    cells += 1
                    target = tracker == "distance" and wrong >= 30
                    line = [dataset, step, method, wrong, f"{ece_raw:.3f}"]
                    for name, f in fits.items():
                        fit = f(*a)
                        if name == "cv":
                            chosen[fit.prior_sd] += 1
                        ece, expected, _ = judge(ev, fit)
                        worse[name] += ece > ece_raw + 0.01
                        better[name] += ece < ece_raw - 0.01
                        line.append(f"{ece:.3f}, {expected:.0f}")
                        if target:
                            n_target[method, name] += 1
                            band[method, name] += 0.8 <= expected / wrong <= 1.25
                            good[method, name] += ece <= 0.05
                    if target:
                        rows.append(line)
    print(f"{cells} cells; cross-validation chose prior sd: "
          + ", ".join(f"{k:g} x{v}" for k, v in sorted(chosen.items())))
    print("\n| fit | +TS worse than raw (> 0.01 ECE) | better |\n|---|---|---|")
    for name in fits:
        print(f"| {name} | {worse[name]} ({worse[name] / max(cells, 1):.1%}) | {better[name]} |")
    print("\nDistance cells with >= 30 wrong links: expected/true in [0.8, 1.25]; ECE +TS <= 0.05\n")
    print("| method | " + " | ".join(fits) + " |\n|---|" + "---|" * len(fits))
    for method in methods:
        out = []
        for name in fits:
            n = n_target[method, name]
            out.append(f"{band[method, name]}/{n}; {good[method, name]}/{n}" if n else "-")
        print(f"| {method} | " + " | ".join(out) + " |")
    if args.cells:
        print("\n| dataset | step | method | wrong | ECE raw | " + " | ".join(f"{n}: ECE, expected" for n in fits)
              + " |\n|---|---|---|---|---|" + "---|" * len(fits))
        for line in rows:
            print("| " + " | ".join(str(x) for x in line) + " |")


if __name__ == "__main__":
    main()
