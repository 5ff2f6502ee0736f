"""Selecting the frames of a calibration or evaluation part from a table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd


def select(table: pd.DataFrame, part: dict[str, Any]) -> pd.DataFrame:
    """Rows of frame pairs ``(t, t2)`` lying wholly inside the part's frame range."""
    keep = pd.Series(True, index=table.index)
    if part.get("first") is not None:
        keep &= table["t"] >= part["first"]
    if part.get("last") is not None:
        keep &= table["t2"] <= part["last"]
    return table[keep]


def gather(
    paths: Sequence[str], parts: Sequence[dict[str, Any]], read: Callable[[str], pd.DataFrame]
) -> pd.DataFrame:
    """Concatenate the parts' rows; ``paths`` holds one file per distinct sequence, in order."""
    by_seq = dict(zip(dict.fromkeys(p["seq"] for p in parts), paths, strict=True))
    # `part` keeps rows of different sequences apart where their labels coincide
    tables = [select(read(by_seq[p["seq"]]), p).assign(part=i) for i, p in enumerate(parts)]
    return pd.concat(tables, ignore_index=True)
