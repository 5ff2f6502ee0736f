"""The conda environments of `--sdm conda` hold every runtime dependency of pyproject.toml,
at versions it allows: a rule that runs in them imports what a pip install would give."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from conftest import ROOT

ENVS = ROOT / "envs"
CORE, TRANSFORMER = "uqtrack.yaml", "transformer.yaml"
#: Runs the environments rather than running in them: Snakemake hands each job's script
#: its own module, so a job environment need not hold it.
ENGINE = {"snakemake"}
#: Only the rules that may run a transformer tracker need these (envs/transformer.yaml).
TRANSFORMER_ONLY = {"torch", "trackastra"}
#: conda-forge spells a few packages otherwise than PyPI.
CONDA_NAMES = {"pytorch": "torch"}


def runtime_requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(line) for line in project["dependencies"]]
    return {canonicalize_name(r.name): r for r in requirements}


def env_packages(name: str) -> dict[str, str | None]:
    """Package -> pinned version (None where the file names no version), conda and pip."""
    deps = yaml.safe_load((ENVS / name).read_text())["dependencies"]
    found: dict[str, str | None] = {}
    for dep in deps:
        if isinstance(dep, dict):  # the pip: section
            for line in dep["pip"]:
                if line.startswith("-"):  # an option (--extra-index-url ...)
                    continue
                r = Requirement(line)
                pins = [s.version for s in r.specifier if s.operator == "=="]
                found[canonicalize_name(r.name)] = pins[0] if pins else None
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(?:==?\s*([^=\s]+))?", dep)
        assert m, f"{name}: cannot read the dependency {dep!r}"
        package = canonicalize_name(CONDA_NAMES.get(m.group(1), m.group(1)))
        found[package] = m.group(2)
    return found


@pytest.mark.parametrize("env", [CORE, TRANSFORMER])
def test_every_runtime_dependency_is_in_the_env_at_an_allowed_version(env):
    packages = env_packages(env)
    needed = set(runtime_requirements()) - ENGINE - (TRANSFORMER_ONLY if env == CORE else set())
    missing = sorted(needed - set(packages))
    assert not missing, f"envs/{env} lacks {missing} (pyproject.toml's dependencies)"
    for name, requirement in runtime_requirements().items():
        version = packages.get(name)
        if version is not None:
            assert requirement.specifier.contains(Version(version), prereleases=True), (
                f"envs/{env}: {name} {version} is outside pyproject.toml's {requirement}"
            )
    if env == CORE:  # the heavy ones stay out of the core rules' env
        assert not TRANSFORMER_ONLY & set(packages)


def test_the_transformer_env_is_the_core_env_plus_torch():
    core, transformer = env_packages(CORE), env_packages(TRANSFORMER)
    differ = {name: (v, transformer.get(name, "absent")) for name, v in core.items()
              if transformer.get(name, "absent") != v}
    assert not differ, f"envs/{TRANSFORMER} must hold envs/{CORE} at the same pins: {differ}"
    assert TRANSFORMER_ONLY <= set(transformer)


def test_rules_name_existing_envs_and_transformer_rules_the_transformer_env():
    used = {}
    for path in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        for block in re.split(r"^(?=rule \w+:)", path.read_text(), flags=re.MULTILINE)[1:]:
            rule = re.match(r"rule (\w+):", block).group(1)
            env = re.search(r"^    conda:\n        \"([^\"]+)\"", block, re.MULTILINE)
            if env:
                used[rule] = (path.parent / env.group(1)).resolve()
    assert len(used) > 15  # the scan sees the rules
    assert all(env.is_file() for env in used.values()), {r: e for r, e in used.items() if not e.is_file()}
    # the rules that may run a transformer tracker: train its model, fit it, track with it
    for rule in ("model", "fit", "edges"):
        assert used[rule] == ENVS.resolve() / TRANSFORMER, rule
    assert {r for r, e in used.items() if e.name == TRANSFORMER} == {"model", "fit", "edges"}
