"""Selecting the frames of a calibration or evaluation part from a table."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Part:
    """A calibration or evaluation part: a whole sequence (``first``/``last`` None) or
    a frame range ``[first, last]`` of one."""

    seq: str
    first: int | None = None
    last: int | None = None

    @classmethod
    def from_config(cls, entry: str | Mapping[str, Any]) -> Part:
        """From a split entry: ``"01"`` or ``{seq: "01", frames: [first, last]}``."""
        if isinstance(entry, str):
            return cls(entry)
        first, last = entry["frames"]
        return cls(entry["seq"], first, last)

    def as_dict(self) -> dict[str, str | int | None]:
        """``{"seq", "first", "last"}``: plain data for a rule's ``params`` (Snakemake
        reruns a job when its params change, and sees changes only of plain values)."""
        return dataclasses.asdict(self)


def select(table: pd.DataFrame, part: Part) -> pd.DataFrame:
    """Rows of frame pairs ``(t, t2)`` lying wholly inside the part's frame range."""
    keep = pd.Series(True, index=table.index)
    if part.first is not None:
        keep &= table["t"] >= part.first
    if part.last is not None:
        keep &= table["t2"] <= part.last
    return table[keep]


def gather(paths: Sequence[str], parts: Sequence[Part], read: Callable[[str], pd.DataFrame]) -> pd.DataFrame:
    """Concatenate the parts' rows; ``paths`` holds one file per distinct sequence, in order."""
    by_seq = dict(zip(dict.fromkeys(p.seq for p in parts), paths, strict=True))
    # `part` keeps rows of different sequences apart where their labels coincide
    tables = [select(read(by_seq[p.seq]), p).assign(part=i) for i, p in enumerate(parts)]
    return pd.concat(tables, ignore_index=True)
