"""The README's main command survives its own interruption and damaged results.

Snakemake is interrupted mid-run (Ctrl-C, SIGKILL, or SIGKILL of one running
job), then the very same command is run again: it must complete, and its
results must equal, byte for byte, those of an uninterrupted run (measured
compute times excepted, as everywhere). A damaged intermediate is named in one
line; deleting it and rerunning restores the same results.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT, snakemake_command

pytestmark = pytest.mark.slow

CONFIG = ROOT / ".test" / "mechanics.yaml"  # one tracker: the mechanics, in seconds
TIMED = ("timings.tsv", "timings.tsv.provenance.json", "compute_time.png", "compute_time.pdf")


def command(workdir: Path) -> list[str]:
    # the README's command, pointed at the tiny config and a scratch folder
    return [*snakemake_command(), "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
            "--configfile", str(CONFIG), "--cores", "all"]


def start(workdir: Path) -> subprocess.Popen:
    workdir.mkdir(parents=True, exist_ok=True)
    out = (workdir.parent / f"{workdir.name}.first.log").open("w")
    # own process group, like a terminal's foreground job: Ctrl-C reaches all of it
    # Ctrl-C must reach it even where this test runs as a background job, which
    # inherits SIGINT ignored (and Python then leaves it ignored)
    return subprocess.Popen(command(workdir), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def run_again(workdir: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(command(workdir), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc


def job_processes(workdir: Path, script: str = "") -> list[int]:
    """Pids of the job processes (workflow scripts) of the run in ``workdir``."""
    marker = str(workdir / ".snakemake" / "scripts")
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline and script in cmdline:
            pids.append(int(entry.name))
    return pids


def wait_for(condition, timeout: float = 120.0, what: str = "") -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


def mid_run(workdir: Path) -> bool:
    """Some edge tables are written and others are being computed."""
    return any((workdir / "results" / "edges").rglob("edges.parquet"))


def results(workdir: Path) -> dict[str, bytes | None]:
    """Every file under results/: bytes, or None for the measured compute times."""
    out = {}
    for path in sorted((workdir / "results").rglob("*")):
        if path.is_file():
            timed = path.name in TIMED or "benchmarks" in path.parts  # time and memory of jobs
            out[str(path.relative_to(workdir))] = None if timed else path.read_bytes()
    return out


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory) -> Path:
    """An uninterrupted run; while it runs, a second run in its folder is refused."""
    workdir = tmp_path_factory.mktemp("uninterrupted") / "run"
    first = start(workdir)
    try:
        # as soon as the first run holds Snakemake's lock (a short run may be over by
        # the time a second process has started, had we waited for its first results)
        locks = workdir / ".snakemake" / "locks"
        wait_for(lambda: any(locks.glob("*.lock")) or first.poll() is not None, what="the first run's lock")
        assert first.poll() is None
        second = subprocess.run(command(workdir), capture_output=True, text=True, timeout=300)
        second_code = second.returncode
        refused = "cannot be locked" in second.stdout + second.stderr
        assert first.wait(timeout=600) == 0, (workdir.parent / "run.first.log").read_text()[-3000:]
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
    # a live run keeps its lock: the recovery of killed runs must not take it away
    assert second_code != 0 and refused
    return workdir


@pytest.fixture(scope="module")
def reference(reference_run) -> dict[str, bytes | None]:
    return results(reference_run)


def interrupt(workdir: Path, how: str) -> int:
    """Start the run, interrupt it mid-run as ``how`` says, return its exit code."""
    proc = start(workdir)
    try:
        wait_for(lambda: mid_run(workdir) or proc.poll() is not None, what="edge tables")
        assert proc.poll() is None, "the run ended before it could be interrupted"
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)
        elif how == "sigterm":
            proc.send_signal(signal.SIGTERM)
        elif how == "sigkill":
            proc.send_signal(signal.SIGKILL)  # its jobs live on as orphans, as in real life
        elif how == "sigkill-job":
            wait_for(lambda: job_processes(workdir, "edges"), what="a running edges job")
            for pid in job_processes(workdir, "edges")[:1]:
                os.kill(pid, signal.SIGKILL)
        code = proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return code


# SIGTERM takes Snakemake's graceful shutdown, as Ctrl-C does; left out to keep CI under
# its 15 minutes (interrupt() still handles "sigterm")
@pytest.mark.parametrize("how", ["ctrl-c", "sigkill", "sigkill-job"])
def test_rerun_after_interruption_gives_identical_results(reference, tmp_path, how):
    workdir = tmp_path / "run"
    code = interrupt(workdir, how)
    assert code != 0, f"{how}: the interrupted run reported success"
    assert len(results(workdir)) < len(reference), f"{how}: nothing was left to do"
    if how == "sigkill":  # Snakemake's lock is left behind by a killed Snakemake
        assert any((workdir / ".snakemake" / "locks").glob("*.lock"))

    rerun = run_again(workdir)  # the same command, nothing else

    if how == "sigkill":
        assert "cleared what an interrupted run left behind" in rerun.stderr
        # jobs orphaned by the kill may still be finishing the same files
        wait_for(lambda: not job_processes(workdir), what="orphaned jobs to end")
    got = results(workdir)
    assert sorted(got) == sorted(reference)
    differ = [name for name in reference if got[name] != reference[name]]
    assert not differ, f"{how}: differ from an uninterrupted run: {differ[:5]}"
    assert not list((workdir / "results").rglob("*.partial-*")), "temporary files left behind"


def test_a_live_run_keeps_its_lock(reference_run):
    """Checked while the reference run ran (see `reference_run`); it then completed."""
    assert (reference_run / "results" / "summary.nc").exists()
    assert not any((reference_run / ".snakemake" / "locks").glob("*.lock"))


def test_a_damaged_intermediate_is_named_and_a_rerun_after_deleting_it_recovers(reference_run, reference, tmp_path):
    workdir = tmp_path / "run"
    shutil.copytree(reference_run, workdir, symlinks=True)
    damaged = workdir / "results" / "prepared" / "tiny" / "02" / "tracks.parquet"  # evaluation only: less to redo
    damaged.write_bytes(b"PAR1 overwritten by something else")  # newer than everything after it
    proc = subprocess.run(command(workdir), capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith("uqtrack ERROR")]
    assert errors, proc.stderr[-3000:]
    assert all(line == errors[0] for line in errors)  # each job reading it says the same line
    assert errors[0] == (
        f"uqtrack ERROR: {damaged.relative_to(workdir)}: unreadable (corrupt or truncated: ArrowInvalid); "
        "delete it and rerun"
    )
    assert "Traceback" not in proc.stderr

    damaged.unlink()
    second = run_again(workdir)
    got = results(workdir)
    assert sorted(got) == sorted(reference), (sorted(set(reference) - set(got)), second.stderr[-3000:])
    assert [name for name in reference if got[name] != reference[name]] == []
