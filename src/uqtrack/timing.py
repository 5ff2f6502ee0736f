"""Compute times of the methods, per edges job (for the paper's cost figure, Fig. 7).

Wall-clock times are the one output that is not byte-identical between runs; they
live in ``timings.tsv`` files of their own for that reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd


def per_job(tables: Sequence[pd.DataFrame], cells: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per edges job: its grid cell, frame pairs, mean cells and seconds.

    Parameters
    ----------
    tables : sequence of DataFrame
        Each job's ``timings.tsv`` (``t, t2, mothers, daughters, edges, seconds``).
    cells : sequence of dict
        The job's ``dataset, seq, step, tracker, method``, in the same order.
    """
    rows = [
        {
            **cell,
            "frame_pairs": len(table),
            "mean_cells": table["daughters"].mean() if len(table) else float("nan"),
            "seconds": table["seconds"].sum(),
            "seconds_per_pair": table["seconds"].mean() if len(table) else float("nan"),
        }
        for table, cell in zip(tables, cells, strict=True)
    ]
    return pd.DataFrame(rows)
