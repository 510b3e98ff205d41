"""Every distribution of the workspace ships its licence, its type marker and honest metadata."""

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = [ROOT / "core"] + sorted(p.parent for p in (ROOT / "plugins").glob("*/pyproject.toml"))


def _meta(project: Path) -> dict:
    return tomllib.loads((project / "pyproject.toml").read_text())


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_distribution_carries_the_licence_and_metadata(project):
    meta = _meta(project)["project"]
    assert (project / "LICENSE").read_bytes() == (ROOT / "LICENSE").read_bytes()
    assert meta["license"] == "Apache-2.0" and "Apache License" in (ROOT / "LICENSE").read_text()[:200]
    assert "Typing :: Typed" in meta["classifiers"]
    package = next(p for p in (project / "src").iterdir() if (p / "__init__.py").exists())
    assert (package / "py.typed").exists(), f"{package} has no py.typed"
    assert "py.typed" in _meta(project)["tool"]["setuptools"]["package-data"][package.name]


@pytest.mark.parametrize("project", PROJECTS[1:], ids=lambda p: p.name)
def test_plugins_pin_the_0x_core(project):
    deps = _meta(project)["project"]["dependencies"]
    assert "runwire>=0.1,<0.2" in deps, deps


def test_built_wheel_contains_licence_and_py_typed(tmp_path):
    project = ROOT / "plugins" / "tools"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(tmp_path), str(project)], check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith("licenses/LICENSE") or n.endswith("/LICENSE") for n in names), names
    assert "runwire_tools/py.typed" in names
