"""The three places that list what the lessons need agree: requirements.txt, environment.yml, pyproject.toml."""
import re
from pathlib import Path

import pytest
import yaml

try:
    import tomllib                                   # Python 3.11+
except ModuleNotFoundError:                          # Python 3.10: the same parser as a package
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch-cpu": "torch", "pytorch": "torch"}   # conda-forge's name -> PyPI's


def split(spec):
    """'numpy>=1.24' -> ('numpy', '>=1.24'); names lower-cased, '_' and '-' alike."""
    m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", spec)
    assert m, f"cannot read the requirement {spec!r}"
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def requirements():
    out, editable = {}, False
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line == "-e .":
            editable = True
            continue
        name, version = split(line)
        out[name] = version
    return out, editable


def conda_environment():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert isinstance(env, dict) and env.get("name") == "gan-lesson", "environment.yml must name the env gan-lesson"
    out, pip = {}, []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip += dep.get("pip", [])
            continue
        name, version = split(dep.replace("=", "==", 1) if re.fullmatch(r"[\w\-]+=[\d.]+", dep) else dep)
        out[CONDA_NAMES.get(name, name)] = version
    return out, pip, env


def test_requirements_install_the_package_itself():
    _, editable = requirements()
    assert editable, "requirements.txt must install the lessons' package with '-e .'"


def test_environment_yml_parses_and_lists_the_same_packages_as_requirements():
    reqs, _ = requirements()
    conda, pip, env = conda_environment()
    assert "conda-forge" in env["channels"]
    assert "-e ." in pip, "environment.yml must install the package itself (pip: -e .)"
    conda.pop("python"), conda.pop("pip")
    assert set(conda) == set(reqs), (f"only in environment.yml: {sorted(set(conda) - set(reqs))}; "
                                     f"only in requirements.txt: {sorted(set(reqs) - set(conda))}")
    for name, version in reqs.items():
        assert conda[name] == version, f"{name}: requirements.txt asks {version!r}, environment.yml {conda[name]!r}"


def test_pyproject_dependencies_are_all_in_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs, _ = requirements()
    for spec in project["dependencies"]:
        name, version = split(spec)
        assert reqs.get(name) == version, f"pyproject asks {spec!r}; requirements.txt has {name}{reqs.get(name)!r}"
