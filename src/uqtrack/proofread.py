"""Which links to proofread, and how many errors that finds, from calibrated confidences.

If a link's confidence ``c`` is calibrated, it is wrong with probability ``1 - c``,
so a tracked movie holds ``sum(1 - c)`` wrong links in expectation, and checking the
``n`` least confident links finds the sum over those. Nothing here needs ground
truth; :func:`check` compares the expectation with the true count where there is
one (the calibration claim made useful).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from uqtrack.tables import join_truth

#: Shares of the links, least confident first, whose checking the summary prices.
FRACTIONS = (0.05, 0.10, 0.20)
#: Central probability of the range of the number of wrong links.
LEVEL = 0.95


def checked(n_links: int, fraction: float) -> int:
    """How many links checking ``fraction`` of ``n_links`` means (rounded up)."""
    return min(n_links, math.ceil(fraction * n_links - 1e-9))


def error_count_range(p_wrong: np.ndarray, level: float = LEVEL) -> tuple[int, int]:
    """Central ``level`` range of the number of wrong links.

    The count of independent events of probabilities ``p_wrong`` follows a
    Poisson-binomial distribution; its pmf is built exactly, one link at a time,
    keeping only the support that carries mass above 1e-15.
    """
    pmf = np.ones(1)
    for p in np.asarray(p_wrong, dtype=float):
        if p <= 0:
            continue
        nxt = np.zeros(len(pmf) + 1)
        nxt[:-1] += pmf * (1 - p)
        nxt[1:] += pmf * p
        tail = np.cumsum(nxt[::-1])[::-1]  # mass at or above each count
        pmf = nxt[: int(np.searchsorted(-tail, -1e-15, side="right")) or 1]
    cdf = np.cumsum(pmf) / pmf.sum()
    alpha = (1 - level) / 2
    return int(np.searchsorted(cdf, alpha - 1e-12)), int(np.searchsorted(cdf, 1 - alpha - 1e-12))


def budget(links: pd.DataFrame, fractions: Sequence[float] = FRACTIONS) -> pd.DataFrame:
    """Expected errors caught by checking the least confident links first.

    Parameters
    ----------
    links : DataFrame
        ``rank`` (1 = least confident) and ``confidence`` per predicted link.
    fractions : sequence of float
        Shares of the links to check; 1.0 (all links) is always added.

    Returns
    -------
    DataFrame
        ``share_checked``, ``links_checked``, ``expected_errors_caught`` (sum of
        ``1 - confidence`` over the checked links), ``share_of_expected_errors``.
    """
    wrong = 1 - links.sort_values("rank")["confidence"].to_numpy(float)
    total = float(wrong.sum())
    rows = []
    for q in [*fractions, 1.0]:
        n = checked(len(wrong), q)
        caught = float(wrong[:n].sum())
        rows.append((q, n, caught, caught / total if total > 0 else np.nan))
    return pd.DataFrame(rows, columns=["share_checked", "links_checked", "expected_errors_caught",
                                       "share_of_expected_errors"])


def check(links: pd.DataFrame, truth: pd.DataFrame, fractions: Sequence[float] = FRACTIONS,
          source: str = "links") -> pd.DataFrame:
    """Expected against true wrong links, for all links and each proofreading budget.

    Parameters
    ----------
    links : DataFrame
        ``rank, t, t2, mother, daughter, confidence, confidence_raw`` per predicted link.
    truth : DataFrame
        ``t, t2, daughter, mother``: every daughter's true mother (0 = none).
    fractions : sequence of float
        As in :func:`budget`.

    Returns
    -------
    DataFrame
        Per budget: ``share_checked``, ``links_checked``, ``expected_errors`` (+TS),
        ``expected_lo`` / ``expected_hi`` (the central 95 % range of the count if
        the confidences are calibrated and links err independently),
        ``expected_errors_raw``, ``true_errors`` (among the checked links) and
        ``share_of_true_errors`` (of all wrong links, found by checking these).

    Raises
    ------
    InputError
        A link's daughter has no row in the truth (they come from different data).
    """
    ranked = links.sort_values("rank")
    wrong = ~join_truth(ranked, truth, source)["true"].to_numpy()
    p_wrong = 1 - ranked["confidence"].to_numpy(float)
    p_wrong_raw = 1 - ranked["confidence_raw"].to_numpy(float)
    rows = []
    for q in [*fractions, 1.0]:
        n = checked(len(ranked), q)
        lo, hi = error_count_range(p_wrong[:n])
        rows.append((q, n, float(p_wrong[:n].sum()), lo, hi, float(p_wrong_raw[:n].sum()), int(wrong[:n].sum()),
                     wrong[:n].sum() / wrong.sum() if wrong.any() else np.nan))
    return pd.DataFrame(rows, columns=["share_checked", "links_checked", "expected_errors", "expected_lo",
                                       "expected_hi", "expected_errors_raw", "true_errors",
                                       "share_of_true_errors"])


def _temperature_line(ctx: dict) -> str:
    eps = ctx.get("eps", 0.0)
    floor = f" and floor eps = {eps:.3g} (the rate of confident errors there)" if eps else ""
    line = (f"Temperature scaling: tau = {ctx['tau']:.4g} (T = 1/tau = {1 / ctx['tau']:.4g}){floor}, fitted on the"
            f" calibration split of `{ctx['tau_from']}` at step {ctx['step']}")
    if ctx["tau_status"] != "fitted":
        line += (f"; it could not be fitted there ({ctx['tau_status']}), so the raw probabilities are used"
                 " (tau = 1) and the +TS columns equal the raw ones")
    return line + "."


def summary_markdown(links: pd.DataFrame, table: pd.DataFrame, ctx: dict, top: int = 20) -> str:
    """``proofread.md``: expected wrong links, budgets, and the least confident links."""
    total = float((1 - links["confidence"]).sum())
    total_raw = float((1 - links["confidence_raw"]).sum())
    lo, hi = error_count_range(1 - links["confidence"].to_numpy(float))
    out = [
        f"# Proofreading {ctx['dataset']} / {ctx['seq']}",
        "",
        f"Tracked with `{ctx['tracker']}`, method `{ctx['method']}`, step {ctx['step']}:"
        f" {ctx['cells']} cells in {ctx['frames']} frames, {len(links)} predicted links,"
        f" {ctx['divisions']} divisions, {ctx['appearing']} cells without a mother"
        f" (first frame included), {ctx['tracks']} tracks.",
        _temperature_line(ctx),
        "",
        f"**Expected wrong links: {total:.1f} of {len(links)}** (sum of 1 - confidence; {LEVEL:.0%} range"
        f" {lo}-{hi} if the confidences are calibrated and links err independently). With the raw"
        f" confidences: {total_raw:.1f}.",
        "",
        "## What checking the least confident links finds",
        "",
        "| links checked | number | expected errors found | share of expected errors |",
        "|---|---|---|---|",
    ]
    for r in table.itertuples():
        out.append(f"| {r.share_checked:.0%} | {r.links_checked} | {r.expected_errors_caught:.1f} |"
                   f" {'-' if np.isnan(r.share_of_expected_errors) else f'{r.share_of_expected_errors:.0%}'} |")
    out += [
        "",
        f"## The {min(top, len(links))} least confident links",
        "",
        "Labels are those of the input masks; track ids those of the exported masks (`*_RES/`)."
        " `alternatives`: the daughter's other candidate mothers, `label:probability` (+TS)."
        " Links of equal confidence are ordered by the tracker's own softmax of their costs.",
        "",
        "| rank | frames | mother -> daughter | tracks | confidence | raw | entropy | P(appears) | alternatives |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in links.sort_values("rank").head(top).itertuples():
        out.append(f"| {r.rank} | {r.t} -> {r.t2} | {r.mother} -> {r.daughter} |"
                   f" {r.mother_track} -> {r.daughter_track} | {r.confidence:.3f} | {r.confidence_raw:.3f} |"
                   f" {r.entropy:.3f} | {r.p_appear:.3g} | {r.alternatives or '-'} |")
    out += ["", "All links, ranked: `links.tsv`. The same links with their confidences as edge properties:"
            " `tracks.geff` (GEFF; e.g. napari-geff, motile, traccuracy).", ""]
    return "\n".join(out)


def check_markdown(table: pd.DataFrame, ctx: dict, fitted_here: str) -> str:
    """``check.md``: expected against true wrong links of an annotated sequence."""
    every = table.iloc[-1]
    verdict = ("inside" if every["expected_lo"] <= every["true_errors"] <= every["expected_hi"] else "outside")
    out = [
        f"# Expected vs true wrong links: {ctx['dataset']} / {ctx['seq']}",
        "",
        f"`{ctx['tracker']}`, method `{ctx['method']}`, step {ctx['step']}. {_temperature_line(ctx)}",
        f"The temperature was fitted on this sequence: {fitted_here}.",
        "",
        f"Of {int(every['links_checked'])} predicted links, **{int(every['true_errors'])} are wrong**;"
        f" the calibrated confidences expected {every['expected_errors']:.1f}"
        f" ({LEVEL:.0%} range {int(every['expected_lo'])}-{int(every['expected_hi'])}: the true count is {verdict}),"
        f" the raw ones {every['expected_errors_raw']:.1f}.",
        "",
        "| links checked | number | expected errors (+TS) | 95 % range | expected (raw) | true errors "
        "| share of all true errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        share = "-" if np.isnan(r.share_of_true_errors) else f"{r.share_of_true_errors:.0%}"
        out.append(f"| {r.share_checked:.0%} | {r.links_checked} | {r.expected_errors:.1f} |"
                   f" {r.expected_lo}-{r.expected_hi} | {r.expected_errors_raw:.1f} | {r.true_errors} | {share} |")
    return "\n".join(out + [""])
