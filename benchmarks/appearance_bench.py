"""Does the MAP keep linking at large steps? Predicted vs true "no mother" share, MAP accuracy.

    python benchmarks/appearance_bench.py [--data ../shared/data/ctc/Fluo-N2DH-SIM+
        ../shared/data/ctc/Fluo-N2DL-HeLa] [--calibration 01] [--evaluation 02]
        [--steps 1 10 30 50] [--entry overlap='{type: overlap, step_scaling: none}' ...]

Per dataset, tracker entry and step it fits the entry on the calibration sequence at
step 1 (``auto`` values, as the workflow's ``fit`` rule), links every frame pair of the
evaluation sequence with ``sm`` (only the MAP is used) and prints one Markdown row: the
share of daughters the MAP declares appearing ("no mother") beside the share truly
without a mother (from ``man_track.txt``, :func:`uqtrack.lineage.true_links`), the MAP's
accuracy (correct among its predicted links), its link recall (correct predicted links
per true link) and the prices ``w_a`` / ``w_d`` used at that step.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import yaml

from uqtrack.ctc import read_sequence
from uqtrack.evaluation import counts
from uqtrack.frames import frame_source
from uqtrack.lineage import NO_MOTHER, frame_pairs, sequence_frames, true_links
from uqtrack.linking import link_sequence
from uqtrack.tables import join_truth
from uqtrack.trackers import Calibration, make_tracker, tracker_class, type_params
from uqtrack.uq import MethodParams

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "ctc"
DEFAULT_ENTRIES = [
    "overlap none={type: overlap, step_scaling: none}",
    "overlap linear={type: overlap, step_scaling: linear}",
    "distance={type: distance}",
]


def load(data: Path, seq: str):
    tracks, dets, stats = read_sequence(data, seq)
    images = data / seq if (data / seq).is_dir() else None
    return tracks, dets, stats, frame_source(dets, stats["tra_dir"], images)


def rows(data: Path, entries: dict[str, dict], calibration: str, evaluation: str, steps: list[int]):
    """One dict per entry and step (see the module docstring)."""
    tracks, dets, _, frames = load(data, calibration)
    fit_on = Calibration([(dets, true_links(tracks, dets, 1), frames)])
    tracks, dets, stats, frames = load(data, evaluation)
    for name, entry in entries.items():
        params = tracker_class(entry["type"]).fit(type_params(entry), fit_on)
        for step in steps:
            pairs = frame_pairs(sequence_frames(stats), step)
            if not pairs:
                continue
            tracker = make_tracker(entry, params, step)
            table, _ = link_sequence(
                frames, pairs, tracker, ["sm"], MethodParams(), seed=(0, f"{name}/{step}")
            )["sm"]
            table = join_truth(table, true_links(tracks, dets, step))
            judged = table["pred"].to_numpy() & (table["mother"].to_numpy() != NO_MOTHER)
            c = counts(table, judged)
            yield {
                "data": f"{data.name} {evaluation}",
                "tracker": name,
                "step": step,
                "pairs": len(pairs),
                "daughters": c["n_daughters"],
                "appearing": c["share_predicted_appearing"],
                "truly": c["share_without_mother"],
                "accuracy": float(table["true"].to_numpy()[judged].mean()) if judged.any() else np.nan,
                "recall": c["link_recall"],
                "prices": f"{tracker.appear_cost:.1f} / {tracker.disappear_cost:.1f}",
            }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+",
                        default=[DATA / "Fluo-N2DH-SIM+", DATA / "Fluo-N2DL-HeLa"])
    parser.add_argument("--calibration", default="01")
    parser.add_argument("--evaluation", default="02")
    parser.add_argument("--steps", type=int, nargs="+", default=[1, 10, 30, 50])
    parser.add_argument("--entry", action="append", help="name={YAML tracker entry}; repeatable")
    args = parser.parse_args()
    entries = {}
    for item in args.entry or DEFAULT_ENTRIES:
        name, _, text = item.partition("=")
        entries[name] = yaml.safe_load(text)
    print("| data | tracker | step | pairs | daughters | predicted appearing | truly without mother "
          "| MAP accuracy | link recall | w_a / w_d |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for data in args.data:
        for r in rows(data, entries, args.calibration, args.evaluation, args.steps):
            print(f"| {r['data']} | {r['tracker']} | {r['step']} | {r['pairs']} | {r['daughters']} "
                  f"| {r['appearing']:.3f} | {r['truly']:.3f} | {r['accuracy']:.3f} | {r['recall']:.3f} "
                  f"| {r['prices']} |", flush=True)


if __name__ == "__main__":
    main()
