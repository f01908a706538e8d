"""Formatting generated code with ``ruff format -`` (the ruff binary next to the interpreter)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["FormatError", "find_ruff", "format_source"]

RUFF_TIMEOUT = 60.0


class FormatError(RuntimeError):
    """ruff could not format the text (usually: the rendered code is not valid Python)."""


def find_ruff() -> str | None:
    """Path of the ruff executable: the one in the running venv first, then ``PATH``.

    ``DLT_AGENT_RUFF`` overrides the lookup (an empty value means "no ruff").
    """
    override = os.environ.get("DLT_AGENT_RUFF")
    if override is not None:
        return override or None
    bindir = Path(sys.executable).parent
    for name in ("ruff", "ruff.exe"):
        candidate = bindir / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("ruff")


def format_source(source: str, filename: Path, ruff: str) -> str:
    """Format ``source`` as if it were the file ``filename`` (ruff finds the project config).

    :raises FormatError: ruff failed; the message carries ruff's error output.
    """
    cwd = filename.parent if filename.parent.is_dir() else Path.cwd()
    try:
        proc = subprocess.run(
            [ruff, "format", "--stdin-filename", str(filename), "-"],
            input=source,
            capture_output=True,
            text=True,
            timeout=RUFF_TIMEOUT,
            cwd=cwd,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FormatError(f"could not run {ruff}: {exc}") from exc
    if proc.returncode != 0:
        message = (proc.stderr or proc.stdout).strip().splitlines()
        detail = " ".join(line.strip() for line in message[:3]) or f"exit code {proc.returncode}"
        raise FormatError(f"ruff format failed on {filename.name}: {detail}")
    return proc.stdout
