"""The built wheel, installed into a fresh virtual environment, works on its own.

This is the installation a user gets from ``pip install dlt-devkit``: the linter and the
agent's templates, without Keras. It proves the package data ships, the console scripts
exist, and linting never needs Keras.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BAD_LAYER = textwrap.dedent('''
    import keras


    class Block(keras.layers.Layer):
        """A block."""
''')


def _run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    build = _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp / "dist"), str(ROOT)])
    if build.returncode != 0 and "No module named build" in build.stderr:
        pytest.skip("the 'build' package is not installed (dev extra)")
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    wheels = list((tmp / "dist").glob("dlt_devkit-*.whl"))
    assert len(wheels) == 1, wheels
    env_dir = tmp / "venv"
    assert _run([sys.executable, "-m", "venv", str(env_dir)]).returncode == 0
    pip = _run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheels[0])])
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    return env_dir


def test_wheel_lints_and_fixes_without_keras(venv, tmp_path):
    py = str(venv / "bin" / "python")
    probe = _run([py, "-c", "import importlib.util as u; print(u.find_spec('keras') is None)"])
    assert probe.stdout.strip() == "True", "the light install must not pull in Keras"
    target = tmp_path / "block.py"
    target.write_text(BAD_LAYER)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    lint = _run([str(venv / "bin" / "dlt-lint"), str(target), "--no-cache", "--select", "DLT201"],
                cwd=tmp_path, env=env)
    assert lint.returncode == 1 and "DLT201" in lint.stdout, lint.stdout + lint.stderr
    fix = _run([str(venv / "bin" / "dlt-lint"), str(target), "--no-cache", "--select", "DLT201", "--fix"],
               cwd=tmp_path, env=env)
    assert fix.returncode == 0, fix.stdout + fix.stderr
    assert "@keras.saving.register_keras_serializable()" in target.read_text()


def test_wheel_ships_templates_and_framework_sources(venv):
    py = str(venv / "bin" / "python")
    code = textwrap.dedent('''
        import importlib.util
        from dlt_agent.templating import bundled_templates_dir
        names = sorted(p.name for p in bundled_templates_dir().glob("*.j2"))
        assert "attention.py.j2" in names and "test_attention.py.j2" in names, names
        spec = importlib.util.find_spec("dl_techniques")
        assert spec is not None and spec.origin.endswith("__init__.py")
        print(len(names))
    ''')
    out = _run([py, "-c", code], cwd="/")
    assert out.returncode == 0, out.stdout + out.stderr
    assert int(out.stdout.strip()) >= 12
    rules = _run([str(venv / "bin" / "dlt-lint"), "rules"], cwd="/")
    assert rules.returncode == 0 and "DLT203" in rules.stdout
