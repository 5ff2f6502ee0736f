"""The paper's findings (Sec. 4), checked on our own summary.

Each finding is turned into a statistic with a 95 % bootstrap interval over the
evaluation's frame pairs (:mod:`uqtrack.evaluation`) and a verdict: ``holds``,
``does not hold`` or ``undecided``. Methods and variants of one dataset and step
share their bootstrap draws, so differences between them are paired; different
steps are independent samples, and a statistic that averages over steps averages
the replicate vectors. The definitions below are the operational reading of each
finding; they are written into ``claims.md`` beside the verdicts.

Only the paper's methods (:data:`PAPER_METHODS`) enter the checks of the paper's
findings (C*); ``asf`` is ours and enters only the transfer line T1, which is not the
paper's. "Above 0" and "below 0" always mean beyond :data:`MARGIN`; "excludes 0" means
literally. A verdict is :data:`NOT_MEASURED` where the summary lacks the variables a
finding needs (T1 on summaries without ``expected_wrong`` / ``n_wrong``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from uqtrack.calibration import STATUSES
from uqtrack.evaluation import CONFIDENCE_LEVEL as LEVEL

PAPER_METHODS = ("sm", "fp", "fpa", "as")
#: Differences smaller than this (on the probability scale: ECE, confidence minus
#: accuracy, accuracy gained by sparsification) count as no difference whatever their
#: interval: at our sample sizes ECEs differing by 0.001 are noise.
MARGIN = 0.005
HOLDS, FAILS, UNDECIDED = "holds", "does not hold", "undecided"

#: Tracker types whose SM and FP the paper excepts from C1 (Sec. 4.1).
TRANSFORMER = "transformer"
#: C4b: the pooled rank correlation "tracks" the MSD if its interval lies above this.
TRACKS = 0.5
#: T1: the expected number of wrong links is "right" within this band of the true count,
#: judged on cells with at least this many wrong links.
TRANSFER_BAND, TRANSFER_MIN_WRONG = (0.8, 1.25), 30
NOT_MEASURED = "not measured in this run"
_C2_CELLS = (
    "A cell is one paper method at one step of that dataset and tracker (both variants with an "
    "ECE); its paired difference ECE(+TS) - ECE(raw) is 'better' if its interval lies below "
    f"-{MARGIN}, 'worse' if above +{MARGIN}, and 'decided' if its interval excludes 0 (a decided "
    "cell within the margin is a measured but immaterial change)."
)

DEFINITIONS = {
    "C1": (
        "\"Without temperature scaling, all UQ methods are overconfident and calibration "
        "deteriorates as temporal resolution decreases\" (except SM and FP with the transformer: "
        "C1x).",
        "Per dataset and tracker, raw probabilities of the paper's methods, without SM and FP for "
        "transformer-type trackers. Statistic: mean over those methods of ECE at the largest step "
        "minus ECE at the smallest step. Holds if its interval lies above 0 and so does the "
        "overconfidence at the largest step (mean confidence minus accuracy of the judged links, "
        "mean over the same methods); does not hold if either interval lies below 0; undecided "
        "otherwise.",
    ),
    "C1x": (
        "\"... except for SM and FP using the Transformer-based tracking\": their raw "
        "calibration does not deteriorate as temporal resolution decreases.",
        "Per dataset and transformer-type tracker, for sm and for fp: raw ECE at the largest step "
        "minus raw ECE at the smallest step. Statistic: the larger of the two. Holds if neither "
        f"interval reaches above +{MARGIN} (no rise beyond noise); does not hold if either lies "
        "above 0 (the ECE rises); undecided otherwise.",
    ),
    "C2": (
        "\"Temperature scaling almost always improves ECE.\"",
        f"Per dataset and tracker. {_C2_CELLS} Statistic: mean difference over cells. Holds if "
        "more than half of the decided cells are better and at most 10 % of all cells are worse; "
        "does not hold if more than 10 % of all cells are worse, or if at most half of the decided "
        "cells are better; undecided if no cell is decided.",
    ),
    "C3": (
        "\"AS+TS yields particularly good calibration across all tested algorithms and temporal "
        "resolutions\": AS+TS is among the two best calibrated variants at every step.",
        "Per dataset and tracker, at each step: the rank of AS+TS among the paper's eight "
        "variants (four methods, raw and +TS) is 1 + the number of other variants with a lower "
        "ECE, where a variant counts as lower only if the paired interval of ECE(AS+TS) minus its "
        f"ECE lies above +{MARGIN}; otherwise the two are tied (in particular whenever that "
        "interval includes 0). Statistic: the worst rank over steps. Holds if the rank is at "
        "most 2 at every step; does not hold if it is worse than 2 at more than half of the "
        "steps; undecided otherwise.",
    ),
    "C3s": (
        "Strict reading of C3: AS+TS is never beaten by the best of the seven other variants.",
        "Per dataset and tracker, at each step: ECE of AS+TS minus the lowest ECE of the paper's "
        "seven other variants (paired, the minimum taken per replicate). AS+TS is best or tied at "
        "a step unless that interval lies above 0. Statistic: mean over steps. Holds if AS+TS is "
        "best or tied at every step; does not hold if it is beaten at more than half of them; "
        "undecided otherwise.",
    ),
    "C4a": (
        "The fitted temperature rises with the step, for every tracker type (Fig. 5b).",
        "Per dataset and tracker (its type named in the scope), for each paper method with at "
        "least 3 steps whose temperature T = 1/tau was identifiable (status 'fitted'): Spearman "
        "rank correlation of T with the step. Statistic: the median over those methods. Holds if "
        "the median is >= 0.8 and no method's correlation is <= 0; does not hold if the median "
        "is <= 0; undecided otherwise (also when no method has 3 identifiable temperatures). No "
        "interval: the temperature is fitted once, on the calibration split.",
    ),
    "C4b": (
        "The fitted temperature tracks the mean squared displacement across datasets "
        "(distance tracker, Fig. 9).",
        "Per distance-type tracker and paper method, pooled over datasets and steps: Spearman rank "
        "correlation of log T with log MSD (mean squared displacement of the calibration split's "
        "true links) over every (dataset, step) cell whose temperature was identifiable and whose "
        "MSD is positive; 95 % interval from 2000 bootstrap resamples of those cells (seed 0). "
        f"Holds if there are at least 6 cells from at least 2 datasets and the interval lies above "
        f"{TRACKS}; does not hold if it lies below {TRACKS}; undecided otherwise. The detail also "
        "gives the part that is not the step: the mean over steps of the rank correlation across "
        "datasets at that step.",
    ),
    "C5": (
        "Entropy-based sparsification needs temperature scaling less than probability-based.",
        "Per dataset and tracker, every method x step cell: gain by TS of the mean sparsification "
        "improvement ranked by 1 - P(i|j), minus the same gain ranked by the entropy H_j "
        "(paired). Statistic: mean over cells. Holds if its interval lies above 0; does not hold "
        "if below 0; undecided otherwise.",
    ),
    "C6": (
        "FP+A and AS gain from sparsification, and for their edge-wise probabilities temperature "
        "scaling is what makes the gain.",
        "Per dataset and tracker, for fpa and for as: (a) mean over steps of the mean "
        "sparsification improvement by 1 - P(i|j) after TS, (b) mean over steps of its gain by TS "
        "(+TS minus raw). Statistic: (b), the smaller of the two methods. Holds if (a) and (b) lie "
        "above 0 for both methods; does not hold if for one of them (a) lies above 0 while (b) "
        "does not exceed 0 (a gain TS did not make), or (a) lies below 0; undecided otherwise.",
    ),
    "C7": (
        "With the transformer, SM and FP are the only non-tempered methods whose calibration "
        "improves as temporal resolution decreases, and their temperature rises least (Sec. 4.1).",
        "Per dataset and transformer-type tracker: raw ECE at the largest minus the smallest step "
        "per paper method, and the temperature's growth log(T_last / T_first) over the first and "
        "last step at which all four methods' temperatures were identifiable. Three parts: (i) "
        "the ECE change of sm and of fp lies below 0; (ii) that of fpa and of as does not (its "
        f"interval lies above -{MARGIN}); (iii) the growth of sm and of fp is below that of fpa and "
        "of as. A part fails if its opposite is shown: (i) an sm/fp interval above "
        f"-{MARGIN}, (ii) an fpa/as interval below 0, (iii) not the two smallest growths. "
        "Statistic: mean ECE change of sm and fp. Holds if all three parts hold; does not hold "
        "if one fails; undecided otherwise (also with fewer than 2 such steps for (iii)).",
    ),
    "C8": (
        "For SM and FP, temperature scaling is crucial to the edge-wise sparsification gain only "
        "with the overlap tracker; with the other trackers it helps less distinctly (Sec. 4.2).",
        "Per dataset and tracker, for sm and for fp (those run): (a) mean over steps of the raw mean "
        "sparsification improvement by 1 - P(i|j), (b) mean over steps of its gain by TS (+TS "
        "minus raw). TS is 'crucial' if (b) lies above 0 while (a) does not reach above "
        f"+{MARGIN} (the gain is there only with TS); 'not crucial' if (b) does not reach above "
        f"+{MARGIN} or (a) lies above 0. Statistic: (b), mean of sm and fp. For overlap-type "
        "trackers: holds if crucial for each method, does not hold if not crucial for one. "
        "For the other trackers: holds if not crucial for each, does not hold if crucial for each. "
        "Undecided otherwise. The detail gives (b) minus the overlap tracker's (b) where the "
        "dataset has one (paired: trackers share the bootstrap draws).",
    ),
    "C9": (
        "Temperature scaling still mostly improves (edge-wise) sparsification (Sec. 4.2).",
        "Per dataset and tracker, every paper method x step cell: the paired gain by TS of the "
        "mean sparsification improvement by 1 - P(i|j) (+TS minus raw) is 'better' if its "
        f"interval lies above +{MARGIN}, 'worse' if below -{MARGIN}, 'decided' if it excludes 0. "
        "Statistic: mean gain over cells. Holds if more than half of the decided cells are "
        "better; does not hold if at most half are; undecided if no cell is decided.",
    ),
    "T1": (
        "Transfer: after temperature scaling the expected number of wrong links is within 25 % "
        "of the true count.",
        "Per dataset, for the +TS variant of every method in the summary: over the cells (step x "
        f"tracker) whose evaluation split holds at least {TRANSFER_MIN_WRONG} wrong judged links "
        "(`n_wrong`), the share of cells with `expected_wrong` (sum over the judged links of 1 - "
        f"confidence) / `n_wrong` within [{TRANSFER_BAND[0]}, {TRANSFER_BAND[1]}]. Statistic: the "
        "highest share, and its method is named. Holds if that share is above 1/2; does not hold "
        "if it is at most 1/2; undecided with fewer than 3 such cells for every method. The "
        "detail adds `caught_wrong` (share of the wrong links among the least confident budget "
        "fraction of links, +TS) of the named method, mean over its cells.",
    ),
}


@dataclass(frozen=True)
class Interval:
    value: float
    lo: float
    hi: float

    @classmethod
    def of(cls, value: float, replicates: np.ndarray) -> Interval:
        ok = np.asarray(replicates, dtype=float)
        ok = ok[np.isfinite(ok)]
        if len(ok) == 0 or not np.isfinite(value):
            return cls(float(value), np.nan, np.nan)
        alpha = (1 - LEVEL) / 2
        return cls(float(value), float(np.quantile(ok, alpha)), float(np.quantile(ok, 1 - alpha)))

    @property
    def above(self) -> bool:
        """The interval lies above ``MARGIN``."""
        return self.lo > MARGIN

    @property
    def below(self) -> bool:
        """The interval lies below ``-MARGIN``."""
        return self.hi < -MARGIN

    def text(self, digits: int = 3) -> str:
        if not np.isfinite(self.value):
            return "n/a"
        if not np.isfinite(self.lo):
            return f"{self.value:.{digits}f}"
        return f"{self.value:.{digits}f} [{self.lo:.{digits}f}, {self.hi:.{digits}f}]"


class _Cell:
    """Values and replicates of one dataset x tracker, looked up by method, ts, step."""

    def __init__(self, summary: xr.Dataset, boot: xr.Dataset, dataset: str, tracker: str, kind: str | None = None):
        where = {"dataset": dataset, "tracker": tracker}
        self.dataset, self.tracker, self.kind = dataset, tracker, kind
        self.s = summary.sel(where)
        self.b = boot.sel(where) if len(boot.data_vars) else None
        self.methods = [m for m in PAPER_METHODS if m in self.s["uq"].values]
        ece = self.s["ece"].sel(uq=self.methods)
        self.steps = [int(st) for st in self.s["step"].values if np.isfinite(ece.sel(step=st)).any()]
        self._pairs: dict[tuple, tuple[float, np.ndarray]] = {}

    def value(self, name: str, method: str, ts: str, step: int) -> float:
        var = self.s[name]
        where = {"uq": method, "ts": ts, "step": step}
        return float(var.sel({k: v for k, v in where.items() if k in var.dims}))

    def boot(self, name: str, method: str, ts: str, step: int) -> np.ndarray:
        if self.b is None or f"boot_{name}" not in self.b:
            return np.full(0, np.nan)
        return self.b[f"boot_{name}"].sel(uq=method, ts=ts, step=step).to_numpy()

    def pair(self, name: str, method: str, ts: str, step: int) -> tuple[float, np.ndarray]:
        key = (name, method, ts, step)
        if key not in self._pairs:  # the findings look up the same cells again and again
            self._pairs[key] = self.value(name, method, ts, step), self.boot(name, method, ts, step)
        return self._pairs[key]

    def temperatures(self, method: str) -> dict[int, float]:
        """Identifiable (status 'fitted') temperatures of ``method`` by step."""
        if "temperature" not in self.s or "ts_status" not in self.s:
            return {}
        out = {}
        for st in self.steps:
            temp = self.value("temperature", method, "", st)
            if self.value("ts_status", method, "", st) == STATUSES.index("fitted") and np.isfinite(temp):
                out[st] = temp
        return out


NAN = Interval(np.nan, np.nan, np.nan)


def _mean(items: Sequence[tuple[float, np.ndarray]]) -> Interval:
    """Mean of values; its replicates are the mean of the replicate vectors."""
    if not items:
        return NAN
    value = float(np.mean([v for v, _ in items]))
    boots = [b for _, b in items]
    n = min(len(b) for b in boots)
    return Interval.of(value, np.mean([b[:n] for b in boots], axis=0) if n else np.array([]))


def _diff(a: tuple[float, np.ndarray], b: tuple[float, np.ndarray]) -> tuple[float, np.ndarray]:
    n = min(len(a[1]), len(b[1]))
    return a[0] - b[0], a[1][:n] - b[1][:n]


def _excludes_zero(iv: Interval) -> bool:
    return bool(iv.lo > 0 or iv.hi < 0)


def _rise(c: _Cell, method: str) -> tuple[float, np.ndarray]:
    """Raw ECE at the largest step minus at the smallest, paired replicates."""
    small, large = c.steps[0], c.steps[-1]
    return _diff(c.pair("ece", method, "raw", large), c.pair("ece", method, "raw", small))


def _c1(c: _Cell) -> tuple[Interval, str, str]:
    if len(c.steps) < 2:
        return NAN, UNDECIDED, "fewer than two steps"
    # the paper excepts SM and FP with the transformer (checked as C1x)
    methods = [m for m in c.methods if not (c.kind == TRANSFORMER and m in ("sm", "fp"))]
    if not methods:
        return NAN, UNDECIDED, "no method"
    small, large = c.steps[0], c.steps[-1]
    rise = _mean([_rise(c, m) for m in methods])
    over = _mean([
        _diff(c.pair("mean_confidence", m, "raw", large), c.pair("accuracy", m, "raw", large))
        for m in methods
    ])
    if rise.above and over.above:
        verdict = HOLDS
    elif rise.below or over.below:
        verdict = FAILS
    else:
        verdict = UNDECIDED
    return rise, verdict, (f"{', '.join(methods)}; steps {small} -> {large}; overconfidence at step "
                           f"{large}: {over.text()}")


def _c1x(c: _Cell) -> tuple[Interval, str, str]:
    methods = [m for m in ("sm", "fp") if m in c.methods]
    if len(c.steps) < 2 or not methods:
        return NAN, UNDECIDED, "fewer than two steps" if methods else "sm and fp not run"
    rises = {m: Interval.of(*_rise(c, m)) for m in methods}
    if any(iv.above for iv in rises.values()):
        verdict = FAILS
    elif all(iv.hi <= MARGIN for iv in rises.values()):
        verdict = HOLDS
    else:
        verdict = UNDECIDED
    largest = max(rises.values(), key=lambda iv: iv.value if np.isfinite(iv.value) else -np.inf)
    detail = f"steps {c.steps[0]} -> {c.steps[-1]}; " + "; ".join(f"{m}: {iv.text()}" for m, iv in rises.items())
    return largest, verdict, detail


def _tally(c: _Cell, name: str, sign: int) -> tuple[list, dict[str, int]]:
    """Paired +TS minus raw differences of ``name`` per method x step cell, tallied.

    ``sign`` = -1: a lower value is better (ECE); +1: a higher one (sparsification gain).
    """
    diffs, outcome = [], {"better": 0, "worse": 0, "decided": 0}
    for m in c.methods:
        for st in c.steps:
            d = _diff(c.pair(name, m, "ts", st), c.pair(name, m, "raw", st))
            if not np.isfinite(d[0]):
                continue
            diffs.append(d)
            iv = Interval.of(*d)
            good, bad = (iv.below, iv.above) if sign < 0 else (iv.above, iv.below)
            outcome["better"] += good
            outcome["worse"] += bad
            outcome["decided"] += _excludes_zero(iv)
    return diffs, outcome


def _tally_text(o: dict[str, int], n: int) -> str:
    return (f"{o['better']} better, {o['worse']} worse, {o['decided']} decided (interval excludes 0) "
            f"of {n} cells")


def _c2(c: _Cell) -> tuple[Interval, str, str]:
    diffs, o = _tally(c, "ece", -1)
    n = len(diffs)
    if n == 0:
        return NAN, UNDECIDED, "no cell"
    if o["better"] > o["decided"] / 2 and o["worse"] <= 0.1 * n:
        verdict = HOLDS
    elif o["worse"] > 0.1 * n or (o["decided"] and o["better"] <= o["decided"] / 2):
        verdict = FAILS
    else:
        verdict = UNDECIDED
    return _mean(diffs), verdict, _tally_text(o, n)


def _c3_steps(c: _Cell):
    """Per step: (step, AS+TS's pair, [(variant, its pair)]) for the steps AS+TS has an ECE."""
    others = [(m, ts) for m in c.methods for ts in ("raw", "ts") if (m, ts) != ("as", "ts")]
    for st in c.steps:
        mine = c.pair("ece", "as", "ts", st)
        vals = [((m, ts), c.pair("ece", m, ts, st)) for m, ts in others]
        ok = [(k, v) for k, v in vals if np.isfinite(v[0])]
        if np.isfinite(mine[0]) and ok:
            yield st, mine, ok


def _name(variant: tuple[str, str]) -> str:
    return variant[0] + ("+TS" if variant[1] == "ts" else "")


def _c3(c: _Cell) -> tuple[Interval, str, str]:
    if "as" not in c.methods:
        return NAN, UNDECIDED, "as not run"
    ranks, notes = {}, []
    for st, mine, ok in _c3_steps(c):
        lower = [k for k, v in ok if Interval.of(*_diff(mine, v)).above]  # clearly lower ECE than AS+TS
        ranks[st] = 1 + len(lower)
        if ranks[st] > 2:
            notes.append(f"step {st}: {', '.join(map(_name, lower))} lower")
    if not ranks:
        return NAN, UNDECIDED, "no step"
    low = sum(r > 2 for r in ranks.values())
    verdict = HOLDS if low == 0 else FAILS if low > len(ranks) / 2 else UNDECIDED
    detail = "rank of AS+TS (of 8, ties shared) per step: " + ", ".join(f"{st}: {r}" for st, r in ranks.items())
    if notes:
        detail += f" ({'; '.join(notes)})"
    return Interval(float(max(ranks.values())), np.nan, np.nan), verdict, detail


def _c3s(c: _Cell) -> tuple[Interval, str, str]:
    if "as" not in c.methods:
        return NAN, UNDECIDED, "as not run"
    per_step, beaten, notes = [], 0, []
    for st, mine, ok in _c3_steps(c):
        n = min(len(v[1]) for _, v in ok + [(None, mine)])
        best_value = min(v[0] for _, v in ok)
        best_boot = np.min([v[1][:n] for _, v in ok], axis=0) if n else np.array([])
        d = _diff(mine, (best_value, best_boot))
        per_step.append(d)
        if Interval.of(*d).above:
            beaten += 1
            best = min(ok, key=lambda kv: kv[1][0])[0]
            notes.append(f"step {st}: {_name(best)} better")
    if not per_step:
        return NAN, UNDECIDED, "no step"
    if beaten == 0:
        verdict = HOLDS
    elif beaten > len(per_step) / 2:
        verdict = FAILS
    else:
        verdict = UNDECIDED
    detail = f"beaten at {beaten} of {len(per_step)} steps" + (f" ({'; '.join(notes)})" if notes else "")
    return _mean(per_step), verdict, detail


def _spearman(x, y) -> float:
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return np.nan
    return float(stats.spearmanr(x, y).statistic)


def _spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's rho of each row pair of ``x`` and ``y`` (NaN where a row is constant)."""
    rx, ry = (stats.rankdata(v, axis=1) for v in (x, y))
    rx, ry = rx - rx.mean(axis=1, keepdims=True), ry - ry.mean(axis=1, keepdims=True)
    den = np.sqrt((rx**2).sum(axis=1) * (ry**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (rx * ry).sum(axis=1) / np.where(den > 0, den, 1), np.nan)


def _c4a(c: _Cell) -> tuple[Interval, str, str]:
    rhos, parts = {}, []
    for m in c.methods:
        temps = c.temperatures(m)
        if len(temps) < 3:
            parts.append(f"{m}: {len(temps)} identifiable")
            continue
        rho = _spearman(list(temps), list(temps.values()))
        rho = 0.0 if np.isnan(rho) else rho  # a constant temperature does not rise
        rhos[m] = rho
        parts.append(f"{m}: rho {rho:.2f} (T = {', '.join(f'{t:.3g}' for t in temps.values())} "
                     f"at steps {', '.join(map(str, temps))})")
    if not rhos:
        return NAN, UNDECIDED, "; ".join(parts)
    median = float(np.median(list(rhos.values())))
    # scipy's 0.8 can be 0.7999999999999999
    if median >= 0.8 - 1e-9 and min(rhos.values()) > 0:
        verdict = HOLDS
    elif median <= 0:
        verdict = FAILS
    else:
        verdict = UNDECIDED
    return Interval(median, np.nan, np.nan), verdict, "; ".join(parts)


def _c4b(summary: xr.Dataset, tracker: str, method: str, n_boot: int = 2000) -> tuple[Interval, str, str]:
    if not {"temperature", "ts_status", "msd"} <= set(summary.data_vars):
        return NAN, UNDECIDED, "no temperature or MSD in the summary"
    s = summary.sel(tracker=tracker, uq=method)
    status, temp, msd = (s[v].transpose("dataset", "step").to_numpy() for v in ("ts_status", "temperature", "msd"))
    ok = (status == STATUSES.index("fitted")) & np.isfinite(temp) & (temp > 0) & np.isfinite(msd) & (msd > 0)
    d_idx, s_idx = np.nonzero(ok)
    logt, logm = np.log(temp[ok]), np.log(msd[ok])
    n, n_data = int(ok.sum()), len(set(d_idx))
    rho = _spearman(logm, logt)
    if n < 3 or not np.isfinite(rho):
        return NAN, UNDECIDED, f"{n} cells"
    rng = np.random.default_rng(0)
    idx = rng.integers(0, n, size=(n_boot, n))
    reps = _spearman_rows(logm[idx], logt[idx])
    iv = Interval.of(rho, reps)
    within = [_spearman(logm[s_idx == k], logt[s_idx == k]) for k in np.unique(s_idx) if (s_idx == k).sum() >= 3]
    within = [w for w in within if np.isfinite(w)]
    if n >= 6 and n_data >= 2 and iv.lo > TRACKS:
        verdict = HOLDS
    elif iv.hi < TRACKS:
        verdict = FAILS
    else:
        verdict = UNDECIDED
    detail = f"{n} cells from {n_data} datasets"
    detail += (f"; across datasets at one step: mean rho {np.mean(within):.2f} over {len(within)} steps"
               if within else "; no step with 3 datasets")
    return iv, verdict, detail


def _c7(c: _Cell) -> tuple[Interval, str, str]:
    if set(c.methods) != set(PAPER_METHODS) or len(c.steps) < 2:
        return NAN, UNDECIDED, "needs all four paper methods at two steps"
    rises = {m: Interval.of(*_rise(c, m)) for m in PAPER_METHODS}
    i = (True if all(rises[m].below for m in ("sm", "fp"))
         else False if any(rises[m].lo > -MARGIN for m in ("sm", "fp")) else None)
    ii = (False if any(rises[m].below for m in ("fpa", "as"))
          else True if all(rises[m].lo > -MARGIN for m in ("fpa", "as")) else None)
    temps = {m: c.temperatures(m) for m in PAPER_METHODS}
    common = sorted(set.intersection(*(set(t) for t in temps.values())))
    iii, growth = None, {}
    if len(common) >= 2:
        growth = {m: float(np.log(temps[m][common[-1]] / temps[m][common[0]])) for m in PAPER_METHODS}
        iii = max(growth["sm"], growth["fp"]) < min(growth["fpa"], growth["as"])
    parts = (i, ii, iii)
    verdict = FAILS if False in parts else HOLDS if all(p is True for p in parts) else UNDECIDED
    word = {True: "yes", False: "no", None: "?"}
    detail = (f"ECE change steps {c.steps[0]} -> {c.steps[-1]}: "
              + ", ".join(f"{m} {rises[m].text()}" for m in PAPER_METHODS)
              + (f"; log T growth steps {common[0]} -> {common[-1]}: "
                 + ", ".join(f"{m} {g:.2f}" for m, g in growth.items()) if growth
                 else "; temperatures identifiable at fewer than 2 common steps")
              + f"; (i) {word[i]}, (ii) {word[ii]}, (iii) {word[iii]}")
    statistic = _mean([_rise(c, m) for m in ("sm", "fp")])
    return statistic, verdict, detail


def _ts_gain(c: _Cell, method: str) -> tuple[Interval, tuple[float, np.ndarray]]:
    """(raw sparsification gain, its gain by TS as a paired pair), both means over steps."""
    steps = [st for st in c.steps if np.isfinite(c.value("mean_improvement_p", method, "ts", st))]
    raw = _mean([c.pair("mean_improvement_p", method, "raw", st) for st in steps])
    by_ts = [_diff(c.pair("mean_improvement_p", method, "ts", st), c.pair("mean_improvement_p", method, "raw", st))
             for st in steps]
    if not by_ts:
        return raw, (np.nan, np.full(0, np.nan))
    n = min(len(b) for _, b in by_ts)
    return raw, (float(np.mean([v for v, _ in by_ts])),
                 np.mean([b[:n] for _, b in by_ts], axis=0) if n else np.array([]))


def _c8(c: _Cell, overlap: _Cell | None) -> tuple[Interval, str, str]:
    methods = [m for m in ("sm", "fp") if m in c.methods]
    if not methods:
        return NAN, UNDECIDED, "neither sm nor fp run"
    crucial, parts, gains = {}, [], []
    for m in methods:
        raw, g = _ts_gain(c, m)
        giv = Interval.of(*g)
        gains.append(g)
        crucial[m] = (True if giv.above and raw.hi <= MARGIN
                      else False if giv.hi <= MARGIN or raw.above else None)
        part = f"{m}: raw {raw.text()}, by TS {giv.text()}"
        if overlap is not None and overlap is not c and m in overlap.methods:
            part += f", by TS minus overlap's {Interval.of(*_diff(g, _ts_gain(overlap, m)[1])).text()}"
        word = {True: "crucial", False: "not crucial", None: "?"}[crucial[m]]
        parts.append(f"{part} ({word})")
    flags = list(crucial.values())
    want = c.kind == "overlap"  # crucial only with the overlap tracker
    if all(f is want for f in flags):
        verdict = HOLDS
    elif (want and False in flags) or (not want and all(f is True for f in flags)):
        verdict = FAILS
    else:
        verdict = UNDECIDED
    return _mean(gains), verdict, "; ".join(parts)


def _c9(c: _Cell) -> tuple[Interval, str, str]:
    diffs, o = _tally(c, "mean_improvement_p", +1)
    n = len(diffs)
    if o["decided"] == 0:
        return _mean(diffs), UNDECIDED, _tally_text(o, n) if n else "no cell"
    verdict = HOLDS if o["better"] > o["decided"] / 2 else FAILS
    return _mean(diffs), verdict, _tally_text(o, n)


def _t1(summary: xr.Dataset, dataset: str) -> tuple[Interval, str, str, str]:
    """(statistic, verdict, detail, scope) of the transfer line for one dataset."""
    if not {"expected_wrong", "n_wrong"} <= set(summary.data_vars):
        return NAN, NOT_MEASURED, "the summary has no expected_wrong / n_wrong", "+TS per method"
    s = summary.sel(dataset=dataset)
    shares, parts = {}, []
    for m in (str(u) for u in s["uq"].values):
        n_wrong = s["n_wrong"].sel(uq=m).transpose("step", "tracker").to_numpy()
        expected = s["expected_wrong"].sel(uq=m, ts="ts").transpose("step", "tracker").to_numpy()
        judged = np.isfinite(n_wrong) & (n_wrong >= TRANSFER_MIN_WRONG) & np.isfinite(expected)
        if not judged.any():
            parts.append(f"{m}: no cell")
            continue
        ratio = expected[judged] / n_wrong[judged]
        within = (ratio >= TRANSFER_BAND[0]) & (ratio <= TRANSFER_BAND[1])
        shares[m] = (float(within.mean()), int(judged.sum()), judged)
        parts.append(f"{m}: {int(within.sum())}/{int(judged.sum())} (median ratio {np.median(ratio):.2f})")
    enough = {m: v for m, v in shares.items() if v[1] >= 3}
    if not enough:
        return NAN, UNDECIDED, "; ".join(parts) + f"; fewer than 3 cells with >= {TRANSFER_MIN_WRONG} wrong links", "+TS per method"
    best = max(enough, key=lambda m: (enough[m][0], enough[m][1]))
    share, _, judged = enough[best]
    detail = "within band: " + "; ".join(parts)
    if "caught_wrong" in s:
        caught = s["caught_wrong"].sel(uq=best, ts="ts").transpose("step", "tracker", "budget").to_numpy()[judged]
        detail += "; caught_wrong of " + best + ": " + ", ".join(
            f"{b:g}: {v:.2f}" for b, v in zip(s["budget"].values, np.nanmean(caught, axis=0), strict=True))
    return Interval(share, np.nan, np.nan), HOLDS if share > 0.5 else FAILS, detail, f"+TS, best: {best}"


def _c5(c: _Cell) -> tuple[Interval, str, str]:
    items = []
    for m in c.methods:
        for st in c.steps:
            gain_p = _diff(c.pair("mean_improvement_p", m, "ts", st), c.pair("mean_improvement_p", m, "raw", st))
            gain_h = _diff(
                c.pair("mean_improvement_entropy", m, "ts", st),
                c.pair("mean_improvement_entropy", m, "raw", st),
            )
            d = _diff(gain_p, gain_h)
            if np.isfinite(d[0]):
                items.append(d)
    iv = _mean(items)
    verdict = HOLDS if iv.above else FAILS if iv.below else UNDECIDED
    return iv, verdict, f"{len(items)} cells"


def _c6(c: _Cell) -> tuple[Interval, str, str]:
    parts, verdicts, gains = [], [], []
    for m in ("fpa", "as"):
        if m not in c.methods:
            return Interval(np.nan, np.nan, np.nan), UNDECIDED, f"{m} not run"
        a = _mean([c.pair("mean_improvement_p", m, "ts", st) for st in c.steps
                   if np.isfinite(c.value("mean_improvement_p", m, "ts", st))])
        b = _mean([
            _diff(c.pair("mean_improvement_p", m, "ts", st), c.pair("mean_improvement_p", m, "raw", st))
            for st in c.steps if np.isfinite(c.value("mean_improvement_p", m, "ts", st))
        ])
        gains.append(b)
        parts.append(f"{m}: gain {a.text()}, by TS {b.text()}")
        if a.above and b.above:
            verdicts.append(HOLDS)
        elif (a.above and not b.hi > MARGIN) or a.below:
            verdicts.append(FAILS)
        else:
            verdicts.append(UNDECIDED)
    verdict = HOLDS if all(v == HOLDS for v in verdicts) else FAILS if FAILS in verdicts else UNDECIDED
    smaller = min(gains, key=lambda iv: iv.value if np.isfinite(iv.value) else np.inf)
    return smaller, verdict, "; ".join(parts)


def _sm_fp(c: _Cell) -> str:
    return ", ".join(m for m in ("sm", "fp") if m in c.methods) or "sm, fp"


def check(summary: xr.Dataset, boot: xr.Dataset, tracker_types: Mapping[str, str]) -> pd.DataFrame:
    """Every finding per dataset and tracker (C4b per distance-type tracker and method, pooled
    over datasets; T1 per dataset).

    Returns
    -------
    DataFrame
        ``claim, dataset, tracker, scope, value, lo, hi, verdict, detail``, in the order of
        :data:`DEFINITIONS`.
    """
    rows = []

    def add(claim, dataset, tracker, scope, result):
        iv, verdict, detail = result
        rows.append(dict(claim=claim, dataset=dataset, tracker=tracker, scope=scope,
                         value=iv.value, lo=iv.lo, hi=iv.hi, verdict=verdict, detail=detail))

    trackers = [str(t) for t in summary["tracker"].values]
    for dataset in (str(d) for d in summary["dataset"].values):
        cells = {t: _Cell(summary, boot, dataset, t, tracker_types.get(t)) for t in trackers}
        overlap = next((c for c in cells.values() if c.kind == "overlap"), None)
        for t, c in cells.items():
            add("C1", dataset, t, "paper methods" + (" except sm, fp" if c.kind == TRANSFORMER else ""), _c1(c))
            if c.kind == TRANSFORMER:
                add("C1x", dataset, t, _sm_fp(c), _c1x(c))
            add("C2", dataset, t, "paper methods", _c2(c))
            add("C3", dataset, t, "paper methods", _c3(c))
            add("C3s", dataset, t, "paper methods", _c3s(c))
            add("C4a", dataset, t, f"{c.kind} type", _c4a(c))
            add("C5", dataset, t, "paper methods", _c5(c))
            add("C6", dataset, t, "paper methods", _c6(c))
            if c.kind == TRANSFORMER:
                add("C7", dataset, t, "paper methods", _c7(c))
            add("C8", dataset, t, f"{_sm_fp(c)}; {c.kind} type", _c8(c, overlap))
            add("C9", dataset, t, "paper methods", _c9(c))
        iv, verdict, detail, scope = _t1(summary, dataset)
        add("T1", dataset, "all", scope, (iv, verdict, detail))
    for t in trackers:
        if tracker_types.get(t) == "distance":
            for m in (m for m in PAPER_METHODS if m in summary["uq"].values):
                add("C4b", "pooled", t, m, _c4b(summary, t, m))
    table = pd.DataFrame(rows, columns=["claim", "dataset", "tracker", "scope", "value", "lo", "hi",
                                        "verdict", "detail"])
    order = {k: i for i, k in enumerate(DEFINITIONS)}
    return table.sort_values("claim", key=lambda col: col.map(order), kind="stable", ignore_index=True)


def across_datasets(summary: xr.Dataset) -> pd.DataFrame:
    """ECE per tracker, method, variant and step: mean and standard error over datasets."""
    ece = summary["ece"].to_dataframe().reset_index().dropna(subset=["ece"])
    grouped = ece.groupby(["tracker", "uq", "ts", "step"], sort=False)["ece"]
    out = grouped.agg(["mean", "sem", "count"]).reset_index()
    return out.rename(columns={"mean": "ece_mean", "sem": "ece_se", "count": "datasets"})


def markdown(table: pd.DataFrame, across: pd.DataFrame, context: Mapping[str, str]) -> str:
    """``claims.md``: definitions, verdicts, and ECE across datasets."""
    lines = ["# The paper's findings, checked on this run", ""]
    lines += [f"- {k}: {v}" for k, v in context.items()]
    lines += ["", "Intervals: 95 % bootstrap over evaluation frame pairs (paired where the "
              f"variants share frame pairs). 'Above 0' and 'below 0' mean the whole interval lies "
              f"beyond +{MARGIN} or -{MARGIN}: smaller differences count as none; an interval that "
              "'excludes 0' (C2, C9) does so without that margin.", ""]
    counts = table["verdict"].value_counts()
    shown = (HOLDS, FAILS, UNDECIDED) + ((NOT_MEASURED,) if counts.get(NOT_MEASURED, 0) else ())
    lines += ["Verdicts: " + ", ".join(f"{counts.get(v, 0)} {v}" for v in shown), ""]
    for claim, (finding, definition) in DEFINITIONS.items():
        rows = table[table["claim"] == claim]
        lines += [f"## {claim}: {finding}", "", f"*Operational definition.* {definition}", ""]
        if rows.empty:
            lines += ["Not checked in this run (no grid cell it applies to).", ""]
            continue
        lines += ["| dataset | tracker | scope | statistic [95 % CI] | verdict | detail |",
                  "|---|---|---|---|---|---|"]
        for r in rows.itertuples():
            iv = Interval(r.value, r.lo, r.hi)
            lines.append(f"| {r.dataset} | {r.tracker} | {r.scope} | {iv.text()} | **{r.verdict}** | {r.detail} |")
        lines.append("")
    lines += ["## ECE across datasets (mean ± standard error, as in the paper's Fig. 5a)", ""]
    steps = sorted(across["step"].unique())
    lines += ["| tracker | method | variant | " + " | ".join(f"step {s}" for s in steps) + " |",
              "|---|---|---|" + "---|" * len(steps)]
    for (tracker, method, ts), g in across.groupby(["tracker", "uq", "ts"], sort=False):
        by_step = g.set_index("step")
        cells = []
        for s in steps:
            if s in by_step.index:
                r = by_step.loc[s]
                se = f" ± {r.ece_se:.3f}" if np.isfinite(r.ece_se) else ""
                cells.append(f"{r.ece_mean:.3f}{se} (n={int(r.datasets)})")
            else:
                cells.append("")
        lines.append(f"| {tracker} | {method} | {'+TS' if ts == 'ts' else 'raw'} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
