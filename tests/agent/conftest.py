"""Fixtures of the dlt-agent tests: temporary copies of the bundled framework.

The tests never touch the repository's ``framework/``: every generation writes into a copy
made with ``shutil.copytree`` under ``tmp_path``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FRAMEWORK = REPO / "framework" / "dl_techniques"


def copy_framework(root: Path) -> Path:
    """``root/framework/dl_techniques`` (a copy) plus an empty ``root/tests/framework``."""
    target = root / "framework" / "dl_techniques"
    shutil.copytree(FRAMEWORK, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    tests = root / "tests" / "framework"
    tests.mkdir(parents=True)
    (root / "tests" / "__init__.py").write_text("")
    (tests / "__init__.py").write_text("")
    return target


def tree_digest(root: Path) -> str:
    """Hash of every file (path and bytes) below ``root``."""
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if "__pycache__" in path.parts:
                continue
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def fw_copy(tmp_path: Path) -> Path:
    """A fresh framework copy for one test; returns the copy's ``dl_techniques`` directory."""
    return copy_framework(tmp_path)


@pytest.fixture(scope="module")
def fw_module_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A framework copy shared by the tests of one module."""
    return copy_framework(tmp_path_factory.mktemp("fw"))
