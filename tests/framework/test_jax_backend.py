"""The framework's round-trip suite, run again under the JAX backend in its own process.

Keras fixes its backend at import time, so the JAX run cannot share this process: it starts
pytest in a subprocess with ``KERAS_BACKEND=jax`` and selects every round-trip test.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_roundtrip_backend_matches_environment():
    """Part of the round-trip selection: proves which backend the suite really ran on."""
    assert keras.backend.backend() == os.environ.get("KERAS_BACKEND", "tensorflow")


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")
@pytest.mark.skipif(os.environ.get("KERAS_BACKEND") == "jax", reason="already running under JAX")
def test_roundtrip_suite_under_jax():
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    cmd = [sys.executable, "-m", "pytest", "tests/framework", "-k", "roundtrip", "-q",
           "-p", "no:cacheprovider", "-p", "no:xdist", "-x",
           "--deselect", "tests/framework/test_jax_backend.py::test_roundtrip_suite_under_jax"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    tail = (proc.stdout + proc.stderr)[-6000:]
    assert proc.returncode == 0, f"round-trip suite failed under JAX:\n{tail}"
    assert " passed" in proc.stdout and " failed" not in proc.stdout, tail
