"""docs/errors.md stays true: every error and warning the code can print is listed."""

from __future__ import annotations

import ast
import re

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
