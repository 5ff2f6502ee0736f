"""How much the calibration floor matters: refit a finished run's cells with it held fixed.

For every (dataset, step, tracker, method) cell of a finished run, the calibration
split's edge tables are refitted with the floor ``eps`` held at each of ``--eps``
(``tau`` fitted with it, as :func:`uqtrack.calibration.fit_floor` does), with the
floor fitted (the default), and with the paper's fit (``tau`` alone, zero-probability
truths left out); each fit is then judged on the evaluation split: ECE of the
predicted links and expected wrong links (sum of 1 - confidence) against the true
count. Prints one Markdown table per tracker and method.

    python benchmarks/floor_sensitivity.py --config config/paper.yaml --results results \
        [--trackers distance] [--methods as sm] [--eps 1e-6 1e-4 1e-2 0.05]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import yaml

from uqtrack import calibration, metrics, splits
from uqtrack import config as cfg
from uqtrack.files import read_parquet
from uqtrack.tables import daughter_groups, join_truth, judged_rows

NO_MOTHER = 0


def load(results: Path, conf: dict, dataset: str, step: int, tracker: str, method: str, role: str):
    ds = cfg.Dataset.from_config(dataset, conf["datasets"][dataset], conf["steps"])
    parts = ds.parts(role)
    seqs = ds.part_sequences(role)
    edges = [str(results / f"edges/{dataset}/{s}/step{step}/{tracker}/{method}/edges.parquet") for s in seqs]
    truth = [str(results / f"prepared/{dataset}/{s}/step{step}/truth.parquet") for s in seqs]
    return join_truth(splits.gather(edges, parts, read_parquet), splits.gather(truth, parts, read_parquet))


def run_arguments(doc: str, trackers: list[str] | None = None,
                  methods: list[str] | None = None) -> argparse.ArgumentParser:
    """A parser with the options of every script over a finished run: its config and
    results folder, and which trackers and methods (None: the config's, see :func:`read_run`)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--results", default="results")
    ap.add_argument("--trackers", nargs="*", default=trackers)
    ap.add_argument("--methods", nargs="*", default=methods)
    return ap


def read_run(args: argparse.Namespace) -> tuple[dict, Path, list[str], list[str]]:
    """The run's config, results folder, trackers and methods (the config's where not given)."""
    conf = yaml.safe_load(Path(args.config).read_text())
    return conf, Path(args.results), args.trackers or list(conf["trackers"]), args.methods or conf["methods"]


def judge(table, fit) -> tuple[float, float, int]:
    groups = daughter_groups(table)
    p = fit.apply(table["logp"].to_numpy(), groups)
    judged = table["pred"].to_numpy() & (table["mother"].to_numpy() != NO_MOTHER)
    conf = np.clip(p[judged], 0, 1)
    correct = table["true"].to_numpy()[judged].astype(float)
    return metrics.ece(conf, correct), float((1 - conf).sum()), int(len(correct) - correct.sum())


def main() -> None:
    ap = run_arguments(__doc__, trackers=["distance"])
    ap.add_argument("--eps", nargs="*", type=float, default=[1e-6, 1e-4, 1e-3, 1e-2, 0.05, 0.1])
    args = ap.parse_args()
    conf, results, trackers, methods = read_run(args)
    variants = [("paper", None)] + [(f"eps={e:g}", e) for e in args.eps] + [("fitted", "fit")]
    for tracker in trackers:
        for method in methods:
            print(f"\n### {tracker} / {method}: ECE +TS, expected / true wrong links (evaluation split)\n")
            print("| dataset | step | " + " | ".join(v for v, _ in variants) + " |")
            print("|---|---|" + "---|" * len(variants))
            for dataset, entry in conf["datasets"].items():
                for step in cfg.Dataset.from_config(dataset, entry, conf["steps"]).steps:
                    try:
                        cal = load(results, conf, dataset, step, tracker, method, "calibration")
                        ev = load(results, conf, dataset, step, tracker, method, "evaluation")
                    except FileNotFoundError:
                        continue
                    cal = cal[judged_rows(cal)].reset_index(drop=True)
                    args_fit = (cal["logp"].to_numpy(), daughter_groups(cal), cal["true"].to_numpy())
                    cells = []
                    for _, e in variants:
                        if e is None:
                            fit = calibration.fit(*args_fit, model="paper")
                        elif e == "fit":
                            fit = calibration.fit_floor(*args_fit)
                        else:
                            fit = calibration.fit_floor(*args_fit, eps=e)
                        ece, expected, wrong = judge(ev, fit)
                        cells.append(f"{ece:.3f}, {expected:.0f}/{wrong}")
                    print(f"| {dataset} | {step} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
