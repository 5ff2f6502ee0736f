"""Export one sequence's tracking: CTC result, GEFF graph, links ranked by confidence."""

import numpy as np
import pandas as pd

from uqtrack.ctc import find_label_images
from uqtrack.export import map_tracks, predicted_links, write_ctc_result, write_geff
from uqtrack.files import atomic_dir, read_json, read_parquet, write_json, write_tsv
from uqtrack.scripting import log, run_rule


def main(sm):
    wc, export = sm.wildcards, sm.params.export
    stats = read_json(sm.input.stats)
    fit = read_json(sm.input.temperature)
    # every step-th frame from the first, as the edges link them; CTC frame k = frames[k]
    frames = list(range(stats["first_frame"], stats["last_frame"] + 1, export["step"]))
    links = predicted_links(read_parquet(sm.input.edges), fit["tau"], fit.get("eps", 0.0))
    detections = read_parquet(sm.input.detections)
    cells, tracks = map_tracks(detections, links, frames, source=sm.input.edges)
    track_of = cells.set_index(["frame", "label"])["track_id"]
    for end, t in (("mother", "t"), ("daughter", "t2")):
        keys = pd.MultiIndex.from_frame(links[[t, end]].astype(np.int64))
        links[f"{end}_track"] = track_of.reindex(keys).to_numpy(np.int64)

    extra = {
        "dataset": wc.dataset, "seq": wc.seq, "tracker": export["tracker"], "method": export["method"],
        "step": export["step"], "tau": fit["tau"], "eps": fit.get("eps", 0.0), "tau_status": fit["status"],
        "tau_from": sm.params.tau_from,
        "first_frame": frames[0], "frame_of_t": f"frame = {frames[0]} + t * {export['step']}",
    }
    with atomic_dir(sm.output.ctc) as tmp:
        empty = write_ctc_result(tmp, cells, tracks, find_label_images(sm.params.masks), frames,
                                 stats["digits"])
    if empty:
        log.warning("%s/%s: %d exported frame(s) have no label image; written empty", wc.dataset, wc.seq, empty)
    with atomic_dir(sm.output.geff) as tmp:
        write_geff(tmp, cells, links, extra)
    write_tsv(links, sm.output.links)
    mothers = links.groupby(["t", "mother"]).size()
    context = {
        **extra,
        "frames": len(frames),
        "cells": len(cells),
        "links": len(links),
        "appearing": int(len(cells) - len(links)),
        "divisions": int((mothers >= 2).sum()),
        "tracks": len(tracks),
        "empty_frames_written": empty,
    }
    log.info("%s/%s: %s", wc.dataset, wc.seq, context)
    write_json(context, sm.output.context)


run_rule(main, snakemake)  # noqa: F821
