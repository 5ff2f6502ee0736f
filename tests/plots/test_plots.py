"""Every figure draws from a summary, and says so instead of crashing when there is
nothing to draw (a grid with no judged link, no identifiable temperature)."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from uqtrack import plots
from uqtrack.metrics import N_BINS, SPARSIFICATION_FRACTIONS
from uqtrack.plots import overview


def _summary(rng, empty=False):
    dims = {"dataset": ["a", "b"], "step": [1, 10], "tracker": ["distance"], "uq": ["sm", "as"], "ts": ["raw", "ts"]}
    shape = tuple(len(v) for v in dims.values())
    full = lambda lo, hi: np.full(shape, np.nan) if empty else rng.uniform(lo, hi, shape)  # noqa: E731
    grid = ("dataset", "step", "tracker", "uq", "ts")
    data = {
        "ece": (grid, full(0, 0.3)),
        "ece_lo": (grid, full(0, 0.01)),
        "ece_hi": (grid, full(0.3, 0.4)),
        "mean_improvement_p": (grid, full(-0.01, 0.05)),
        "mean_improvement_entropy": (grid, full(-0.01, 0.05)),
        "n_predicted_links": (grid[:4], np.full(shape[:4], 0 if empty else 100)),
        "temperature": (grid[:4], np.exp(rng.normal(0, 1, shape[:4]))),
        "ts_status": (grid[:4], np.full(shape[:4], 2 if empty else 0)),
        "msd": (grid[:4], np.broadcast_to(np.array([3.0, 30.0])[None, :, None, None], shape[:4]).copy()),
        "sparsification_p": (grid + ("q",),
                             np.full(shape + (len(SPARSIFICATION_FRACTIONS),), np.nan if empty else 0.01)),
        "oracle_sparsification": (grid[:4] + ("q",), np.full(shape[:4] + (len(SPARSIFICATION_FRACTIONS),), 0.05)),
        "reliability_count": (grid + ("bin",), np.zeros(shape + (N_BINS,)) if empty
                              else rng.integers(0, 9, shape + (N_BINS,)).astype(float)),
        "reliability_accuracy": (grid + ("bin",), rng.uniform(0, 1, shape + (N_BINS,))),
        "reliability_confidence": (grid + ("bin",), rng.uniform(0, 1, shape + (N_BINS,))),
    }
    coords = {**dims, "q": SPARSIFICATION_FRACTIONS, "bin": (np.arange(N_BINS) + 0.5) / N_BINS}
    return xr.Dataset(data, coords=coords)


@pytest.mark.parametrize("empty", [False, True])
def test_every_grid_figure_draws(tmp_path, empty):
    s = _summary(np.random.default_rng(0), empty)
    figures = {
        "ece": plots.ece_vs_step(s),
        "ece_by_dataset": plots.ece_by_dataset(s),
        "temperature": plots.temperature_vs_step(s),
        "msd": plots.temperature_vs_msd(s, {"distance": "distance"}),
        "gain": plots.sparsification_gain(s),
        "curves": plots.sparsification_curves(s, "distance"),
        "reliability": plots.reliability(s, "distance"),
    }
    for name, fig in figures.items():
        texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
        assert ("nothing to plot" in texts) == empty, name
        plots.save(fig, [str(tmp_path / f"{name}.png"), str(tmp_path / f"{name}.pdf")])
        assert (tmp_path / f"{name}.png").stat().st_size > 1000


def test_overview_picks_the_least_certain_pair_and_draws_it(tmp_path):
    rows = [
        # t, t2, daughter, mother, cost, logp, p_cond, pred
        (0, 1, 1, 0, 20.0, -20.0, 0.0, False), (0, 1, 1, 1, 0.1, -0.1, 1.0, True),
        (1, 2, 1, 0, 20.0, -20.0, 0.0, False), (1, 2, 1, 1, 1.0, -1.0, 0.5, True), (1, 2, 1, 2, 1.0, -1.0, 0.5, False),
    ]
    table = pd.DataFrame(rows, columns=["t", "t2", "daughter", "mother", "cost", "logp", "p_cond", "pred"])
    table = overview.calibrated(table, tau=1.0)
    assert overview.least_certain_pair(table) == (1, 2)
    cells_t = pd.DataFrame({"label": [1, 2], "y": [10.0, 30.0], "x": [10.0, 30.0]})
    cells_t2 = pd.DataFrame({"label": [1], "y": [20.0], "x": [20.0]})
    mask = np.zeros((40, 40), dtype=np.uint16)
    mask[15:25, 15:25] = 1
    fig = overview.frame_pair(table[table["t"] == 1], cells_t, cells_t2, mask, True, "test")
    assert any("0.50" in t.get_text() for t in fig.axes[0].texts)  # the doubtful link and its alternative
    plots.save(fig, str(tmp_path / "o.png"))
