"""The per-class edge table: one row per class of every daughter.

A daughter's classes are its candidate mothers plus "no mother" (``mother == 0``).
Columns: ``t, t2, daughter, mother`` (CTC labels), ``cost`` (``w_ij``; on the "no
mother" row ``w_a + w_d``, the price of not linking), ``logp`` (log of the
unnormalised ``P_ij`` / ``P_none_j``; ``-inf`` for a class a sampling method never
saw), ``p_cond`` (``P_{i|j}`` after DBMC) and ``pred`` (in the judged prediction; on
the "no mother" row: predicted to appear). Tracking needs no ground truth;
:func:`join_truth` adds ``true`` (the true class) where metrics need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from uqtrack import calibration
from uqtrack.calibration import scaled
from uqtrack.errors import InputError
from uqtrack.lineage import NO_MOTHER

if TYPE_CHECKING:  # the methods (and their solvers) only where tables are made, not read
    from uqtrack.uq import PairProbabilities

COLUMNS = ["t", "t2", "daughter", "mother", "cost", "logp", "p_cond", "pred"]


def pair_table(
    t: int,
    t2: int,
    mother_labels: np.ndarray,
    daughter_labels: np.ndarray,
    edges: np.ndarray,
    costs: np.ndarray,
    probs: PairProbabilities,
    unlinked_cost: float,
) -> pd.DataFrame:
    """Rows for every class of every daughter of frame pair ``(t, t2)``."""
    from uqtrack.uq import dbmc

    n_d = len(daughter_labels)
    p_cond, p_none_cond = dbmc(probs.log_p_edge, probs.log_p_none, edges[:, 1])
    mother = np.concatenate([mother_labels[edges[:, 0]], np.full(n_d, NO_MOTHER)])
    daughter_idx = np.concatenate([edges[:, 1], np.arange(n_d)])
    table = pd.DataFrame(
        {
            "t": np.full(len(mother), t, dtype=np.int64),
            "t2": np.full(len(mother), t2, dtype=np.int64),
            "daughter": daughter_labels[daughter_idx].astype(np.int64),
            "mother": mother.astype(np.int64),
            "cost": np.concatenate([costs, np.full(n_d, float(unlinked_cost))]),
            "logp": np.concatenate([probs.log_p_edge, probs.log_p_none]),
            "p_cond": np.concatenate([p_cond, p_none_cond]),
            "pred": np.concatenate([probs.pred_edge, probs.pred_none]),
        }
    )
    return table.sort_values(["daughter", "mother"], kind="stable", ignore_index=True)


def empty_table() -> pd.DataFrame:
    dtypes = {"cost": float, "logp": float, "p_cond": float, "pred": bool}
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, np.int64)) for c in COLUMNS})


def pair_keys(table: pd.DataFrame) -> list[str]:
    """The columns naming a frame pair: ``part`` (where present), ``t``, ``t2``."""
    return ["part", "t", "t2"] if "part" in table else ["t", "t2"]


def join_truth(table: pd.DataFrame, truth: pd.DataFrame, source: str = "edge table") -> pd.DataFrame:
    """``table`` with a column ``true``: is the row's class the daughter's true one?

    Parameters
    ----------
    table : DataFrame
        Edge table (optionally with a ``part`` column, see :func:`uqtrack.splits.gather`).
    truth : DataFrame
        ``t, t2, daughter, mother`` (and ``part`` where ``table`` has one): every
        daughter's true mother (:func:`uqtrack.lineage.true_links`).

    Raises
    ------
    InputError
        A daughter of the edge table has no row in the truth (the two come from
        different data).
    """
    keys = pair_keys(table) + ["daughter"]
    true_mother = truth.set_index(keys)["mother"]
    idx = pd.MultiIndex.from_frame(table[keys])
    pos = true_mother.index.get_indexer(idx)
    if (pos < 0).any():
        row = table.iloc[int(np.flatnonzero(pos < 0)[0])]
        raise InputError(
            source,
            f"daughter {int(row['daughter'])} of frame pair ({int(row['t'])}, {int(row['t2'])})"
            " has no true mother in the ground truth: the tracking and the truth disagree;"
            " rerun both from the same data",
        )
    out = table.copy()
    out["true"] = table["mother"].to_numpy() == true_mother.to_numpy()[pos]
    return out


def daughter_groups(table: pd.DataFrame) -> np.ndarray:
    """Consecutive group id of each row's daughter (rows are sorted by pair, daughter)."""
    key = table[pair_keys(table) + ["daughter"]].to_numpy()
    if len(key) == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.r_[True, (key[1:] != key[:-1]).any(axis=1)]
    return np.cumsum(new) - 1


def cost_softmax(table: pd.DataFrame, groups: np.ndarray) -> np.ndarray:
    """Each row's ``exp(-cost)`` normalised over its daughter's classes: the tracker's own
    softmax, the key that orders links of equal confidence wherever an order matters."""
    return scaled(-table["cost"].to_numpy(float), groups, 1.0)


def judged_rows(table: pd.DataFrame) -> np.ndarray:
    """Rows of daughters whose prediction is a link (not "appears"): all their classes."""
    groups = daughter_groups(table)
    link = table["pred"].to_numpy() & (table["mother"].to_numpy() != NO_MOTHER)
    judged = np.zeros(int(groups.max()) + 1 if len(groups) else 0, dtype=bool)
    judged[groups[link]] = True
    return judged[groups]


def frame_pair_blocks(table: pd.DataFrame) -> np.ndarray:
    """Each row's frame pair (``part``, ``t``) as ids in time order: the cross-validation
    blocks of :func:`uqtrack.calibration.fit_cv`."""
    if len(table) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.unique(table[["part", "t"]].to_numpy(), axis=0, return_inverse=True)[1].reshape(-1)


def fit_calibration(table: pd.DataFrame, model: str = "floor", prior_sd: float | str = "cv",
                    fit_on: str = "predicted") -> calibration.TemperatureFit:
    """The temperature (and floor) of a calibration split's edge table, joined with its
    truth, as the workflow's ``calibrate`` fits it: on the daughters ECE judges
    (``fit_on="predicted"``) or on all, with frame pairs as cross-validation blocks."""
    if fit_on == "predicted":  # the population whose calibration is reported
        table = table[judged_rows(table)].reset_index(drop=True)
    return calibration.fit(table["logp"].to_numpy(), daughter_groups(table), table["true"].to_numpy(),
                           model, prior_sd, frame_pair_blocks(table))
