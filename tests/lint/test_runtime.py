"""`dlt-lint --runtime`: the serialization round trip reported as DLT901 through the CLI."""

import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("keras")

GOOD = textwrap.dedent('''
    """Scaling layer."""
    from typing import Any

    import keras


    @keras.saving.register_keras_serializable(package="runtime_test")
    class GoodScale(keras.layers.Layer):
        """Multiply by a constant factor."""

        def __init__(self, factor: float = 2.0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs: Any) -> Any:
            """Scale the inputs."""
            return inputs * self.factor

        def get_config(self) -> dict:
            """Serializable configuration."""
            config = super().get_config()
            config.update({"factor": self.factor})
            return config
''')

# Statically clean for DLT203 (the key is "saved"), but the value is wrong: only running it shows it.
DRIFT = (GOOD.replace('config.update({"factor": self.factor})', 'config.update({"factor": 1.0})')
         .replace("GoodScale", "DriftScale"))


def _lint(path, *extra):
    return subprocess.run([sys.executable, "-m", "dlt_lint", path.name, "--no-cache", "--select", "DLT2,DLT901",
                           "--runtime", "--output-format", "concise", *extra],
                          capture_output=True, text=True, timeout=600, cwd=path.parent)


def test_runtime_reports_output_drift_and_passes_a_good_layer(tmp_path):
    good = tmp_path / "good_scale.py"
    good.write_text(GOOD)
    drift = tmp_path / "drift_scale.py"
    drift.write_text(DRIFT)

    proc = _lint(drift)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = [line for line in proc.stdout.splitlines() if "DLT901" in line]
    assert lines and all(line.startswith("drift_scale.py:") for line in lines), proc.stdout
    assert "DriftScale" in lines[0]

    proc = _lint(good)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "DLT901" not in proc.stdout


def test_rule_documentation_for_dlt901():
    proc = subprocess.run([sys.executable, "-m", "dlt_lint", "rule", "DLT901"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and "round trip" in proc.stdout
