"""What every workflow script shares: logging to the rule's log, one-line errors,
provenance for every file a rule writes; and the run lock that lets a rerun
recover from a killed Snakemake."""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from uqtrack import files
from uqtrack.errors import InputError

log = logging.getLogger("uqtrack")

RUN_LOCK = ".snakemake/uqtrack-run.lock"
_held: list[int] = []  # the run lock's descriptor, open for the life of the process


def run_rule(main: Callable[[Any], None], snakemake: Any) -> None:
    """Run ``main(snakemake)`` with messages going to the rule's ``log:`` file.

    Bad input (:class:`~uqtrack.errors.InputError`) ends the job with exactly one
    line naming the file and the fault, on stderr and in the log; anything else is
    a bug and keeps its traceback. Every :mod:`uqtrack.files` writer called by
    ``main`` records the rule's provenance (:func:`uqtrack.files.provenance`).
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
        with files.use_provenance(rule_provenance(snakemake)):
            main(snakemake)
    except InputError as err:
        log.error("%s", err)
        sys.exit(1)
    except Exception:
        log.exception("rule %s failed", getattr(snakemake, "rule", "?"))
        sys.exit(1)


def rule_provenance(snakemake: Any) -> dict[str, Any]:
    """The provenance of a rule's outputs: config hash, seed, rule, wildcards, versions, commit."""
    wildcards = getattr(snakemake, "wildcards", None)
    items = dict(wildcards.items()) if wildcards is not None else {}
    return files.provenance(
        getattr(snakemake, "config", None),
        rule=getattr(snakemake, "rule", None),
        wildcards=items,
        source_dir=getattr(snakemake, "scriptdir", None),
    )


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


def recover_from_killed_run(outputs: str, workdir: str | os.PathLike[str] = ".") -> list[str]:
    """Take the run lock; if no other run holds it, clear what a killed run left.

    Snakemake's own lock (``.snakemake/locks``) survives a ``kill -9`` and then
    blocks every later run until ``--unlock``. This run lock is an ``flock`` on
    ``.snakemake/uqtrack-run.lock``: the kernel releases it when its process dies,
    however it dies. So if this process gets it, no other run of this workflow is
    alive in ``workdir``, and Snakemake locks found there are stale: they are
    removed, as are the temporary files of writers killed mid-write
    (:func:`uqtrack.files.remove_partials`) under ``workdir / outputs`` (the workflow's
    results folder). If another live run holds it, nothing
    is touched and Snakemake reports the locked directory as usual.

    The lock is held (its descriptor kept open, not inherited by jobs) until this
    process exits. Call it once, in the main Snakemake process only.

    Returns
    -------
    list of str
        What was removed, for a message.
    """
    workdir = Path(workdir)
    lock_path = workdir / RUN_LOCK
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    if _held:
        return []
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # another run of this workflow is alive: leave its state alone
        os.close(fd)
        return []
    _held.append(fd)
    removed = []
    locks = workdir / ".snakemake" / "locks"
    if locks.is_dir() and any(locks.iterdir()):
        shutil.rmtree(locks, ignore_errors=True)
        removed.append(str(locks))
    removed += [str(p) for p in files.remove_partials(workdir / outputs)]
    return removed
