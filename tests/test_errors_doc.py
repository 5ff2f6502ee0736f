"""docs/errors.md stays true: every error and warning the code can print is listed, and
every message it lists is asserted by some test."""

from __future__ import annotations

import ast
import re
from difflib import SequenceMatcher

from uqtrack import ctc

from conftest import ROOT

DOC = (ROOT / "docs" / "errors.md").read_text()
SOURCES = sorted([*(ROOT / "src").rglob("*.py"), *(ROOT / "workflow" / "scripts").glob("*.py")])


def _literal(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant)]
    if isinstance(node, ast.BinOp):
        return _literal(node.left) + _literal(node.right)
    return []


def messages() -> list[tuple[str, str]]:
    """(where, longest fixed part) of the fault of every InputError(...) and log.warning(...)."""
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
            if name == "InputError" and len(node.args) >= 2:
                fault = node.args[1]
            elif name == "warning" and node.args:
                fault = node.args[0]
            else:
                continue
            # %-placeholders of log calls split the text like f-string fields do
            pieces = [q for lit in _literal(fault) for q in re.split(r"%[-.\d]*[sdgfr]", lit)]
            parts = [p.strip(" ;:,()") for p in pieces]
            found.append((f"{path.relative_to(ROOT)}:{node.lineno}", max(parts, key=len, default="")))
    return found


def test_every_error_and_warning_is_documented():
    checked = [(where, text) for where, text in messages() if len(text) >= 10]
    assert len(checked) > 50  # the scan sees the code
    missing = [f"{where}: {text!r}" for where, text in checked if text not in DOC]
    assert not missing, "add these to docs/errors.md:\n" + "\n".join(missing)


def test_data_quality_warnings_are_documented():
    stats = {"data_quality": {"gaps": [{"label": 3, "frames": [4]}],
                              "cell_count_jumps": [{"frames": [1, 2], "cells": [20, 5]}]}}
    for line in ctc.quality_warnings(stats, "TRA"):
        fixed = line.split("(")[0].removeprefix("TRA: 1 ").removeprefix("TRA: ").strip()
        assert fixed in DOC, fixed


# --------------------------------------------------------------------------- doc -> tests
#
# The other direction: each message docs/errors.md lists must be checked by a test. A
# run-time record of the messages a test session produces would need the whole suite
# (and the Snakemake subprocesses' output) on every run; instead the tests' source is
# read. A message counts as asserted when a string in some test (docstrings aside)
# shares with the message's distinctive part (its longest fixed piece, the same key
# the code -> doc test uses) a stretch of MATCH characters (or all of a shorter
# piece), and that stretch occurs in at most two documented messages (so a generic
# "man_track.txt" or "delete it and rerun" asserts nothing by itself).
MATCH = 15
DOC_MESSAGE = re.compile(r"`([^`]+)`")
TESTS = sorted(p for p in (ROOT / "tests").rglob("*.py") if p.name != "test_errors_doc.py")

#: Documented messages no test asserts yet (the distinctive part of each). Shrink it:
#: assert the message's text in the test that triggers it (or add that test); an entry
#: that a test now asserts fails below, so the list only gets shorter.
NOT_ASSERTED = {
    "samples: 'ten' is not of type 'integer",
    "methods.1: 'softmax' is not one of [",
    'give either simulate, or path and/or download',
    'use letters, digits and _ . + -',
    'point it at a local copy, or give a',
    'calibration and evaluation overlap in sequence',
    '] is reversed (give [first, last], first <= last',
    'inside the range); widen the range or give datasets.',
    'no mask files man_track',
    'cannot read',
    'is UTF-16 text; save it as plain ASCII (or UTF-8) text',
    '_GT/TRA with man_track.txt',
    'no such folder',
    'expected one 2-D label image per frame',
    'holds an empty image of shape (0, 0',
    'no frames requested',
    'no mask file for requested frame(s) [',
    'bad simulation parameter value',
    "simulation parameter 'radius' must be (mean >= 1.5, sd >= 0",
    "simulation parameter 'brightness' must be (mean, sd",
    "simulation parameter 'layout' must be 'uniform' or 'center",
    "simulation parameter 'division_rate' must be <= 1",
    "simulation parameters 'n_initial'/'max_cells' must be >= 0/1",
    'simulation parameter',
    'config: simulation made more than 65535 tracks; lower the rates',
    '.path to a local copy',
    'a cut-off download or a wrong URL; rerun to download it again, or set datasets.',
    'the archive holds no',
    'lacks variable(s',
    'holds a list, expected an object; delete it and rerun',
    'is a folder where a file was expected; delete it and rerun',
    'missing; rerun the workflow to make it',
    'permission denied; make it readable and rerun',
    "calibration split: no cell continues its track at step 1, so sigma cannot be fitted;"
    " give the tracker's sigma as a number",
    'cannot import it',
    'is not a name in models',
    's of this config',
    'has no step',
    'only for a masks-only dataset (annotated: false',
    'a masks-only dataset (annotated: false) has no truth to split or evaluate; it is tracked at export.step',
    'is masks-only; name an annotated dataset',
    'is masks-only: add export: {tracker, method} to say how to track it',
    'is not in trackers',
    'no such folder (expected a folder of label TIFFs or a glob pattern',
    'give a narrower glob',
    'cannot read TIFF',
    'differ in shape',
    'need two 2D arrays of one shape, got',
    'of the cell table have no pixel in the mask',
    'calibration split: no cell moved at step 1, so sigma cannot be fitted; give it as a number',
    'no cell continues its track at step 1, so the activity tracker cannot be fitted; give its'
    ' sigma, alpha, activity_floor and activity_scale as numbers',
    'not a model folder',
    'cannot load the model',
    'are not supported (only',
    'a cut-off or changed download); rerun to download it again, or fix datasets.',
    'has labelled pixels but no cells were detected in this frame',
    'left out: HiGHS hit its time limit of',
    'raw probabilities kept (tau = 1',
    'no predicted link to judge; its metrics are NaN',
    'exported frame(s) have no label image; written empty',
    'check these frames belong to this sequence, see data_quality in lineage.json',
    'file(s) ignored, not named man_track',
    'not named t',
    'made by another version?); delete it and rerun',
}


def documented() -> list[str]:
    """The messages of the tables' first column (each backticked text in it)."""
    found = []
    for line in DOC.splitlines():
        if line.startswith("| `"):
            found += DOC_MESSAGE.findall(line.split(" | ")[0])
    return found


def distinctive(message: str) -> str:
    """The longest piece of a documented message between placeholders ``<x>`` and ``...``."""
    return max((p.strip(" ;:,()'") for p in re.split(r"<[^<>]*>|\.\.\.", message)), key=len)


def strings_of_tests() -> set[str]:
    """Every string constant of the tests but their docstrings."""
    found = set()
    for path in TESTS:
        tree = ast.parse(path.read_text())
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef))
                      and n.body and isinstance(n.body[0], ast.Expr)}
        # pieces of f-strings are a test's own failure texts, not messages it expects
        in_fstrings = {id(c) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for c in n.values}
        found |= {n.value for n in ast.walk(tree)
                  if isinstance(n, ast.Constant) and isinstance(n.value, str)
                  and id(n) not in docstrings and id(n) not in in_fstrings}
    return found


def asserted(message_part: str, strings: set[str], messages: list[str]) -> bool:
    need = min(len(message_part), MATCH)
    for text in strings:
        m = SequenceMatcher(None, message_part, text, autojunk=False).find_longest_match(
            0, len(message_part), 0, len(text))
        shared = message_part[m.a : m.a + m.size]
        if m.size >= need and sum(shared in other for other in messages) <= 2:
            return True
    return False


def test_every_documented_message_is_asserted_by_a_test():
    messages = documented()
    assert len(messages) > 100  # the scan sees the tables
    parts = {distinctive(m) for m in messages if len(distinctive(m)) >= 8}
    strings = strings_of_tests()
    missing = sorted(p for p in parts - NOT_ASSERTED if not asserted(p, strings, messages))
    assert not missing, "no test asserts these documented messages:\n" + "\n".join(missing)
    stale = sorted(p for p in NOT_ASSERTED if p not in parts or asserted(p, strings, messages))
    assert not stale, "asserted now (or no longer documented): remove from NOT_ASSERTED:\n" + "\n".join(stale)


def test_the_doc_to_tests_check_can_fail():
    messages = ["line <n>: comment lines are not part of the format: '...'", "no such file"]
    part = distinctive(messages[0])
    assert part == "comment lines are not part of the format"
    assert asserted(part, {"line 1: comment lines are not part of the format"}, messages)
    assert not asserted(part, {"comment lines"}, messages)  # too short a stretch
    generic = ["<f>: lacks a; delete it and rerun", "<f>: lacks b; delete it and rerun",
               "<f>: x; delete it and rerun"]
    assert not asserted("delete it and rerun", {"; delete it and rerun"}, generic)  # in three messages
