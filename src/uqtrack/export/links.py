"""One row per predicted link, with its calibrated confidence and the alternatives.

From the per-class edge table (:mod:`uqtrack.tables`) of one sequence and the
temperature and floor fitted elsewhere (:func:`uqtrack.calibration.calibrated`):
the confidence of a link is ``P_{i|j}`` of its
mother, raw and +TS; the daughter's entropy is over all its classes; the
alternatives are its other candidate mothers, most probable first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from uqtrack.calibration import calibrated
from uqtrack.lineage import NO_MOTHER
from uqtrack.metrics import entropy
from uqtrack.tables import cost_softmax, daughter_groups

LINK_COLUMNS = [
    "rank", "t", "t2", "mother", "daughter", "confidence", "confidence_raw",
    "entropy", "entropy_raw", "p_appear", "alternatives",
]


def predicted_links(table: pd.DataFrame, tau: float, eps: float = 0.0) -> pd.DataFrame:
    """The predicted links of an edge table, ranked from least to most certain.

    Parameters
    ----------
    table : DataFrame
        Per-class edge table of one sequence (``t, t2, daughter, mother, logp,
        p_cond, pred``), rows grouped by frame pair and daughter.
    tau : float
        Temperature-scaling exponent (``P^tau``), fitted on calibration data.
    eps : float
        The floor fitted with it (0: the paper's temperature scaling).

    Returns
    -------
    DataFrame
        :data:`LINK_COLUMNS`, one row per daughter whose prediction is a mother:
        ``confidence`` (+TS) and ``confidence_raw`` (``P_{i|j}``), ``entropy`` /
        ``entropy_raw`` (nats, over the daughter's classes), ``p_appear`` (+TS
        probability that the daughter has no mother), ``alternatives`` (the other
        candidate mothers of non-zero probability as ``label:probability``, +TS,
        most probable first, space-separated) and ``rank`` (1 = least confident;
        ties, such as many links at ``P = 1``, by the tracker's own softmax
        ``exp(-w_ij)`` of the link, less confident first, then by higher entropy,
        then frame and label). Sorted by rank.

    Raises
    ------
    ValueError
        A daughter has not exactly one predicted class.
    """
    if len(table) == 0:
        dtypes = {"rank": np.int64, "t": np.int64, "t2": np.int64, "mother": np.int64,
                  "daughter": np.int64, "alternatives": object}
        return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, float)) for c in LINK_COLUMNS})
    groups = daughter_groups(table)
    pred = table["pred"].to_numpy(bool)
    per_daughter = np.bincount(groups, weights=pred)
    if not (per_daughter == 1).all():
        g = int(np.flatnonzero(per_daughter != 1)[0])
        row = table.iloc[int(np.flatnonzero(groups == g)[0])]
        raise ValueError(
            f"daughter {int(row['daughter'])} of frame pair ({int(row['t'])}, {int(row['t2'])})"
            f" has {int(per_daughter[g])} predicted classes, not one"
        )
    p_raw = table["p_cond"].to_numpy(float)
    p_ts = calibrated(table["logp"].to_numpy(float), groups, tau, eps)
    p_cost = cost_softmax(table, groups)
    mother = table["mother"].to_numpy()
    is_none = mother == NO_MOTHER
    p_appear = np.zeros(int(groups.max()) + 1)
    p_appear[groups[is_none]] = p_ts[is_none]

    link = pred & ~is_none
    g_link = groups[link]
    out = pd.DataFrame({
        "t": table["t"].to_numpy()[link],
        "t2": table["t2"].to_numpy()[link],
        "mother": mother[link],
        "daughter": table["daughter"].to_numpy()[link],
        "confidence": p_ts[link],
        "confidence_raw": p_raw[link],
        "entropy": entropy(p_ts, groups)[g_link],
        "entropy_raw": entropy(p_raw, groups)[g_link],
        "p_appear": p_appear[g_link],
        "alternatives": _alternatives(groups, mother, p_ts, is_none | pred)[g_link],
    })
    order = np.lexsort((out["daughter"], out["t"], -out["entropy"].to_numpy(), p_cost[link],
                        out["confidence"]))
    out = out.iloc[order].reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out[LINK_COLUMNS]


def _alternatives(groups: np.ndarray, mother: np.ndarray, p: np.ndarray, skip: np.ndarray) -> np.ndarray:
    """Per daughter: its other candidate mothers as ``label:probability``, most probable first."""
    text = np.full(int(groups.max()) + 1, "", dtype=object)
    keep = ~skip & (p > 0)
    rows = pd.DataFrame({"g": groups[keep], "m": mother[keep], "p": p[keep]})
    rows = rows.sort_values(["g", "p", "m"], ascending=[True, False, True], kind="stable")
    rows["s"] = [f"{m}:{q:.3g}" for m, q in zip(rows["m"], rows["p"], strict=True)]
    for g, joined in rows.groupby("g", sort=False)["s"].agg(" ".join).items():
        text[int(g)] = joined
    return text
