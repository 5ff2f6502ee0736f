"""The one error type a user should ever see from bad input."""

from __future__ import annotations

from os import PathLike


class InputError(ValueError):
    """Bad input data or configuration.

    The message is a single line, ``"<file>: <fault>"``, so that a workflow run
    stops with exactly one line naming what to fix.
    """

    def __init__(self, path: str | PathLike[str], fault: str) -> None:
        self.path = str(path)
        self.fault = " ".join(str(fault).split())  # keep it on one line
        super().__init__(f"{self.path}: {self.fault}")
