"""Start-up cost matters for a pre-commit hook: a lint run imports neither Keras nor pydantic."""

import subprocess
import sys


def test_a_lint_run_imports_neither_keras_nor_pydantic(tmp_path):
    (tmp_path / "layer.py").write_text("import keras\n\n\nclass A(keras.layers.Layer):\n    pass\n")
    code = (
        "import sys\n"
        "from dlt_lint.cli import run_cli\n"
        "rc = run_cli(['layer.py', '--no-cache', '-q', '--runtime-timeout', '5', '-j', '1'])\n"
        "heavy = sorted(m for m in ('keras', 'tensorflow', 'jax', 'pydantic') if m in sys.modules)\n"
        "print(rc, heavy, file=sys.stderr)\n"
        "sys.exit(0 if rc == 1 and not heavy else 3)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


_RUN_TWICE = (
    "import sys\n"
    "from dlt_lint.cli import run_cli\n"
    "rc = run_cli(['layer.py', '-q', '-j', '1'])\n"
    "print(rc, 'dlt_lint.rules' in sys.modules, file=sys.stderr)\n"
)


def test_a_warm_run_does_not_import_the_rule_modules(tmp_path):
    (tmp_path / "layer.py").write_text("import keras\n\n\nclass A(keras.layers.Layer):\n    pass\n")
    runs = [subprocess.run([sys.executable, "-c", _RUN_TWICE], cwd=tmp_path, capture_output=True, text=True,
                           timeout=120) for _ in range(2)]
    assert [r.stderr.split()[-2:] for r in runs] == [["1", "True"], ["1", "False"]], [r.stderr[-1000:] for r in runs]
    assert "DLT201" in runs[0].stdout and runs[1].stdout == runs[0].stdout
