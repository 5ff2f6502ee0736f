"""Judge one method's link probabilities: calibration and sparsification, raw and +TS."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from uqtrack import metrics
from uqtrack.calibration import scaled
from uqtrack.lineage import NO_MOTHER
from uqtrack.tables import daughter_groups

VARIANTS = ("raw", "ts")


def evaluate(table: pd.DataFrame, tau: float) -> xr.Dataset:
    """Metrics of the predicted links in ``table``, raw and temperature-scaled.

    Parameters
    ----------
    table : DataFrame
        Per-class edge table (see :mod:`uqtrack.tables`) of the evaluation data.
    tau : float
        Temperature fitted on the calibration data.

    Returns
    -------
    xarray.Dataset
        Scalars with dim ``ts`` (``raw``, ``ts``), reliability data with dims
        ``(ts, bin)``, sparsification curves with dims ``(ts, q)``, and counts that
        do not depend on the variant.
    """
    groups = daughter_groups(table)
    logp = table["logp"].to_numpy()
    true = table["true"].to_numpy()
    pred = table["pred"].to_numpy()
    link = table["mother"].to_numpy() != NO_MOTHER
    judged = pred & link  # the predicted edges; predicted appearances are not judged
    correct = true[judged].astype(float)
    q = metrics.SPARSIFICATION_FRACTIONS

    per_variant: dict[str, list] = {}
    for variant in VARIANTS:
        p_cond = table["p_cond"].to_numpy() if variant == "raw" else scaled(logp, groups, tau)
        conf = np.clip(p_cond[judged], 0.0, 1.0)
        entropy = metrics.entropy(p_cond, groups)[groups[judged]] if len(groups) else conf
        rel = metrics.reliability(conf, correct)
        values = {
            "ece": metrics.ece(conf, correct),
            "mean_confidence": conf.mean() if len(conf) else np.nan,
            "mean_improvement_p": metrics.mean_sparsification_improvement(1 - conf, correct),
            "mean_improvement_entropy": metrics.mean_sparsification_improvement(entropy, correct),
            "ause_p": metrics.ause(1 - conf, correct),
            "ause_entropy": metrics.ause(entropy, correct),
            "reliability_count": rel["count"],
            "reliability_confidence": rel["mean_confidence"],
            "reliability_accuracy": rel["accuracy"],
            "sparsification_p": metrics.sparsification(1 - conf, correct),
            "sparsification_entropy": metrics.sparsification(entropy, correct),
        }
        for name, value in values.items():
            per_variant.setdefault(name, []).append(value)

    def dims(name: str) -> tuple[str, ...]:
        if name.startswith("reliability_"):
            return ("ts", "bin")
        return ("ts", "q") if name.startswith("sparsification_") else ("ts",)

    data = {name: (dims(name), np.asarray(vals, dtype=float)) for name, vals in per_variant.items()}
    data["oracle_sparsification"] = (("q",), metrics.oracle_sparsification(correct))
    data["temperature"] = ((), float(tau))
    data.update({name: ((), value) for name, value in counts(table, judged).items()})
    edges = np.linspace(0, 1, metrics.N_BINS + 1)
    return xr.Dataset(
        data,
        coords={"ts": list(VARIANTS), "bin": (edges[:-1] + edges[1:]) / 2, "q": q},
    )


def counts(table: pd.DataFrame, judged: np.ndarray) -> dict[str, float]:
    """How many daughters, how many judged, and what the candidates can reach."""
    groups = daughter_groups(table)
    is_none = table["mother"].to_numpy() == NO_MOTHER
    true = table["true"].to_numpy()
    n_daughters = int(is_none.sum())
    with_mother = ~true[is_none]
    n_linked = int(with_mother.sum())
    reached = np.bincount(groups[~is_none], weights=true[~is_none], minlength=n_daughters)
    sizes = np.bincount(groups, minlength=n_daughters)
    n_correct = int(true[judged].sum())
    return {
        "n_daughters": n_daughters,
        # valid, just awkward: nothing to choose but "appears"
        "n_without_candidates": int((sizes == 1).sum()),
        "n_predicted_links": int(judged.sum()),
        "accuracy": n_correct / int(judged.sum()) if judged.any() else np.nan,
        # correct predicted links per true link: what "appearing" predictions cost
        "link_recall": n_correct / n_linked if n_linked else np.nan,
        "share_predicted_appearing": float(table["pred"].to_numpy()[is_none].mean()) if n_daughters else np.nan,
        "share_without_mother": float(1 - with_mother.mean()) if n_daughters else np.nan,
        "candidate_recall": float(reached.sum() / n_linked) if n_linked else np.nan,
    }
