"""One frame pair with its predicted links coloured by confidence (like the paper's Fig. 1).

The daughters' frame is the background (the raw image, or the label masks' outlines
where there is none); each predicted link is an arrow from the mother's position at
``t`` to the daughter at ``t'``, coloured by its calibrated confidence ``P(i|j)`` after
temperature scaling. The least certain links are circled, with dashed lines to their
alternative mothers and those mothers' probabilities.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from skimage.segmentation import find_boundaries

from uqtrack.calibration import calibrated as calibrate
from uqtrack.lineage import NO_MOTHER
from uqtrack.plots.style import empty, theme
from uqtrack.tables import cost_softmax, daughter_groups


def calibrated(table: pd.DataFrame, tau: float, eps: float = 0.0) -> pd.DataFrame:
    """``table`` with ``confidence`` = ``P(i|j)`` after temperature scaling (``tau``, floor
    ``eps``) and ``p_cost``, the tracker's own softmax that orders equal confidences."""
    groups = daughter_groups(table)
    return table.assign(confidence=calibrate(table["logp"].to_numpy(), groups, tau, eps),
                        p_cost=cost_softmax(table, groups))


def least_certain_pair(table: pd.DataFrame) -> tuple[int, int] | None:
    """The frame pair with the largest expected number of wrong links (sum of 1 - P)."""
    links = table[table["pred"] & (table["mother"] != NO_MOTHER)]
    if links.empty:
        return None
    expected = (1 - links["confidence"]).groupby([links["t"], links["t2"]]).sum()
    t, t2 = expected.idxmax()
    return int(t), int(t2)


def frame_pair(
    table: pd.DataFrame,
    cells_t: pd.DataFrame,
    cells_t2: pd.DataFrame,
    background: np.ndarray | None,
    is_mask: bool,
    title: str,
    n_uncertain: int = 5,
    min_alternative: float = 0.05,
    max_confidence: float = 0.99,
) -> plt.Figure:
    """Draw one frame pair (module docstring).

    Parameters
    ----------
    table : DataFrame
        The pair's rows of the edge table with ``confidence`` (:func:`calibrated`).
    cells_t, cells_t2 : DataFrame
        ``label, y, x`` of the cells at ``t`` and ``t'``.
    background : ndarray or None
        The raw image at ``t'``, or its label mask (``is_mask``).
    n_uncertain : int
        How many of the least certain links to circle with their alternatives ...
    max_confidence : float
        ... among those less certain than this.
    min_alternative : float
        Alternative mothers below this probability are not drawn.
    """
    theme()
    links = table[table["pred"] & (table["mother"] != NO_MOTHER)]
    if links.empty:
        return empty("no predicted link in this frame pair")
    at_t = cells_t.set_index("label")[["y", "x"]]
    at_t2 = cells_t2.set_index("label")[["y", "x"]]
    fig, ax = plt.subplots(figsize=(7, 7))
    if background is not None:
        if is_mask:
            ax.imshow(find_boundaries(background, mode="inner"), cmap="Greys", interpolation="nearest")
        else:
            lo, hi = np.percentile(background, [1, 99.5])
            ax.imshow(background, cmap="gray", vmin=lo, vmax=hi, interpolation="nearest")
    cmap, norm = plt.get_cmap("viridis"), Normalize(0, 1)
    for row in links.itertuples():
        (y0, x0), (y1, x1) = at_t.loc[row.mother], at_t2.loc[row.daughter]
        ax.annotate("", (x1, y1), (x0, y0),
                    arrowprops=dict(arrowstyle="->", color=cmap(norm(row.confidence)), lw=1.6))
    ax.plot(at_t["x"], at_t["y"], ".", color="white", ms=3, mec="k", mew=0.3)
    doubtful = (links[links["confidence"] < max_confidence]
                .sort_values(["confidence", "p_cost"], kind="stable").head(n_uncertain))
    for row in doubtful.itertuples():
        y1, x1 = at_t2.loc[row.daughter]
        ax.plot(x1, y1, "o", mfc="none", mec="#d55e00", ms=16, mew=1.5)
        ax.text(x1 + 6, y1 - 6, f"{row.confidence:.2f}", color="#d55e00", fontsize=8, weight="bold")
        others = table[(table["daughter"] == row.daughter) & (table["mother"] != NO_MOTHER)
                       & (table["mother"] != row.mother) & (table["confidence"] >= min_alternative)]
        for alt in others.itertuples():
            y0, x0 = at_t.loc[alt.mother]
            ax.plot([x0, x1], [y0, y1], "--", color="#d55e00", lw=0.9)
            ax.text(x0, y0, f"{alt.confidence:.2f}", color="#d55e00", fontsize=7)
    ax.set_axis_off()
    ax.set_title(title, fontsize=9)
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, fraction=0.035, pad=0.02)
    bar.set_label("confidence P(i|j) after temperature scaling")
    fig.tight_layout()
    return fig
