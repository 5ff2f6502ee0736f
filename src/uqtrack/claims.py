"""The paper's findings (Sec. 4), checked on our own summary.

Each finding is turned into a statistic with a 95 % bootstrap interval over the
evaluation's frame pairs (:mod:`uqtrack.evaluation`) and a verdict: ``holds``,
``does not hold`` or ``undecided``. Methods and variants of one dataset and step
share their bootstrap draws, so differences between them are paired; different
steps are independent samples, and a statistic that averages over steps averages
the replicate vectors. The definitions below are the operational reading of each
finding; they are written into ``claims.md`` beside the verdicts.

Only the paper's methods (:data:`PAPER_METHODS`) enter the checks; ``asf`` is ours.
"Above 0" and "below 0" always mean beyond :data:`MARGIN`.
"""

from __future__ import annotations

import html
import re
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

DEFINITIONS = {
    "C1": (
        "Raw methods are overconfident and their ECE rises as temporal resolution falls.",
        "Per dataset and tracker, raw probabilities of the paper's methods. Statistic: mean over "
        "methods of ECE at the largest step minus ECE at the smallest step. Holds if its interval "
        "lies above 0 and so does the overconfidence at the largest step (mean confidence minus "
        "accuracy of the judged links, mean over methods); does not hold if either interval lies "
        "below 0; undecided otherwise.",
    ),
    "C2": (
        "Temperature scaling almost always improves ECE.",
        "Per dataset and tracker, every method x step cell: the paired difference ECE(+TS) - "
        "ECE(raw) is 'better' if its interval lies below 0, 'worse' if above 0, 'same' otherwise. "
        "Statistic: mean difference over cells. Holds if at most 10 % of cells are worse and more "
        "are better than worse; does not hold if more are worse than better; undecided otherwise.",
    ),
    "C3": (
        "AS+TS is the best calibrated across trackers and steps.",
        "Per dataset and tracker, at each step: ECE of AS+TS minus the lowest ECE of the paper's "
        "seven other variants (paired, the minimum taken per replicate). AS+TS is best or tied at "
        "a step unless that interval lies above 0. Statistic: mean over steps. Holds if AS+TS is "
        "best or tied at every step; does not hold if it is beaten at more than half of them; "
        "undecided otherwise.",
    ),
    "C4": (
        "The fitted temperature rises with the step and tracks the mean squared displacement "
        "(distance tracker).",
        "Per dataset, distance-type tracker and method, over the steps whose temperature T = 1/tau "
        "was identifiable: Spearman rank correlation of T with the step, and Pearson correlation "
        "of log T with log MSD (mean squared displacement of the calibration split's true links). "
        "Holds if there are at least 3 such steps and both correlations are >= 0.8; does not hold "
        "if the rank correlation is <= 0; undecided otherwise. No interval: the temperature is "
        "fitted once, on the calibration split.",
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

    def __init__(self, summary: xr.Dataset, boot: xr.Dataset, dataset: str, tracker: str):
        where = {"dataset": dataset, "tracker": tracker}
        self.s = summary.sel(where)
        self.b = boot.sel(where) if len(boot.data_vars) else None
        self.methods = [m for m in PAPER_METHODS if m in self.s["uq"].values]
        ece = self.s["ece"].sel(uq=self.methods)
        self.steps = [int(st) for st in self.s["step"].values if np.isfinite(ece.sel(step=st)).any()]

    def value(self, name: str, method: str, ts: str, step: int) -> float:
        var = self.s[name]
        where = {"uq": method, "ts": ts, "step": step}
        return float(var.sel({k: v for k, v in where.items() if k in var.dims}))

    def boot(self, name: str, method: str, ts: str, step: int) -> np.ndarray:
        if self.b is None or f"boot_{name}" not in self.b:
            return np.full(0, np.nan)
        return self.b[f"boot_{name}"].sel(uq=method, ts=ts, step=step).to_numpy()

    def pair(self, name: str, method: str, ts: str, step: int) -> tuple[float, np.ndarray]:
        return self.value(name, method, ts, step), self.boot(name, method, ts, step)


def _mean(items: Sequence[tuple[float, np.ndarray]]) -> Interval:
    """Mean of values; its replicates are the mean of the replicate vectors."""
    if not items:
        return Interval(np.nan, np.nan, np.nan)
    value = float(np.mean([v for v, _ in items]))
    boots = [b for _, b in items]
    n = min(len(b) for b in boots)
    return Interval.of(value, np.mean([b[:n] for b in boots], axis=0) if n else np.array([]))


def _diff(a: tuple[float, np.ndarray], b: tuple[float, np.ndarray]) -> tuple[float, np.ndarray]:
    n = min(len(a[1]), len(b[1]))
    return a[0] - b[0], a[1][:n] - b[1][:n]


def _c1(c: _Cell) -> tuple[Interval, str, str]:
    if len(c.steps) < 2:
        return Interval(np.nan, np.nan, np.nan), UNDECIDED, "fewer than two steps"
    small, large = c.steps[0], c.steps[-1]
    rise = _mean([_diff(c.pair("ece", m, "raw", large), c.pair("ece", m, "raw", small)) for m in c.methods])
    over = _mean([
        _diff(c.pair("mean_confidence", m, "raw", large), c.pair("accuracy", m, "raw", large))
        for m in c.methods
    ])
    if rise.above and over.above:
        verdict = HOLDS
    elif rise.below or over.below:
        verdict = FAILS
    else:
        verdict = UNDECIDED
    return rise, verdict, f"steps {small} -> {large}; overconfidence at step {large}: {over.text()}"


def _c2(c: _Cell) -> tuple[Interval, str, str]:
    diffs, outcome = [], {"better": 0, "same": 0, "worse": 0}
    for m in c.methods:
        for st in c.steps:
            d = _diff(c.pair("ece", m, "ts", st), c.pair("ece", m, "raw", st))
            if not np.isfinite(d[0]):
                continue
            diffs.append(d)
            iv = Interval.of(*d)
            outcome["better" if iv.below else "worse" if iv.above else "same"] += 1
    n = sum(outcome.values())
    if n == 0:
        return Interval(np.nan, np.nan, np.nan), UNDECIDED, "no cell"
    if outcome["worse"] <= 0.1 * n and outcome["better"] > outcome["worse"]:
        verdict = HOLDS
    elif outcome["worse"] > outcome["better"]:
        verdict = FAILS
    else:
        verdict = UNDECIDED
    detail = f"{outcome['better']} better, {outcome['same']} same, {outcome['worse']} worse of {n} cells"
    return _mean(diffs), verdict, detail


def _c3(c: _Cell) -> tuple[Interval, str, str]:
    if "as" not in c.methods:
        return Interval(np.nan, np.nan, np.nan), UNDECIDED, "as not run"
    others = [(m, ts) for m in c.methods for ts in ("raw", "ts") if (m, ts) != ("as", "ts")]
    per_step, beaten, notes = [], 0, []
    for st in c.steps:
        mine = c.pair("ece", "as", "ts", st)
        vals = [c.pair("ece", m, ts, st) for m, ts in others]
        ok = [v for v in vals if np.isfinite(v[0])]
        if not np.isfinite(mine[0]) or not ok:
            continue
        n = min(len(v[1]) for v in ok + [mine])
        best_value = min(v[0] for v in ok)
        best_boot = np.min([v[1][:n] for v in ok], axis=0) if n else np.array([])
        d = _diff(mine, (best_value, best_boot))
        per_step.append(d)
        if Interval.of(*d).above:
            beaten += 1
            m, ts = others[int(np.argmin([v[0] if np.isfinite(v[0]) else np.inf for v in vals]))]
            notes.append(f"step {st}: {m}{'+TS' if ts == 'ts' else ''} better")
    if not per_step:
        return Interval(np.nan, np.nan, np.nan), UNDECIDED, "no step"
    if beaten == 0:
        verdict = HOLDS
    elif beaten > len(per_step) / 2:
        verdict = FAILS
    else:
        verdict = UNDECIDED
    detail = f"beaten at {beaten} of {len(per_step)} steps" + (f" ({'; '.join(notes)})" if notes else "")
    return _mean(per_step), verdict, detail


def _c4(c: _Cell, method: str) -> tuple[Interval, str, str]:
    rows = []
    for st in c.steps:
        status = c.value("ts_status", method, "", st)
        temp = c.value("temperature", method, "", st)
        msd = c.value("msd", method, "", st)
        if status == STATUSES.index("fitted") and np.isfinite(temp):
            rows.append((st, temp, msd))
    if len(rows) < 3:
        return Interval(np.nan, np.nan, np.nan), UNDECIDED, f"{len(rows)} identifiable temperatures"
    steps_, temps, msds = map(np.array, zip(*rows))
    rho = float(stats.spearmanr(steps_, temps).statistic)
    ok = np.isfinite(msds) & (msds > 0)
    r = float(np.corrcoef(np.log(temps[ok]), np.log(msds[ok]))[0, 1]) if ok.sum() >= 3 else np.nan
    if rho >= 0.8 - 1e-9 and r >= 0.8 - 1e-9:  # scipy's 0.8 can be 0.7999999999999999
        verdict = HOLDS
    elif rho <= 0:
        verdict = FAILS
    else:
        verdict = UNDECIDED
    detail = f"T = {', '.join(f'{t:.3g}' for t in temps)} at steps {', '.join(map(str, steps_))}; r(log T, log MSD) = {r:.2f}"
    return Interval(rho, np.nan, np.nan), verdict, detail


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


def check(summary: xr.Dataset, boot: xr.Dataset, tracker_types: Mapping[str, str]) -> pd.DataFrame:
    """Every finding per dataset and tracker (C4: per distance-type tracker and method).

    Returns
    -------
    DataFrame
        ``claim, dataset, tracker, scope, value, lo, hi, verdict, detail``.
    """
    rows = []
    for dataset in summary["dataset"].values:
        for tracker in summary["tracker"].values:
            c = _Cell(summary, boot, str(dataset), str(tracker))
            checks = {"C1": _c1, "C2": _c2, "C3": _c3, "C5": _c5, "C6": _c6}
            for claim in ("C1", "C2", "C3", "C4", "C5", "C6"):
                if claim == "C4":
                    if tracker_types.get(str(tracker)) != "distance":
                        continue
                    scoped = [(m, _c4(c, m)) for m in c.methods]
                else:
                    scoped = [("paper methods", checks[claim](c))]
                for scope, (iv, verdict, detail) in scoped:
                    rows.append(dict(claim=claim, dataset=str(dataset), tracker=str(tracker), scope=scope,
                                     value=iv.value, lo=iv.lo, hi=iv.hi, verdict=verdict, detail=detail))
    return pd.DataFrame(rows, columns=["claim", "dataset", "tracker", "scope", "value", "lo", "hi",
                                       "verdict", "detail"])


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
              f"beyond +{MARGIN} or -{MARGIN}: smaller differences count as none.", ""]
    counts = table["verdict"].value_counts()
    lines += ["Verdicts: " + ", ".join(f"{counts.get(v, 0)} {v}" for v in (HOLDS, FAILS, UNDECIDED)), ""]
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


def _inline(text: str) -> str:
    text = html.escape(text, quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    text = re.sub(r"\*(.+?)\*", r"<i>\1</i>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def to_html(markdown_text: str) -> str:
    """The subset of Markdown that :func:`markdown` writes, as a standalone HTML page.

    (Snakemake's report shows HTML inline but offers Markdown only as a download.)
    """
    out, table, para = [], [], []

    def flush():
        if table:
            rows = [r for r in table if not set(r.replace("|", "").strip()) <= set("-")]
            cells = [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows]
            head = "".join(f"<th>{_inline(c)}</th>" for c in cells[0])
            body = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in cells[1:])
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
            table.clear()
        if para:
            out.append(f"<p>{_inline(' '.join(para))}</p>")
            para.clear()

    for line in markdown_text.splitlines():
        if line.startswith("|"):
            if para:
                flush()
            table.append(line)
            continue
        flush() if table else None
        if not line.strip():
            flush()
        elif line.startswith("## "):
            flush()
            out.append(f"<h2>{_inline(line[3:])}</h2>")
        elif line.startswith("# "):
            flush()
            out.append(f"<h1>{_inline(line[2:])}</h1>")
        elif line.startswith("- "):
            flush()
            out.append(f"<ul><li>{_inline(line[2:])}</li></ul>")
        else:
            para.append(line)
    flush()
    style = ("body{font-family:sans-serif;max-width:70em;margin:1em auto;font-size:14px}"
             "table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;"
             "vertical-align:top}th{background:#eee}")
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{style}</style></head><body>" + "\n".join(out) + "</body></html>\n"
