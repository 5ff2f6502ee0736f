"""Cells and predicted links as a GEFF graph (Graph Exchange File Format).

The format that motile, ultrack, Trackastra, traccuracy and napari-geff read: a zarr
group with node ids and properties, edge ids and properties, and metadata. Nodes are
the exported cells (``t`` = export frame index, as in the CTC masks; ``y, x``;
``label`` = the input mask label; ``track_id`` = the label in the exported masks;
``lineage_id``; ``frame`` = the movie frame); edges are the predicted links with
``confidence`` (+TS), ``confidence_raw``, ``entropy`` and ``rank`` (1 = least
confident), so that a viewer can colour or filter links by how sure they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from geff import GeffMetadata
from geff.core_io import read_to_memory, write_arrays
from geff_spec import Axis

NODE_PROPS = ("t", "y", "x", "label", "track_id", "lineage_id", "frame", "area")
EDGE_PROPS = ("confidence", "confidence_raw", "entropy", "rank")


def write_geff(path: str | Path, cells: pd.DataFrame, links: pd.DataFrame, extra: dict[str, Any]) -> None:
    """Write the cells and links of one sequence as a GEFF zarr group at ``path``.

    Parameters
    ----------
    path : path
        The zarr group to create (a GEFF already there is replaced; write to a
        temporary folder and rename it).
    cells : DataFrame
        ``k, frame, label, y, x, area, track_id, lineage_id`` per cell
        (:func:`~uqtrack.export.map_tracks`); node ``i`` is row ``i``.
    links : DataFrame
        ``t, t2, mother, daughter`` and :data:`EDGE_PROPS` per predicted link.
    extra : dict
        Free-form provenance stored in the metadata's ``extra`` (JSON types).
    """
    node_of = pd.Series(np.arange(len(cells), dtype=np.uint64),
                        index=pd.MultiIndex.from_frame(cells[["frame", "label"]].astype(np.int64)))
    source = node_of.reindex(pd.MultiIndex.from_frame(links[["t", "mother"]].astype(np.int64)))
    target = node_of.reindex(pd.MultiIndex.from_frame(links[["t2", "daughter"]].astype(np.int64)))
    if source.isna().any() or target.isna().any():
        raise ValueError("a link names a cell that is not among the exported cells")
    edges = np.column_stack([source.to_numpy(np.uint64), target.to_numpy(np.uint64)]).reshape(-1, 2)
    columns = {"t": "k"}  # the node's time is its frame in the exported masks
    node_props: dict[str, Any] = {  # geff's PropDictNpArray: values and missing
        name: {"values": cells[columns.get(name, name)].to_numpy(), "missing": None} for name in NODE_PROPS
    }
    edge_props: dict[str, Any] = {name: {"values": links[name].to_numpy(), "missing": None} for name in EDGE_PROPS}
    metadata = GeffMetadata(
        directed=True,
        node_props_metadata={},  # filled in by write_arrays from the arrays
        edge_props_metadata={},
        axes=[
            Axis(name="t", type="time", unit="frame"),
            Axis(name="y", type="space", unit="pixel"),
            Axis(name="x", type="space", unit="pixel"),
        ],
        track_node_props={"tracklet": "track_id", "lineage": "lineage_id"},
        extra={"uqtrack": extra},
    )
    # write_arrays keeps the properties in the order given: the bytes do not depend
    # on hash order (geff.write collects property names in a set)
    # overwrite: geff takes an existing empty folder (the atomic temporary one) for a geff
    write_arrays(str(path), np.arange(len(cells), dtype=np.uint64), node_props, edges, edge_props, metadata,
                 overwrite=True)


def read_geff(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, GeffMetadata]:
    """Nodes and edges of a GEFF group as tables (the inverse of :func:`write_geff`).

    Returns
    -------
    nodes : DataFrame
        ``node`` id and every node property.
    edges : DataFrame
        ``source, target`` node ids and every edge property.
    metadata : GeffMetadata
    """
    geff = read_to_memory(str(path))
    nodes = pd.DataFrame({"node": geff["node_ids"],
                          **{k: v["values"] for k, v in geff["node_props"].items()}})
    ids = np.asarray(geff["edge_ids"]).reshape(-1, 2)
    edges = pd.DataFrame({"source": ids[:, 0], "target": ids[:, 1],
                          **{k: v["values"] for k, v in geff["edge_props"].items()}})
    return nodes, edges, geff["metadata"]
