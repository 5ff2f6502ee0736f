"""Read and check one CTC sequence: detections, tracks and counts."""

from uqtrack.ctc import read_sequence
from uqtrack.files import write_json, write_parquet
from uqtrack.scripting import log, run_rule


def main(sm):
    tracks, detections, stats = read_sequence(sm.params.tra, workers=sm.threads)
    log.info("%s: %s", sm.params.tra, {k: v for k, v in stats.items() if k != "frames"})
    write_parquet(detections, sm.output.detections)
    write_parquet(tracks, sm.output.tracks)
    write_json(stats, sm.output.stats)


run_rule(main, snakemake)  # noqa: F821
