"""Read one sequence's man_track.txt and check it against its masks."""

from uqtrack.ctc import MAN_TRACK, quality_warnings, read_man_track, validate
from uqtrack.files import read_parquet, write_json, write_parquet
from uqtrack.scripting import log, run_rule


def main(sm):
    tracks = read_man_track(f"{sm.params.tra}/{MAN_TRACK}")
    dataset = sm.config["datasets"][sm.wildcards.dataset]
    counts = validate(tracks, read_parquet(sm.input.detections), sm.params.tra,
                      allow_mixed_frame_sizes=dataset.get("allow_mixed_frame_sizes", False))
    for line in quality_warnings(counts, sm.params.tra):  # legal but rare: say so once
        log.warning("%s", line)
    log.info("%s: %s", sm.params.tra, {k: v for k, v in counts.items() if k not in ("empty_frames", "data_quality")})
    write_parquet(tracks, sm.output.tracks)
    write_json(counts, sm.output.stats)


run_rule(main, snakemake)  # noqa: F821
