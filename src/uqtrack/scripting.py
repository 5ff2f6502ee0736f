"""What every workflow script shares: logging to the rule's log, one-line errors."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from collections.abc import Callable
from typing import Any

from uqtrack.errors import InputError

log = logging.getLogger("uqtrack")


def run_rule(main: Callable[[Any], None], snakemake: Any) -> None:
    """Run ``main(snakemake)`` with messages going to the rule's ``log:`` file.

    Bad input (:class:`~uqtrack.errors.InputError`) ends the job with exactly one
    line naming the file and the fault, on stderr and in the log; anything else is
    a bug and keeps its traceback.
    """
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING)  # the terminal gets problems only
    console.setFormatter(logging.Formatter("uqtrack %(levelname)s: %(message)s"))
    handlers: list[logging.Handler] = [console]
    if len(snakemake.log):
        to_file = logging.FileHandler(snakemake.log[0], mode="w")
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        handlers.append(to_file)
    logging.basicConfig(level=logging.INFO, handlers=handlers, force=True)
    try:
        main(snakemake)
    except InputError as err:
        log.error("%s", err)
        sys.exit(1)
    except Exception:
        log.exception("rule %s failed", getattr(snakemake, "rule", "?"))
        sys.exit(1)


def share_library() -> None:
    """Let the workflow's jobs import this checkout's ``uqtrack`` and the user's modules.

    Prepends the folder holding the package, and the run's working directory (where a
    ``module:Class`` tracker of the user's lives), to ``PYTHONPATH``, which job
    processes inherit, so rules also work in conda environments that lack the package.
    """
    src = str(Path(__file__).resolve().parents[1])
    here = os.getcwd()  # the run's working directory: where a user's own tracker module lives
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    new = [p for p in (src, here) if p not in paths]
    os.environ["PYTHONPATH"] = os.pathsep.join(new + paths)
    for p in reversed(new):
        if p not in sys.path:
            sys.path.insert(0, p)  # the Snakefile's own process checks the config with it
