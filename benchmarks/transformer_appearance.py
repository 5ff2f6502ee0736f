"""Would the transformer keep linking if its own "no parent" class priced appearance?

    python benchmarks/transformer_appearance.py [results] [--tracker transformer-0.5]
        [--datasets Fluo-N2DH-SIM+ Fluo-N2DL-HeLa] [--appear 1 --disappear 1]

Reads a finished run's ``sm`` edge tables of one transformer tracker (evaluation
sequences): edge rows carry ``w_ij = -log p_ij``, the "no mother" row ``log p_none_j``,
the model's own (quiet softmax). Every frame pair's MAP is solved twice:

- ``fixed``: appearance priced ``w_a`` for every daughter, as the workflow does (the
  tables' own prediction is reproduced, and checked);
- ``model``: daughter ``j`` appearing priced ``a_j = -log p_none_j``, disappearance
  still ``w_d``. A per-daughter price needs no change of the solvers: edge costs
  ``w_ij - a_j + A`` with one price ``A`` give the same assignments
  (:func:`uqtrack.assignment.per_daughter_appearance`; ``a_j`` capped at the
  tracker's own ``APPEAR_CAP``, as ``appearance: model`` does).

Prints per dataset and step the share of daughters predicted appearing beside the
share truly without a mother, MAP accuracy (correct among predicted links) and link
recall (correct predicted links per true link), for both prices.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from uqtrack import assignment
from uqtrack.assignment import Problem, per_daughter_appearance
from uqtrack.files import read_parquet
from uqtrack.lineage import NO_MOTHER
from uqtrack.tables import join_truth
from uqtrack.trackers.transformer import APPEAR_CAP


def pair_maps(pair: pd.DataFrame, appear: float, disappear: float) -> dict[str, np.ndarray]:
    """Each daughter's predicted mother label (0: appears) under both prices."""
    none = pair[pair["mother"] == NO_MOTHER].set_index("daughter")
    links = pair[pair["mother"] != NO_MOTHER]
    daughters = none.index.to_numpy()
    mothers = np.unique(links["mother"].to_numpy())
    edges = np.column_stack([np.searchsorted(mothers, links["mother"]), np.searchsorted(daughters, links["daughter"])])
    costs = links["cost"].to_numpy(dtype=np.float64)
    priced = per_daughter_appearance(costs, edges[:, 1], -none["logp"].to_numpy(), APPEAR_CAP)
    out = {}
    for name, (w, w_a) in {"fixed": (costs, appear), "model": priced}.items():
        problem = Problem(len(mothers), len(daughters), edges.astype(np.int64), w, w_a, disappear, max_daughters=2)
        choice = assignment.solve_map(problem, "lsa").choice
        mother = np.zeros(len(daughters), dtype=np.int64)
        mother[choice >= 0] = mothers[edges[choice[choice >= 0], 0]]
        out[name] = mother
    return out


def rows(results: Path, dataset: str, tracker: str, appear: float, disappear: float):
    for table_path in sorted((results / "edges" / dataset).glob(f"*/step*/{tracker}/sm/edges.parquet")):
        seq, step = table_path.parts[-5], int(table_path.parts[-4].removeprefix("step"))
        truth_path = results / "prepared" / dataset / seq / f"step{step}" / "truth.parquet"
        table = join_truth(read_parquet(table_path), read_parquet(truth_path))
        true_mother = table.loc[table["true"], ["t", "daughter", "mother"]].set_index(["t", "daughter"])["mother"]
        predicted = {"fixed": [], "model": []}
        mismatch = 0
        for (t, _), pair in table.groupby(["t", "t2"], sort=True):
            maps = pair_maps(pair, appear, disappear)
            ours = pair.loc[pair["pred"] & (pair["mother"] != NO_MOTHER)].set_index("daughter")["mother"]
            daughters = np.sort(pair["daughter"].unique())
            table_pred = ours.reindex(daughters, fill_value=NO_MOTHER).to_numpy()
            mismatch += int((table_pred != maps["fixed"]).sum())
            for name, mother in maps.items():
                predicted[name].append(pd.DataFrame({"t": t, "daughter": daughters, "mother": mother}))
        keys = pd.concat(predicted["fixed"], ignore_index=True)[["t", "daughter"]]
        truth = true_mother.reindex(pd.MultiIndex.from_frame(keys)).to_numpy()
        row = {"seq": seq, "step": step, "mismatch": mismatch, "daughters": len(truth),
               "truly": float((truth == NO_MOTHER).mean())}
        for name, parts in predicted.items():
            mother = np.concatenate([part["mother"].to_numpy() for part in parts])
            linked = mother != NO_MOTHER
            correct = linked & (mother == truth)
            row[f"{name} appearing"] = 1 - linked.mean()
            row[f"{name} accuracy"] = correct.sum() / max(linked.sum(), 1)
            row[f"{name} recall"] = correct.sum() / max((truth != NO_MOTHER).sum(), 1)
        yield row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", type=Path, default=Path("results"))
    parser.add_argument("--tracker", default="transformer-0.5")
    parser.add_argument("--datasets", nargs="+", default=["Fluo-N2DH-SIM+", "Fluo-N2DL-HeLa"])
    parser.add_argument("--appear", type=float, default=1.0, help="w_a of the tracker's entry")
    parser.add_argument("--disappear", type=float, default=1.0, help="w_d of the tracker's entry")
    args = parser.parse_args()
    print("| data | step | daughters | truly without mother | predicted appearing: fixed / model "
          "| MAP accuracy: fixed / model | link recall: fixed / model | table's MAP reproduced |")
    print("|---|---|---|---|---|---|---|---|")
    for dataset in args.datasets:
        found = list(rows(args.results, dataset, args.tracker, args.appear, args.disappear))
        for r in sorted(found, key=lambda r: (r["seq"], r["step"])):
            print(f"| {dataset} {r['seq']} | {r['step']} | {r['daughters']} | {r['truly']:.3f} "
                  f"| {r['fixed appearing']:.3f} / {r['model appearing']:.3f} "
                  f"| {r['fixed accuracy']:.3f} / {r['model accuracy']:.3f} "
                  f"| {r['fixed recall']:.3f} / {r['model recall']:.3f} "
                  f"| {'yes' if r['mismatch'] == 0 else str(r['mismatch']) + ' daughters differ'} |",
                  flush=True)


if __name__ == "__main__":
    main()
