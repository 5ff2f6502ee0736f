"""Export the tracking of one sequence where users look: CTC result format, GEFF, links.

:mod:`.links` turns an edge table and a temperature into one row per predicted link
(calibrated confidence, entropy, alternative mothers); :mod:`.lineage` turns those
links into Cell Tracking Challenge tracks; :mod:`.ctc_result` writes them as
``res_track.txt`` + relabelled masks; :mod:`.graph` writes cells and links as a GEFF
graph. None of it reads ground truth.
"""

from uqtrack.export.ctc_result import write_ctc_result
from uqtrack.export.graph import read_geff, write_geff
from uqtrack.export.lineage import map_tracks
from uqtrack.export.links import LINK_COLUMNS, predicted_links

__all__ = [
    "LINK_COLUMNS",
    "map_tracks",
    "predicted_links",
    "read_geff",
    "write_ctc_result",
    "write_geff",
]
