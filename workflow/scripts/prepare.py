"""Read one sequence's label images: detections and frame counts (no truth)."""

from uqtrack.ctc import read_masks
from uqtrack.files import write_json, write_parquet
from uqtrack.scripting import log, run_rule


def main(sm):
    detections, stats = read_masks(sm.params.masks, workers=sm.threads)
    log.info("%s: %s", sm.params.masks, {k: v for k, v in stats.items() if k != "empty_frames"})
    write_parquet(detections, sm.output.detections)
    write_json(stats, sm.output.stats)


run_rule(main, snakemake)  # noqa: F821
