"""Is a bad +TS cell the fit's fault or the movie's? Refit on the evaluation split itself.

For every (dataset, step, tracker, method) cell of a finished run, the temperature and
floor are fitted twice with the workflow's own fit (``ts_model: floor``, prior width by
cross-validation over frame pairs): on the calibration split, as the workflow does, and
on the evaluation split itself, an oracle no user has (it has seen the truth it is then
judged on). Both are judged on the evaluation split: ECE of the predicted links and
expected wrong links (sum of 1 - confidence) against the true count.

Where +TS is worse than raw with the calibration fit but not with the oracle, the
calibration split's errors did not carry over to the evaluation movie (a shift between
the two, or too few errors to learn from); where the oracle is worse too, the
one-temperature-plus-floor model cannot describe that movie's confidences.

    python benchmarks/transfer_limit.py --config config/paper.yaml --results results \
        [--trackers distance overlap] [--min-wrong 30] [--cells]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from fit_robustness import RAW  # same folder
from floor_sensitivity import judge, load, read_run, run_arguments

from uqtrack import config as cfg
from uqtrack.tables import fit_calibration

WORSE = 0.01  # ECE difference that counts as worse / better (benchmarks/transfer.py)


def cells(conf: dict, results: Path, trackers: list[str], methods: list[str]):
    """One record per cell with a finished evaluation: ECE and expected wrong links, three ways."""
    for dataset, entry in conf["datasets"].items():
        for step in cfg.Dataset.from_config(dataset, entry, conf["steps"]).steps:
            for tracker in trackers:
                for method in methods:
                    try:
                        cal = load(results, conf, dataset, step, tracker, method, "calibration")
                        ev = load(results, conf, dataset, step, tracker, method, "evaluation")
                    except FileNotFoundError:
                        continue
                    out = {"dataset": dataset, "step": step, "tracker": tracker, "method": method}
                    for name, fit in (("raw", RAW), ("ts", fit_calibration(cal)), ("oracle", fit_calibration(ev))):
                        ece, expected, wrong = judge(ev, fit)
                        out |= {f"ece_{name}": ece, f"expected_{name}": expected, "wrong": wrong}
                    yield out


def main() -> None:
    ap = run_arguments(__doc__)
    ap.add_argument("--min-wrong", type=int, default=30)
    ap.add_argument("--cells", action="store_true", help="print every cell where +TS is worse")
    args = ap.parse_args()
    rows = list(cells(*read_run(args)))
    if not rows:
        raise SystemExit(f"no finished cells under {args.results}")
    t = pd.DataFrame(rows)
    for fit in ("ts", "oracle"):
        t[f"worse_{fit}"] = t[f"ece_{fit}"] > t["ece_raw"] + WORSE
        t[f"better_{fit}"] = t[f"ece_{fit}"] < t["ece_raw"] - WORSE
    print("## +TS against raw, fitted on the calibration split (the workflow) or on the evaluation split (oracle)\n")
    print("| dataset | cells | worse, calibration fit | better | worse, oracle fit | better |")
    print("|---|---|---|---|---|---|")
    for name, g in [*t.groupby("dataset", sort=False), ("all", t)]:
        print(f"| {name} | {len(g)} | {g.worse_ts.sum()} | {g.better_ts.sum()} | {g.worse_oracle.sum()}"
              f" | {g.better_oracle.sum()} |")
    print(f"\n## Cells with >= {args.min_wrong} wrong links, per tracker and method: calibration fit (oracle fit)\n")
    print("| tracker | method | cells | expected/true in [0.8, 1.25] | ECE <= 0.05 | median ECE |")
    print("|---|---|---|---|---|---|")
    big = t[t.wrong >= args.min_wrong]
    for (tracker, method), g in big.groupby(["tracker", "method"], sort=False):
        band = {f: np.mean((g[f"expected_{f}"] / g.wrong).between(0.8, 1.25)) for f in ("ts", "oracle")}
        good = {f: np.mean(g[f"ece_{f}"] <= 0.05) for f in ("ts", "oracle")}
        print(f"| {tracker} | {method} | {len(g)} | {band['ts']:.0%} ({band['oracle']:.0%})"
              f" | {good['ts']:.0%} ({good['oracle']:.0%})"
              f" | {g.ece_ts.median():.3f} ({g.ece_oracle.median():.3f}) |")
    if args.cells:
        cols = ["dataset", "step", "tracker", "method", "wrong", "ece_raw", "ece_ts", "ece_oracle",
                "expected_raw", "expected_ts", "expected_oracle"]
        print("\n## Cells where +TS (calibration fit) is worse than raw\n")
        print(t[t.worse_ts][cols].to_markdown(index=False, floatfmt=".3f"))


if __name__ == "__main__":
    main()
