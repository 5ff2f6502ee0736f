"""Judge one method's link probabilities: calibration and sparsification, raw and +TS.

Every statistic comes with a 95 % bootstrap interval from a two-stage bootstrap:
a replicate redraws the evaluation's frame pairs with replacement (links of one
frame are not independent, so they move together), then the daughters within each
drawn pair (Poisson weights: a pair drawn ``c`` times gives each of its daughters a
weight ``Poisson(c)``). The second stage keeps the interval honest where there are
few frame pairs (at step 50 a sequence may have one); with many it is conservative.
The draws depend only on the evaluation's daughters and the passed generator, so
every method and tracker of one dataset and step sees the same replicates:
differences between them (``+TS`` minus raw, one method minus another) are paired.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from uqtrack import metrics
from uqtrack.calibration import calibrated
from uqtrack.lineage import NO_MOTHER
from uqtrack.tables import cost_softmax, daughter_groups, pair_keys

VARIANTS = ("raw", "ts")
#: Statistics with bootstrap replicates (and intervals) per variant.
BOOTSTRAPPED = ("ece", "accuracy", "mean_confidence", "mean_improvement_p", "mean_improvement_entropy")
CONFIDENCE_LEVEL = 0.95
#: Shares of the predicted links a proofreader checks, least confident first (``caught_wrong``).
BUDGETS = (0.05, 0.1, 0.2)


def bootstrap_weights(
    pair_of_daughter: np.ndarray, n_pairs: int, n_boot: int, rng: np.random.Generator
) -> Iterator[np.ndarray]:
    """Each daughter's weight in each of ``n_boot`` replicates (module docstring).

    Parameters
    ----------
    pair_of_daughter : (n,) ndarray of int
        The frame pair (``0 .. n_pairs - 1``) of each daughter.
    n_pairs : int
        Frame pairs, including those without daughters.
    n_boot : int
    rng : numpy.random.Generator

    Yields
    ------
    (n,) ndarray of int
        One replicate's weights at a time, so that a large evaluation never holds
        all ``n_boot x n`` of them.
    """
    for _ in range(n_boot):
        counts = rng.multinomial(n_pairs, np.full(n_pairs, 1.0 / n_pairs)) if n_pairs else np.zeros(0)
        yield rng.poisson(counts[pair_of_daughter])


def _statistics(conf, correct, unc_p, unc_h, weights=None) -> dict[str, float]:
    if weights is None:
        n = len(conf)
        acc = correct.mean() if n else np.nan
        mean_conf = conf.mean() if n else np.nan
    else:
        n = weights.sum()
        acc = (weights * correct).sum() / n if n else np.nan
        mean_conf = (weights * conf).sum() / n if n else np.nan
    return {
        "ece": metrics.ece(conf, correct, weights=weights),
        "accuracy": acc,
        "mean_confidence": mean_conf,
        "mean_improvement_p": metrics.mean_sparsification_improvement(unc_p, correct, weights=weights),
        "mean_improvement_entropy": metrics.mean_sparsification_improvement(unc_h, correct, weights=weights),
    }


_LAST_DRAWN: dict = {}  # unit_weights' last draws


def unit_weights(pair_of_unit: np.ndarray, n_pairs: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """All of :func:`bootstrap_weights`' replicates as one (n_boot, n_units) array.

    The last draws are kept (one set, as small integers: a byte per weight while
    they fit, ``n_boot x n_units`` bytes, 25 MB for 1,000 replicates of 25,000
    daughters): the workflow judges every method of a dataset and step on the same
    daughters with a generator seeded alike, so every method after the first gets
    the very same draws without drawing them again (drawing is about a third of a
    judged method's time), and ``rng`` is left in the state drawing would leave it in.
    """
    state = rng.bit_generator.state
    key = (state, n_pairs, n_boot)
    if _same(_LAST_DRAWN.get("key"), key) and np.array_equal(_LAST_DRAWN["pair_of_unit"], pair_of_unit):
        rng.bit_generator.state = _LAST_DRAWN["state_after"]
        return _LAST_DRAWN["weights"]
    weights = np.zeros((n_boot, len(pair_of_unit)), dtype=np.uint8)
    for i, w in enumerate(bootstrap_weights(pair_of_unit, n_pairs, n_boot, rng)):
        if len(w) and w.max() > np.iinfo(weights.dtype).max:  # a freak draw: wider integers
            weights = weights.astype(np.int64)
        weights[i] = w
    weights.flags.writeable = False  # shared by the calls that hit the cache
    _LAST_DRAWN.update(key=key, pair_of_unit=pair_of_unit.copy(), state_after=rng.bit_generator.state,
                       weights=weights)
    return weights


def _same(a, b) -> bool:
    """Equal nested generator states (dicts, tuples, ints, arrays: MT19937 and Philox hold arrays)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    return type(a) is type(b) and a == b


#: Weights judged at once by :func:`_replicates` (replicates x links): the metrics make
#: a few arrays of this size (4-8 bytes an element, 16 MB at most each), whatever n.
CHUNK_ELEMENTS = 2_000_000


def _replicates(variants, correct, pair_of_unit, unit_of_link, n_pairs, n_boot, rng) -> dict[str, dict]:
    """:data:`BOOTSTRAPPED` statistics of ``n_boot`` replicates, per variant.

    ``variants`` maps each variant to ``(conf, unc_p, unc_h)`` of the judged links.
    The replicates are drawn one after the other as :func:`bootstrap_weights` does
    (the same generator stream; :func:`unit_weights`) and judged a chunk of rows at a
    time with the metrics' ``*_replicates`` functions: the same numbers as
    :func:`_statistics` of each replicate (:func:`_replicates_loop`), without a Python
    loop over the replicates.
    """
    out = {variant: {name: np.full(n_boot, np.nan) for name in BOOTSTRAPPED} for variant in variants}
    if not n_boot:
        return out
    # sort each uncertainty once, not once per replicate
    orders = {
        variant: [np.argsort(-unc, kind="stable") for unc in (unc_p, unc_h)]
        for variant, (_, unc_p, unc_h) in variants.items()
    }
    drawn = unit_weights(pair_of_unit, n_pairs, n_boot, rng)
    chunk = max(1, CHUNK_ELEMENTS // max(len(correct), 1))
    for start in range(0, n_boot, chunk):
        rows = slice(start, min(start + chunk, n_boot))
        w = np.take(drawn[rows], unit_of_link, axis=1)
        w = w.astype(np.int32) if w.sum(dtype=np.int64) < 2**31 else w.astype(np.int64)
        total = w.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):  # total 0 -> nan
            # whole numbers: the same as _statistics' sum, any order
            accuracy = np.where(total > 0, (w * correct).sum(axis=1) / total, np.nan)
        for variant, (conf, unc_p, unc_h) in variants.items():
            stats = out[variant]
            stats["accuracy"][rows] = accuracy
            with np.errstate(invalid="ignore", divide="ignore"):
                # the same pairwise sum as _statistics' of one row
                stats["mean_confidence"][rows] = np.where(total > 0, (w * conf).sum(axis=1) / total, np.nan)
            stats["ece"][rows] = metrics.ece_replicates(conf, correct, w)
            for name, unc, order in (("p", unc_p, orders[variant][0]), ("entropy", unc_h, orders[variant][1])):
                stats[f"mean_improvement_{name}"][rows] = metrics.mean_sparsification_improvement_replicates(
                    unc, correct, w, order=order
                )
    return out


def _replicates_loop(variants, correct, pair_of_unit, unit_of_link, n_pairs, n_boot, rng) -> dict[str, dict]:
    """:func:`_replicates` one replicate at a time with :func:`_statistics` (the reference)."""
    replicates: dict[str, list] = {variant: [] for variant in variants}
    for w in bootstrap_weights(pair_of_unit, n_pairs, n_boot, rng) if n_boot else []:
        w = w[unit_of_link]
        for variant, (conf, unc_p, unc_h) in variants.items():
            replicates[variant].append(_statistics(conf, correct, unc_p, unc_h, w))
    return {
        variant: {name: np.array([r[name] for r in reps], dtype=float) for name in BOOTSTRAPPED}
        for variant, reps in replicates.items()
    }


def evaluate(
    table: pd.DataFrame,
    tau: float,
    daughters: pd.DataFrame | None = None,
    n_boot: int = 0,
    rng: np.random.Generator | None = None,
    eps: float = 0.0,
) -> xr.Dataset:
    """Metrics of the predicted links in ``table``, raw and temperature-scaled.

    Parameters
    ----------
    table : DataFrame
        Per-class edge table with ``true`` (:func:`uqtrack.tables.join_truth`) of
        the evaluation data.
    tau : float
        Exponent fitted on the calibration data (``P^tau``, Eq. 20).
    daughters : DataFrame, optional
        Every daughter of the evaluation (columns :func:`pair_keys` + ``daughter``,
        e.g. the truth table), the bootstrap's units; frame pairs without daughters
        are listed with ``daughter = 0``. Default: the table's daughters.
    n_boot : int
        Bootstrap replicates (0: no intervals).
    rng : numpy.random.Generator
        Draws the replicates; required when ``n_boot > 0``.
    eps : float
        Height of the calibration floor fitted with ``tau``
        (:func:`uqtrack.calibration.calibrated`; 0: the paper's scaling).

    Returns
    -------
    xarray.Dataset
        Scalars with dim ``ts`` (``raw``, ``ts``) and, for :data:`BOOTSTRAPPED`,
        ``<name>_lo`` / ``<name>_hi`` and replicates ``boot_<name>`` (dims ``ts,
        replicate``); reliability data with dims ``(ts, bin)``, sparsification
        curves with dims ``(ts, q)``, and counts that do not depend on the variant.
        What a user of an unannotated movie would be told, against the truth:
        ``expected_wrong`` (dim ``ts``: the sum of ``1 - confidence`` over the
        predicted links), ``n_wrong`` (the predicted links that are wrong) and
        ``caught_wrong`` (dims ``ts, budget``: the share of the wrong links among the
        least confident :data:`BUDGETS` of the links).

    Links of equal confidence (or entropy) are ordered by the tracker's own
    softmax ``exp(-w_ij)`` per daughter (DBMC of the ``cost`` column), less
    confident first, then by row: a tie of ``P = 1`` links is broken by what the
    costs say, never by where the rows happen to lie.
    """
    groups = daughter_groups(table)
    logp = table["logp"].to_numpy()
    true = table["true"].to_numpy()
    link = table["mother"].to_numpy() != NO_MOTHER
    judged = table["pred"].to_numpy() & link  # predicted appearances are not judged
    correct = true[judged].astype(float)
    keys = pair_keys(table)
    if daughters is None:
        daughters = table[keys + ["daughter"]]
    units = daughters[keys + ["daughter"]].drop_duplicates().sort_values(keys + ["daughter"], ignore_index=True)
    pair_of_unit = units.groupby(keys, sort=False).ngroup().to_numpy()
    unit_of_link = pd.MultiIndex.from_frame(units).get_indexer(
        pd.MultiIndex.from_frame(table.loc[judged, keys + ["daughter"]])
    )
    if (unit_of_link < 0).any():
        raise ValueError("the edge table has daughters that `daughters` does not list")
    n_pairs = int(pair_of_unit.max()) + 1 if len(units) else 0

    # ties broken by the tracker's own softmax (docstring)
    p_cost = cost_softmax(table, groups)[judged] if len(groups) else np.zeros(0)
    confidences = {}
    for variant in VARIANTS:
        p_cond = table["p_cond"].to_numpy() if variant == "raw" else calibrated(logp, groups, tau, eps)
        conf = np.clip(p_cond[judged], 0.0, 1.0)
        entropy = metrics.entropy(p_cond, groups)[groups[judged]] if len(groups) else conf
        # uncertainties as tie-broken ranks: 1 - P and the entropy
        confidences[variant] = (conf, metrics.tie_broken(1 - conf, 1 - p_cost),
                                metrics.tie_broken(entropy, 1 - p_cost))
    # the same replicates for both variants (paired)
    replicates = _replicates(confidences, correct, pair_of_unit, unit_of_link, n_pairs, n_boot, rng)

    per_variant: dict[str, list] = {}
    for variant, (conf, unc_p, unc_h) in confidences.items():
        rel = metrics.reliability(conf, correct)
        values: dict = _statistics(conf, correct, unc_p, unc_h)
        alpha = (1 - CONFIDENCE_LEVEL) / 2
        for name in BOOTSTRAPPED:
            boot = replicates[variant][name]
            values[f"boot_{name}"] = boot
            ok = boot[np.isfinite(boot)]
            values[f"{name}_lo"] = np.quantile(ok, alpha) if len(ok) else np.nan
            values[f"{name}_hi"] = np.quantile(ok, 1 - alpha) if len(ok) else np.nan
        values.update(
            ause_p=metrics.ause(unc_p, correct),
            ause_entropy=metrics.ause(unc_h, correct),
            expected_wrong=float((1 - conf).sum()),
            caught_wrong=caught(unc_p, correct),
            reliability_count=rel["count"],
            reliability_confidence=rel["mean_confidence"],
            reliability_accuracy=rel["accuracy"],
            sparsification_p=metrics.sparsification(unc_p, correct),
            sparsification_entropy=metrics.sparsification(unc_h, correct),
        )
        for name, value in values.items():
            per_variant.setdefault(name, []).append(value)

    def dims(name: str) -> tuple[str, ...]:
        if name == "caught_wrong":
            return ("ts", "budget")
        if name.startswith("reliability_"):
            return ("ts", "bin")
        if name.startswith("boot_"):
            return ("ts", "replicate")
        return ("ts", "q") if name.startswith("sparsification_") else ("ts",)

    data: dict[str, tuple[tuple[str, ...], Any]] = {
        name: (dims(name), np.asarray(vals, dtype=float)) for name, vals in per_variant.items()
    }
    for name in ("accuracy", "accuracy_lo", "accuracy_hi"):  # scaling moves no prediction
        data[name] = ((), data[name][1][0])
    data["oracle_sparsification"] = (("q",), metrics.oracle_sparsification(correct))
    data["n_wrong"] = ((), float(len(correct) - correct.sum()))
    data.update({name: ((), value) for name, value in counts(table, judged).items()})
    edges = np.linspace(0, 1, metrics.N_BINS + 1)
    return xr.Dataset(
        data,
        coords={
            "ts": list(VARIANTS),
            "bin": (edges[:-1] + edges[1:]) / 2,
            "q": metrics.SPARSIFICATION_FRACTIONS,
            "budget": list(BUDGETS),
            "replicate": np.arange(n_boot),
        },
    )


def caught(uncertainty: np.ndarray, correct: np.ndarray, budgets=BUDGETS) -> np.ndarray:
    """Share of the wrong links among the ``ceil(b n)`` most uncertain, per budget ``b``.

    ``uncertainty`` must hold no ties (:func:`uqtrack.metrics.tie_broken`); NaN
    where no link is wrong.
    """
    n = len(correct)
    n_wrong = n - correct.sum()
    if n_wrong == 0:
        return np.full(len(budgets), np.nan)
    wrong_first = np.cumsum(1.0 - correct[np.argsort(-uncertainty, kind="stable")])
    take = np.ceil(np.asarray(budgets) * n - 1e-9).astype(int)
    return np.where(take > 0, wrong_first[np.maximum(take, 1) - 1], 0.0) / n_wrong


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
    n_judged = int(judged.sum())
    # classes of probability 0 stay 0 under every temperature: a judged link whose
    # daughter has no other class of P > 0 keeps P = 1, one of P = 0 keeps 0
    finite = np.isfinite(table["logp"].to_numpy())
    alive = np.bincount(groups, weights=finite, minlength=n_daughters)[groups]
    fixed_one = judged & finite & (alive == 1)
    fixed_zero = judged & ~finite
    return {
        "n_daughters": n_daughters,
        # valid, just awkward: nothing to choose but "appears"
        "n_without_candidates": int((sizes == 1).sum()),
        "n_predicted_links": n_judged,
        # correct predicted links per true link: what "appearing" predictions cost
        "link_recall": n_correct / n_linked if n_linked else np.nan,
        "share_predicted_appearing": float(table["pred"].to_numpy()[is_none].mean()) if n_daughters else np.nan,
        "share_without_mother": float(1 - with_mother.mean()) if n_daughters else np.nan,
        "candidate_recall": float(reached.sum() / n_linked) if n_linked else np.nan,
        "share_confidence_one": float(fixed_one.sum() / n_judged) if n_judged else np.nan,
        "share_confidence_zero": float(fixed_zero.sum() / n_judged) if n_judged else np.nan,
    }
