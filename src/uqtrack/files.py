"""Atomic, deterministic file writing; readers that fail with one line; provenance.

Every result is written to a temporary file beside its target and renamed into
place, so an interrupted run never leaves a half-written file that looks complete.
The temporary names start with ``.<name>.partial-`` so that leftovers of a killed
run can be recognised and removed (:func:`remove_partials`).

Every writer records what produced the file (:func:`provenance`): the config
hash, the seed, package versions and the git commit. Inside a workflow rule
:func:`uqtrack.scripting.run_rule` sets it for all writers
(:func:`use_provenance`); elsewhere pass ``provenance=`` or leave it out. It holds
no time stamp and no host name, so equal inputs still give equal bytes.

Where it goes:

* parquet: the schema metadata key ``provenance`` (JSON text);
* JSON: the top-level key ``provenance`` (dicts only; :func:`read_json` drops it);
* netCDF: the global attribute ``provenance`` (JSON text; :func:`read_netcdf`
  drops it);
* TSV: a sidecar ``<name>.tsv.provenance.json``, so the table stays plain;
* figures: :func:`figure_metadata` for ``savefig(metadata=...)``.

The readers (:func:`read_parquet`, :func:`read_netcdf`, :func:`read_json`,
:func:`read_tsv`) turn a missing, truncated or corrupt intermediate into
:class:`~uqtrack.errors.InputError` naming the file and what to do.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from uqtrack.errors import InputError

StrPath = str | os.PathLike[str]

PROVENANCE_KEY = "provenance"
PARTIAL = ".partial-"  # infix of every temporary file or folder made here

#: Distributions whose versions a result records (those installed).
PACKAGES = (
    "uqtrack",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "xarray",
    "highspy",
    "pulp",
    "snakemake",
    "tifffile",
    "imagecodecs",
    "scikit-image",
    "matplotlib",
    "seaborn",
)

_current: dict[str, Any] | None = None  # set by use_provenance for the writers


# --------------------------------------------------------------------------- provenance


def config_hash(config: Mapping[str, Any]) -> str:
    """SHA-256 of the config as canonical JSON (sorted keys): equal configs, equal hash."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def package_versions(names: Sequence[str] = PACKAGES) -> dict[str, str]:
    """Installed version of each distribution (missing ones are left out) and of Python."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def git_commit(where: StrPath) -> str | None:
    """The commit checked out at ``where`` (``+dirty`` if tracked files differ), or None."""
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", "-C", str(where), *args], capture_output=True, text=True, timeout=20, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip()

    commit = git("rev-parse", "HEAD")
    if not commit:
        return None
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return commit + ("+dirty" if dirty else "")


def provenance(
    config: Mapping[str, Any] | None = None,
    *,
    rule: str | None = None,
    wildcards: Mapping[str, str] | None = None,
    source_dir: StrPath | None = None,
) -> dict[str, Any]:
    """What produces a result: config hash, seed, package versions, git commit.

    Parameters
    ----------
    config
        The workflow config (hashed; its ``seed`` is recorded).
    rule, wildcards
        The Snakemake rule and its wildcards, if any.
    source_dir
        A folder of the workflow's git checkout (default: this package's folder).

    Returns
    -------
    dict
        JSON-ready, deterministic: no time stamp, no host name.
    """
    out: dict[str, Any] = {}
    if config is not None:
        out["config_sha256"] = config_hash(config)
        out["seed"] = config.get("seed")
    if rule is not None:
        out["rule"] = rule
    if wildcards:
        out["wildcards"] = {str(k): str(v) for k, v in wildcards.items()}
    out["versions"] = package_versions()
    out["git_commit"] = git_commit(source_dir or Path(__file__).resolve().parent)
    return out


@contextmanager
def use_provenance(record: dict[str, Any] | None) -> Iterator[None]:
    """Within the block, writers called without ``provenance=`` record ``record``."""
    global _current
    before, _current = _current, record
    try:
        yield
    finally:
        _current = before


def _record(given: dict[str, Any] | None) -> dict[str, Any] | None:
    return given if given is not None else _current


def _as_text(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


def figure_metadata(fmt: str, record: dict[str, Any] | None = None) -> dict[str, Any]:
    """``savefig(metadata=...)`` for a reproducible figure that records its provenance.

    PDF: no creation date, provenance in ``Subject``; PNG: a ``provenance`` text chunk.
    """
    record = _record(record)
    meta: dict[str, Any] = {"CreationDate": None} if fmt == "pdf" else {}
    if record is not None and fmt in ("pdf", "png"):
        meta["Subject" if fmt == "pdf" else PROVENANCE_KEY] = _as_text(record)
    return meta


# --------------------------------------------------------------------------- atomic paths


@contextmanager
def atomic_path(path: StrPath) -> Iterator[Path]:
    """Yield a temporary path that replaces ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}{PARTIAL}", suffix=path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_dir(path: StrPath) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}{PARTIAL}"))
    try:
        yield tmp
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()  # an empty folder made for us beforehand
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def remove_partials(root: StrPath) -> list[Path]:
    """Delete the temporary files and folders a killed writer left under ``root``.

    Only names made by :func:`atomic_path` / :func:`atomic_dir` (``.<name>.partial-*``)
    are touched. Call it only when no writer is running (the workflow does, at the
    start of a run that holds its run lock).
    """
    root = Path(root)
    if not root.is_dir():
        return []
    found = sorted(p for p in root.rglob(f".*{PARTIAL}*") if p.name.startswith("."))
    removed = []
    for p in found:
        if not p.exists():
            continue  # inside a partial folder removed just before
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        removed.append(p)
    return removed


# --------------------------------------------------------------------------- writers


def write_parquet(df: pd.DataFrame, path: StrPath, *, provenance: dict[str, Any] | None = None) -> None:
    """Write a table as parquet (zstd), atomically, without a pandas index.

    The provenance goes into the schema metadata under ``provenance``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    record = _record(provenance)
    if record is not None:
        meta = dict(table.schema.metadata or {})
        meta[PROVENANCE_KEY.encode()] = _as_text(record).encode()
        table = table.replace_schema_metadata(meta)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def write_json(obj: Any, path: StrPath, *, provenance: dict[str, Any] | None = None) -> None:
    """Write JSON with sorted keys so equal content gives equal bytes.

    A dict gets the provenance under the key ``provenance``.
    """
    record = _record(provenance)
    if record is not None and isinstance(obj, Mapping):
        obj = {**obj, PROVENANCE_KEY: record}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=_plain) + "\n")


def write_tsv(df: pd.DataFrame, path: StrPath, *, provenance: dict[str, Any] | None = None) -> None:
    """Write a tab-separated table; the provenance goes to ``<path>.provenance.json``."""
    record = _record(provenance)
    if record is not None:
        with atomic_path(sidecar(path)) as tmp:
            tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    with atomic_path(path) as tmp:
        df.to_csv(tmp, sep="\t", index=False, float_format="%.6g")


def sidecar(path: StrPath) -> Path:
    """Where :func:`write_tsv` records the provenance of ``path``."""
    path = Path(path)
    return path.with_name(path.name + f".{PROVENANCE_KEY}.json")


def write_netcdf(ds: Any, path: StrPath, *, provenance: dict[str, Any] | None = None) -> None:
    """Write an xarray Dataset as netCDF3 (scipy: no HDF5, byte-stable), atomically.

    The provenance goes into the global attribute ``provenance``.
    """
    record = _record(provenance)
    if record is not None:
        ds = ds.copy()
        ds.attrs = {**ds.attrs, PROVENANCE_KEY: _as_text(record)}
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="scipy")


def _plain(value: Any) -> Any:
    # numpy scalars and arrays -> plain Python, so json can write them
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


# --------------------------------------------------------------------------- readers


def _unreadable(path: StrPath, exc: BaseException) -> InputError:
    """The one-line error for an intermediate that exists but cannot be read."""
    if isinstance(exc, FileNotFoundError):
        return InputError(path, "missing; rerun the workflow to make it")
    if isinstance(exc, IsADirectoryError):
        return InputError(path, "is a folder where a file was expected; delete it and rerun")
    if isinstance(exc, PermissionError):
        return InputError(path, "permission denied; make it readable and rerun")
    return InputError(path, f"unreadable (corrupt or truncated: {type(exc).__name__}); delete it and rerun")


def _check_file(path: StrPath) -> None:
    """A regular file must be there (pyarrow would read a folder as an empty dataset)."""
    if not os.path.exists(path):
        raise InputError(path, "missing; rerun the workflow to make it")
    if os.path.isdir(path):
        raise InputError(path, "is a folder where a file was expected; delete it and rerun")


def _missing_columns(
    path: StrPath, have: Sequence[str], want: Sequence[str] | None, what: str = "column"
) -> None:
    missing = [c for c in (want or []) if c not in have]
    if missing:
        raise InputError(
            path,
            f"lacks {what}(s) {', '.join(missing)} (made by another version?); delete it and rerun",
        )


def read_parquet(path: StrPath, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a parquet table written by :func:`write_parquet`.

    Parameters
    ----------
    path
        The file.
    columns
        Columns that must be present (all columns are returned).

    Raises
    ------
    InputError
        Missing, truncated or corrupt file, or a required column is absent.
    """
    _check_file(path)
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for damage
        raise _unreadable(path, exc) from None
    _missing_columns(path, list(df.columns), columns)
    return df


def read_json(path: StrPath, keys: Sequence[str] | None = None) -> Any:
    """Read JSON written by :func:`write_json`, without its ``provenance`` key.

    Parameters
    ----------
    path
        The file.
    keys
        Keys the (dict) content must hold.

    Raises
    ------
    InputError
        Missing, truncated or corrupt file, or a required key is absent.
    """
    _check_file(path)
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
    except Exception as exc:  # OSError, UnicodeDecodeError, JSONDecodeError
        raise _unreadable(path, exc) from None
    if isinstance(obj, dict):
        obj.pop(PROVENANCE_KEY, None)
        _missing_columns(path, list(obj), keys, "key")
    elif keys:
        raise InputError(path, f"holds a {type(obj).__name__}, expected an object; delete it and rerun")
    return obj


def read_tsv(path: StrPath, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a tab-separated table written by :func:`write_tsv`.

    Raises
    ------
    InputError
        Missing, empty, truncated or corrupt file, or a required column is absent.
    """
    _check_file(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
        if not text.endswith("\n"):  # write_tsv ends every row with a line end
            raise ValueError("the last line has no line end")
        lines = text.splitlines()
        fields = lines[0].count("\t")
        short = next((n for n, line in enumerate(lines, 1) if line.count("\t") != fields), None)
        if short is not None:
            found = lines[short - 1].count("\t") + 1
            raise ValueError(f"line {short} has {found} fields, the header {fields + 1}")
        df = pd.read_csv(io.StringIO(text), sep="\t")
    except Exception as exc:  # ValueError (EmptyDataError, ParserError), UnicodeDecodeError, OSError
        raise _unreadable(path, exc) from None
    _missing_columns(path, list(df.columns), columns)
    return df


def read_netcdf(path: StrPath, variables: Sequence[str] | None = None) -> Any:
    """Load a netCDF file written by :func:`write_netcdf`, without its ``provenance``.

    Parameters
    ----------
    path
        The file.
    variables
        Data variables that must be present.

    Raises
    ------
    InputError
        Missing, truncated or corrupt file, or a required variable is absent.
    """
    import xarray as xr

    _check_file(path)
    try:
        ds = xr.load_dataset(path, engine="scipy")
    except Exception as exc:  # TypeError/ValueError/OSError from scipy's reader
        raise _unreadable(path, exc) from None
    ds.attrs.pop(PROVENANCE_KEY, None)
    _missing_columns(path, [str(v) for v in ds.variables], variables, "variable")
    return ds
