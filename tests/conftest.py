import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# ../shared/data beside the checkout (CI, developers); UQTRACK_SHARED_DATA points elsewhere
SHARED_DATA = Path(os.environ.get("UQTRACK_SHARED_DATA", ROOT / ".." / "shared" / "data")).resolve()


def snakemake_command() -> list[str]:
    """Snakemake of this very interpreter, whether or not its venv is activated."""
    if importlib.util.find_spec("snakemake") is None:
        pytest.skip("snakemake is not installed")
    return [sys.executable, "-m", "snakemake"]


def workflow_paths() -> dict:
    """The names `workflow/rules/paths.smk` defines (plain Python: every results/ path)."""
    import runpy

    return runpy.run_path(str(ROOT / "workflow" / "rules" / "paths.smk"))


@pytest.fixture
def snakemake_bin():
    return snakemake_command()


needs_shared_data = pytest.mark.skipif(
    not (SHARED_DATA / "ctc").is_dir(), reason="../shared/data is not present"
)


def cost_by_hand(problem, choice) -> float:
    """The cost of an assignment, summed term by term in plain Python.

    An independent reference for ``Solution.cost``, which the solvers set with
    :func:`uqtrack.assignment.solution_cost` itself (so comparing the two would
    assert nothing). Checks, too, that each chosen edge ends at its daughter.
    """
    total, used = 0.0, set()
    for daughter, e in enumerate(int(c) for c in choice):
        if e < 0:
            total += problem.appear_cost
            continue
        mother, end = (int(v) for v in problem.edges[e])
        assert end == daughter, f"edge {e} ends at daughter {end}, chosen by daughter {daughter}"
        total += float(problem.costs[e])
        used.add(mother)
    return total + problem.disappear_cost * sum(m not in used for m in range(problem.n_mothers))


def enumerate_by_hand(problem) -> list[tuple[float, tuple[int, ...]]]:
    """Every feasible assignment as ``(cost, choice)``, sorted, by itertools.product over
    each daughter's options (appear, or one of its edges), with :func:`cost_by_hand`:
    a reference independent of :func:`uqtrack.assignment.brute_force`."""
    import itertools

    options = [[-1, *(e for e in range(len(problem.edges)) if int(problem.edges[e][1]) == d)]
               for d in range(problem.n_daughters)]
    found = []
    for choice in itertools.product(*options):
        mothers = [int(problem.edges[e][0]) for e in choice if e >= 0]
        if all(mothers.count(m) <= problem.max_daughters for m in set(mothers)):
            found.append((cost_by_hand(problem, choice), tuple(choice)))
    return sorted(found)
