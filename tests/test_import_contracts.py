"""The import-direction contracts of pyproject.toml ([tool.importlinter]) hold on the tree,
and bite: a copy of the tree with one import planted against the direction, or with one of
today's listed exceptions no longer ignored, fails lint-imports. Static analysis only: no
database, nothing imported."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["root_packages"]


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", "--config", str(cwd / "pyproject.toml")],
        cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The apps' Python files and pyproject.toml, copied: enough for the import graph."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "data", "static"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_its_contracts() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(("module", "planted", "verdict"), [
    ("grids/models.py", "from risk import services", "grids is not allowed to import risk"),
    ("geo/coords.py", "from cases import services", "geo is not allowed to import cases"),
    ("cases/selectors.py", "from oversight import kpis", "cases is not allowed to import oversight"),
    ("risk/services.py", "from oversight import kpis", "risk is not allowed to import oversight"),
    ("accounts/services.py", "from cases import services", "accounts is not allowed to import cases"),
    ("access/roles.py", "from cases import models", "access is not allowed to import cases"),
    ("grids/models.py", "from access import roles", "grids is not allowed to import access"),
    ("access/scopes.py", "from geo import selectors", "access is not allowed to import geo"),
    # The cycles issue 12 removed: tasks → services → tasks, and services → registry → services.
    ("cases/services/notifications.py", "from cases import tasks", "cases.services is not allowed to import cases.tasks"),
    ("cases/workflow.py", "from cases import services", "cases.workflow is not allowed to import cases.services"),
])
def test_a_new_import_against_the_direction_fails(tree: Path, module: str, planted: str, verdict: str) -> None:
    path = tree / module
    path.write_text(path.read_text() + f"\n{planted}  # planted\n")
    result = _lint(tree)
    assert result.returncode == 1, result.stdout
    assert verdict in result.stdout
    assert "planted" not in (ROOT / module).read_text()


def test_the_direction_has_no_exceptions() -> None:
    # Issue 12 moved the last imports against the direction (the cells layer and geo/api/,
    # into oversight): an ignore_imports entry would let a new one through unseen.
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    assert [c["id"] for c in contracts if c.get("ignore_imports")] == []


@pytest.mark.parametrize(("module", "planted", "verdict"), [
    # The imports the layers contract used to list as exceptions: now each fails.
    ("geo/selectors.py", "from cases import models", "geo is not allowed to import cases"),
    ("geo/selectors.py", "from risk import models", "geo is not allowed to import risk"),
    ("geo/coords.py", "from oversight import map_selectors", "geo is not allowed to import oversight"),
])
def test_a_former_exception_now_fails(tree: Path, module: str, planted: str, verdict: str) -> None:
    path = tree / module
    path.write_text(path.read_text() + f"\n{planted}  # planted\n")
    result = _lint(tree)
    assert result.returncode == 1, result.stdout
    assert verdict in result.stdout
