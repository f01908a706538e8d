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
