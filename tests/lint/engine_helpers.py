"""Helpers shared by the engine / CLI / cache / fix-safety tests: small projects on disk,
in-process and subprocess runs of the real command line, and test-only rules."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from dlt_lint import rule as rule_module
from dlt_lint.cli import run_cli
from dlt_lint.rule import Rule

DLT_LINT = Path(sys.executable).with_name("dlt-lint")

UNREGISTERED = """\
import keras


class Block(keras.layers.Layer):
    pass
"""

REGISTERED = """\
import keras


@keras.saving.register_keras_serializable()
class Block(keras.layers.Layer):
    pass
"""

FIXED_UNREGISTERED = """\
import keras


@keras.saving.register_keras_serializable()
class Block(keras.layers.Layer):
    pass
"""


DEFAULT_PYPROJECT = '[tool.dlt-lint]\nselect = ["DLT000", "DLT201"]\n'


def write(root: Path, files: dict[str, str], pyproject: str | None = DEFAULT_PYPROJECT) -> Path:
    """Create ``files`` (dedented) under ``root`` with a ``pyproject.toml``; returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    if pyproject is not None:
        (root / "pyproject.toml").write_text(pyproject)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def cli(args: list[str], cwd: Path, capsys) -> tuple[int, str, str]:
    """Run the command line in-process (fast); returns (exit code, stdout, stderr)."""
    old = Path.cwd()
    os.chdir(cwd)
    try:
        capsys.readouterr()
        code = run_cli(args)
        out, err = capsys.readouterr()
    finally:
        os.chdir(old)
    return code, out, err


def subprocess_cli(args: list[str], cwd: Path, module: bool = False,
                   env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the installed ``dlt-lint`` executable (or ``python -m dlt_lint``)."""
    cmd = [sys.executable, "-m", "dlt_lint", *args] if module else [str(DLT_LINT), *args]
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=full_env, timeout=300)


@contextmanager
def registered_rules(*rules: tuple[str, type[Rule]]) -> Iterator[None]:
    """Register test-only rules (``(code, class)`` pairs) for the duration of the block."""
    registry = rule_module._REGISTRY
    saved = dict(registry)
    try:
        for code, cls in rules:
            cls.code = code
            registry[code] = cls
        yield
    finally:
        registry.clear()
        registry.update(saved)
