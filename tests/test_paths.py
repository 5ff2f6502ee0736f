"""`workflow/rules/paths.smk` owns every results/ path: the library builds none, and
the Snakefile, the other rules and the scripts spell none."""

import ast
import re
from pathlib import Path

from uqtrack.config import Export

from conftest import ROOT, workflow_paths

# a results/ path, or the folder name itself, in quotes (a string or an f-string)
RESULTS_LITERAL = re.compile(r"""(['"])results(/|\1)""")


def _string_constants(path: Path) -> list[tuple[int, str]]:
    """Every string constant of a Python file: f-string parts and docstrings included
    (prose names a file by its name alone, or by the pattern's name in paths.smk)."""
    tree = ast.parse(path.read_text(), str(path))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def _builds_results_path(value: str) -> bool:
    return value == "results" or re.search(r"(^|[/\s`'\"(])results/", value) is not None


def test_the_library_builds_no_results_path():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {value!r}"
        for path in sorted((ROOT / "src" / "uqtrack").rglob("*.py"))
        for line, value in _string_constants(path)
        if _builds_results_path(value)
    ]
    assert not found, "results/ paths belong to workflow/rules/paths.smk:\n" + "\n".join(found)


def test_the_check_sees_what_it_forbids(tmp_path):
    """The check above catches each way of building a results path, and only those."""
    probe = tmp_path / "probe.py"
    probe.write_text('"""Reads ``results/summary.nc``."""\n'
                     'A = "results/summary.nc"\nB = f"{root}/results/x"\nC = Path(run) / "results"\n'
                     'D = "the results of a run"\nE = "no_results/x"\n')
    flagged = [v for _, v in _string_constants(probe) if _builds_results_path(v)]
    assert flagged == ["Reads ``results/summary.nc``.", "results/summary.nc", "/results/x", "results"]


def test_only_paths_smk_spells_a_results_path():
    """Rules, Snakefile and scripts take their results/ patterns from paths.smk."""
    files = [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk")),
             *sorted((ROOT / "workflow" / "scripts").glob("*.py"))]
    found = [
        f"{path.relative_to(ROOT)}:{i}: {line.strip()}"
        for path in files
        if path.name != "paths.smk"
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if RESULTS_LITERAL.search(line)
    ]
    assert not found, "spell results/ paths in workflow/rules/paths.smk:\n" + "\n".join(found)


def test_paths_of_a_previous_run():
    paths = workflow_paths()
    temperature = paths["TEMPERATURE"].format(dataset="d", step=4, tracker="t", method="as")
    assert paths["of_run"](None, temperature) == "results/temperature/d/step4/t/as.json"
    assert paths["of_run"]("/old/run/", temperature) == "/old/run/results/temperature/d/step4/t/as.json"
    root, needed = paths["lent_files"]("/old", "d", Export(tracker="t", method="as", step=4), "m")
    assert root == "/old/results"
    assert needed == ["/old/results/trackers/d/t/params.json", "/old/results/temperature/d/step4/t/as.json",
                      "/old/results/models/d/m"]
