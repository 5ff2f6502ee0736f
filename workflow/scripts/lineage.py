"""Read one sequence's man_track.txt and check it against its masks."""

import pandas as pd

from uqtrack.ctc import MAN_TRACK, read_man_track, validate
from uqtrack.files import write_json, write_parquet
from uqtrack.scripting import log, run_rule


def main(sm):
    tracks = read_man_track(f"{sm.params.tra}/{MAN_TRACK}")
    counts = validate(tracks, pd.read_parquet(sm.input.detections), sm.params.tra)
    log.info("%s: %s", sm.params.tra, {k: v for k, v in counts.items() if k != "empty_frames"})
    write_parquet(tracks, sm.output.tracks)
    write_json(counts, sm.output.stats)


run_rule(main, snakemake)  # noqa: F821
