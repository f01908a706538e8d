"""The serialization validator catches each broken layer at the right stage, in subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dlt_agent.validator import Target, resolve_target, validate_path, validate_targets

HEADER = textwrap.dedent('''\
    from typing import Any, Dict

    import keras
    import numpy as np
    ''')

BROKEN = {
    # get_config forgets ``scale``: from_config gets the default and computes something else.
    "omits_param": '''
@keras.saving.register_keras_serializable(package="agent_tests")
class OmitsParam(keras.layers.Layer):
    def __init__(self, dim: int, scale: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dim = dim
        self.scale = scale
        self.proj = keras.layers.Dense(dim)

    def build(self, input_shape):
        self.proj.build(input_shape)
        super().build(input_shape)

    def call(self, inputs):
        return self.proj(inputs) * self.scale

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"dim": self.dim})
        return config
''',
    # ``proj`` is created in __init__ but build() never builds it.
    "unbuilt": '''
@keras.saving.register_keras_serializable(package="agent_tests")
class Unbuilt(keras.layers.Layer):
    def __init__(self, dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dim = dim
        self.proj = keras.layers.Dense(dim)

    def build(self, input_shape):
        super().build(input_shape)

    def call(self, inputs):
        return self.proj(inputs)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"dim": self.dim})
        return config
''',
    # No register_keras_serializable: a fresh process cannot find the class.
    "unregistered": '''
class Unregistered(keras.layers.Layer):
    def __init__(self, dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dim = dim
        self.proj = keras.layers.Dense(dim)

    def build(self, input_shape):
        self.proj.build(input_shape)
        super().build(input_shape)

    def call(self, inputs):
        return self.proj(inputs)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"dim": self.dim})
        return config
''',
    # Hidden per-process state: same within a process, different after reloading elsewhere.
    "drifts": '''
_OFFSET = float(np.random.default_rng().uniform(1.0, 2.0))


@keras.saving.register_keras_serializable(package="agent_tests")
class Drifts(keras.layers.Layer):
    def __init__(self, dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dim = dim

    def call(self, inputs):
        return inputs + _OFFSET

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"dim": self.dim})
        return config
''',
    # A correct layer with a required parameter no standard name covers (needs --arg).
    "good": '''
@keras.saving.register_keras_serializable(package="agent_tests")
class Good(keras.layers.Layer):
    def __init__(self, dim: int, gain: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dim = dim
        self.gain = gain
        self.proj = keras.layers.Dense(dim)

    def build(self, input_shape):
        self.proj.build(input_shape)
        super().build(input_shape)

    def call(self, inputs):
        return self.proj(inputs) * self.gain

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"dim": self.dim, "gain": self.gain})
        return config
''',
}


@pytest.fixture(scope="module")
def broken_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``agent_validator_cases`` with one module per broken layer."""
    root = tmp_path_factory.mktemp("cases")
    pkg = root / "agent_validator_cases"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name, body in BROKEN.items():
        (pkg / f"{name}.py").write_text(HEADER + body)
    (pkg / "hangs.py").write_text("import time\n\nwhile True:\n    time.sleep(0.05)\n")
    return pkg


def test_each_failure_is_caught_at_its_stage(broken_package: Path) -> None:
    """One TensorFlow run over all cases (one process pair); every stage is right."""
    targets = []
    for name in BROKEN:
        targets += resolve_target(str(broken_package / f"{name}.py"))
    report = validate_targets(targets, backends="tensorflow", timeout=240, args={"gain": 2.0})
    by_class = {r.class_name: r for r in report.results}
    assert by_class["OmitsParam"].stage == "config"
    assert "omits __init__ parameter(s): scale" in by_class["OmitsParam"].message
    assert by_class["Unbuilt"].stage == "build"
    assert "proj" in by_class["Unbuilt"].message
    assert by_class["Unregistered"].stage == "load"
    assert "Unregistered" in by_class["Unregistered"].message
    assert by_class["Drifts"].stage == "compare"
    assert "outputs change after save/load" in by_class["Drifts"].message
    assert by_class["Good"].ok, by_class["Good"].describe()
    assert by_class["Good"].passed == ["instantiate", "build", "call", "config", "save", "load", "compare"]
    diagnostics = report.diagnostics()
    assert {d.code for d in diagnostics} == {"DLT901"}
    assert len(diagnostics) == 4
    unbuilt = next(d for d in diagnostics if "Unbuilt" in d.message)
    assert unbuilt.filename.endswith("unbuilt.py")
    assert unbuilt.start.row == 7  # the class line, not its decorator
    assert "at 'build' (tensorflow)" in unbuilt.message


def test_a_hanging_import_hits_the_time_limit(broken_package: Path) -> None:
    """A module that never finishes importing is killed and reported at ``import``."""
    diagnostics = validate_path(broken_package / "hangs.py", backend="jax", timeout=8)
    assert len(diagnostics) == 1
    assert "at 'import'" in diagnostics[0].message
    assert "timed out after 8 s" in diagnostics[0].message


def test_missing_required_value_is_an_instantiate_failure(broken_package: Path) -> None:
    """Without ``--arg gain=...`` the validator says which value it cannot infer (CLI, JSON)."""
    proc = subprocess.run(
        [sys.executable, "-m", "dlt_agent.cli", "validate", f"{broken_package / 'good.py'}:Good",
         "--backend", "jax", "--json"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    (result,) = data["results"]
    assert result["stage"] == "instantiate"
    assert "gain" in result["message"] and "--arg" in result["message"]
    assert data["diagnostics"][0]["code"] == "DLT901"


def test_resolve_target_spellings(broken_package: Path) -> None:
    """PATH, PATH:Class, MODULE, MODULE:Class and a package directory."""
    (t,) = resolve_target(str(broken_package / "good.py"))
    assert (t.module, t.class_name, t.sys_path) == ("agent_validator_cases.good", None, str(broken_package.parent))
    (t,) = resolve_target(f"{broken_package / 'good.py'}:Good")
    assert t.class_name == "Good"
    assert resolve_target("dl_techniques.layers.ffn.mlp:MLPBlock") == [
        Target("dl_techniques.layers.ffn.mlp", "MLPBlock")]
    modules = {t.module for t in resolve_target(str(broken_package))}
    assert modules == {f"agent_validator_cases.{n}" for n in [*BROKEN, "hangs"]}
    with pytest.raises(ValueError, match="no such file"):
        resolve_target(str(broken_package / "missing.py"))
    with pytest.raises(ValueError):
        resolve_target("not a module!")


def test_spawn_fallback_without_fork(broken_package: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``os.fork`` (``DLT_AGENT_VALIDATOR_FORK=0``) a run and a load process are
    spawned instead; the fresh loading process still exposes per-process state."""
    monkeypatch.setenv("DLT_AGENT_VALIDATOR_FORK", "0")
    targets = resolve_target(str(broken_package / "drifts.py")) + resolve_target(
        f"{broken_package / 'good.py'}:Good")
    report = validate_targets(targets, backends="jax", timeout=240, args={"gain": 0.5})
    by_class = {r.class_name: r for r in report.results}
    assert by_class["Drifts"].stage == "compare"
    assert by_class["Good"].ok and by_class["Good"].passed[-2:] == ["load", "compare"]
