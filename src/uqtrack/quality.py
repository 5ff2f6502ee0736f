"""Data quality of a run: what the data held that is legal but rare, and where the
grid had little or nothing to judge. Written as the run's ``data_quality.md`` and shown
in the report, so that an odd sequence or an empty grid cell is seen beside the
numbers it affects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from uqtrack.calibration import STATUSES
from uqtrack.ctc import frame_ranges

__all__ = ["markdown"]

#: Rare features listed per sequence before "... and k more".
SHOWN = 10
#: Where a sequence's ignored files lie (keys of ``ignored_files`` in its lineage.json).
IGNORED_WHERE = {"masks": "TRA folder, not man_track<digits>.tif", "images": "raw images, not t<digits>.tif"}
#: Fewer judged links than this in a grid cell are flagged: with 15 ECE bins, a
#: bin then holds one or two links and the ECE is mostly sampling noise.
LITTLE = 20


def _sequence_rows(stats: Mapping[str, Mapping[str, Any]]) -> list[str]:
    rows = ["| sequence | frames | cells per frame (mean, max) | tracks | divisions | empty frames "
            "| missing frame numbers | tracks with gaps | abrupt cell-count changes | frame sizes "
            "| ignored files |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, s in stats.items():
        q = s.get("data_quality", {})
        sizes = q.get("frame_sizes")
        rows.append(
            f"| {name} | {s['n_frames']} ({s['first_frame']}-{s['last_frame']}) "
            f"| {s['mean_cells_per_frame']:.1f}, {s['max_cells_per_frame']} | {s['n_tracks']} "
            f"| {s['n_divisions']} | {frame_ranges(s.get('empty_frames', [])) or 0} "
            f"| {frame_ranges(s.get('missing_frame_numbers', [])) or 0} | {len(q.get('gaps', []))} "
            f"| {len(q.get('cell_count_jumps', []))} "
            f"| {'; '.join(f'{k}: frames {frame_ranges(v)}' for k, v in sizes.items()) if sizes else 'one'} "
            f"| {sum(map(len, s.get('ignored_files', {}).values()))} |"
        )
    return rows


def _features(stats: Mapping[str, Mapping[str, Any]]) -> list[str]:
    lines = []
    for name, s in stats.items():
        q = s.get("data_quality", {})
        found = [f"track {g['label']} missing from frames {frame_ranges(g['frames'])}" for g in q.get("gaps", [])]
        found += [f"frames {j['frames'][0]}->{j['frames'][1]}: {j['cells'][0]}->{j['cells'][1]} cells"
                  for j in q.get("cell_count_jumps", [])]
        found += [f"ignored file {f} ({IGNORED_WHERE[kind]})"
                  for kind, names in s.get("ignored_files", {}).items() for f in names]
        if found:
            more = f"; ... and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
            lines.append(f"- {name}: {'; '.join(found[:SHOWN])}{more}")
    return lines


def _cell_rows(summary: xr.Dataset) -> tuple[list[str], int, int]:
    """Grid cells with little to judge, a temperature that could not be fitted, or
    timed-out frame pairs; and the number of cells and of separable fits."""
    rows = []
    cells = separable = 0
    for dataset in summary["dataset"].values:
        for step in summary["step"].values:
            for tracker in summary["tracker"].values:
                c = summary.sel(dataset=dataset, step=step, tracker=tracker)
                if not np.isfinite(c["frame_pairs"].values).any():
                    continue  # not a grid cell (the dataset has other steps)
                cells += 1
                judged = np.nan_to_num(c["n_predicted_links"].values)
                status = {str(m): STATUSES[int(v)] for m, v in zip(c["uq"].values, c["ts_status"].values)
                          if np.isfinite(v)}
                separable += sum(v == "separable" for v in status.values())
                timed_out = np.nan_to_num(c["timed_out_pairs"].values)
                notes = []
                if not judged.any():
                    notes.append("nothing to judge: no predicted link on the evaluation split")
                elif judged.min() < LITTLE:
                    notes.append(f"few judged links (ECE over {LITTLE} links or fewer is mostly noise)")
                odd = {m: v for m, v in status.items() if v not in ("fitted", "separable")}
                if odd:
                    notes.append("temperature not fitted, raw probabilities kept: "
                                 + ", ".join(f"{m} ({v})" for m, v in odd.items()))
                if timed_out.any():
                    notes.append("frame pairs left out at the HiGHS time limit: "
                                 + ", ".join(f"{m} {int(n)}" for m, n in zip(c["uq"].values, timed_out) if n))
                if notes:
                    rows.append(f"| {dataset} | {int(step)} | {tracker} | {int(np.nanmax(c['frame_pairs'].values))} "
                                f"| {int(judged.min())}-{int(judged.max())} | {'; '.join(notes)} |")
    if rows:
        rows = ["| dataset | step | tracker | frame pairs | judged links (fewest-most over methods) | note |",
                "|---|---|---|---|---|---|", *rows]
    return rows, cells, separable


def markdown(stats: Mapping[str, Mapping[str, Any]], summary: xr.Dataset) -> str:
    """The data-quality page of a run.

    Parameters
    ----------
    stats
        Per ``"<dataset>/<seq>"``, the checks of :func:`uqtrack.ctc.validate` (the
        lineage rule's ``lineage.json``), with ``ignored_files``: ``{"masks": [...],
        "images": [...]}``, the names :func:`uqtrack.ctc.ignored_files` left out.
    summary
        The run's ``summary.nc``.

    Returns
    -------
    str
        Markdown: a table of the sequences, their rare features with the frames
        concerned (and the files their folders held besides the frames), and the
        grid cells with little or nothing to judge.
    """
    out = ["# Data quality", "",
           "What the annotated sequences hold that is legal but rare (each also printed as one "
           "warning line when the sequence was read), and the grid cells whose numbers rest on "
           "little or nothing. A frame from another sequence typically shows as an abrupt change "
           "of the cell count or as tracks with gaps.", "", "## Sequences", ""]
    out += _sequence_rows(stats)
    features = _features(stats)
    out += ["", "## Rare features, with their frames", ""]
    out += features or ["None: no track has gaps, no cell count changes abruptly, and no file was ignored."]
    rows, cells, separable = _cell_rows(summary)
    out += ["", "## Grid cells", ""]
    if rows:
        out += [f"{len(rows) - 2} of {cells} dataset x step x tracker cells need a second look:", "", *rows]
    else:
        out += [f"All {cells} dataset x step x tracker cells have {LITTLE} judged links or more and "
                "temperatures that could be fitted."]
    if separable:
        out += ["", f"In {separable} method x cell fits the calibration data were separable (every "
                "judged link right, or the wrong ones only at the lowest confidences): no finite "
                "temperature fits better, and the raw probabilities were kept (tau = 1)."]
    return "\n".join(out) + "\n"
