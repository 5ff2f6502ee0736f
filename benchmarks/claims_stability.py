"""Do the paper's findings survive another seed? Two runs' `claims.tsv` row by row.

Run the same config twice with different ``seed:`` (it draws the perturbations of ``fp``
and ``fpa``, the bootstrap replicates and the transformer's training), then

    python benchmarks/claims_stability.py seed0/results/claims.tsv seed1/results/claims.tsv

prints per claim the verdict counts of each run (holds / does not hold / undecided) and
how many rows kept their verdict; a verdict that moves with the seed is noise, not a
finding.
"""

from __future__ import annotations

import argparse

import pandas as pd

KEY = ["claim", "dataset", "tracker", "scope"]
VERDICTS = ("holds", "does not hold", "undecided")


def counts(verdicts: pd.Series) -> str:
    return " / ".join(str(int((verdicts == v).sum())) for v in VERDICTS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("first")
    ap.add_argument("second")
    args = ap.parse_args()
    a, b = (pd.read_csv(p, sep="\t", keep_default_na=False) for p in (args.first, args.second))
    for t in (a, b):  # T1's scope names the method it judged best, which may differ
        t["scope"] = t["scope"].str.replace(r", best: \w+$", "", regex=True)
    both = a.merge(b, on=KEY, suffixes=("_a", "_b"), how="outer", indicator=True)
    print("| claim | rows | first: holds / not / undecided | second | same verdict | moved |")
    print("|---|---|---|---|---|---|")
    for claim, g in both.groupby("claim", sort=False):
        g = g[g["_merge"] == "both"]
        same = g["verdict_a"] == g["verdict_b"]
        moved = ", ".join(f"{x} -> {y}" for x, y in
                          g.loc[~same, ["verdict_a", "verdict_b"]].value_counts().index)
        print(f"| {claim} | {len(g)} | {counts(g['verdict_a'])} | {counts(g['verdict_b'])}"
              f" | {int(same.sum())} | {moved or '-'} |")
    only = both[both["_merge"] != "both"]
    if len(only):
        print(f"\n{len(only)} rows in only one of the runs")


if __name__ == "__main__":
    main()
