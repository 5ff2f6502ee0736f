"""Read one sequence's man_track.txt and check it against its masks."""

from uqtrack.ctc import MAN_TRACK, ignored_files, quality_warnings, read_man_track, validate
from uqtrack.files import read_parquet, write_json, write_parquet
from uqtrack.scripting import log, run_rule


def main(sm):
    tracks = read_man_track(f"{sm.params.tra}/{MAN_TRACK}")
    counts = validate(tracks, read_parquet(sm.input.detections), sm.params.tra,
                      allow_mixed_frame_sizes=sm.params.allow_mixed_frame_sizes)
    for line in quality_warnings(counts, sm.params.tra):  # legal but rare: say so once
        log.warning("%s", line)
    # files the CTC naming leaves out of the sequence (a man_track_old.tif): counted, not read
    counts["ignored_files"] = {"masks": ignored_files(sm.params.tra, "masks"),
                               "images": ignored_files(sm.params.images, "images")}
    for kind, folder, naming in (("masks", sm.params.tra, "man_track<digits>.tif"),
                                 ("images", sm.params.images, "t<digits>.tif")):
        if names := counts["ignored_files"][kind]:
            log.warning("%s: %d file(s) ignored, not named %s: %s", folder, len(names), naming,
                        ", ".join(names[:5]) + (", ..." if len(names) > 5 else ""))
    shown = {k: v for k, v in counts.items() if k not in ("empty_frames", "data_quality", "ignored_files")}
    log.info("%s: %s", sm.params.tra, shown)
    write_parquet(tracks, sm.output.tracks)
    write_json(counts, sm.output.stats)


run_rule(main, snakemake)  # noqa: F821
