"""The pre-commit hooks, run by the real ``pre-commit try-repo`` against this repository.

pre-commit builds the hook's environment from the repository (``pip install`` of a clone of
HEAD), so this also proves the project installs as a package. About 30 s, mostly the install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")

LAYER = """\
import keras


class Block(keras.layers.Layer):
    pass
"""


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)


@pytest.mark.skipif(shutil.which("git") is None or not PRE_COMMIT.exists(), reason="needs git and pre-commit")
def test_pre_commit_hooks_fail_then_fix_then_pass(tmp_path):
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    # The hooks as committed: a clone of HEAD (pre-commit installs from a revision).
    hooks_repo = tmp_path / "hooks-repo"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(hooks_repo)], check=True,
                   capture_output=True)
    if not (hooks_repo / ".pre-commit-hooks.yaml").exists():
        pytest.skip(".pre-commit-hooks.yaml is not committed yet")

    work = tmp_path / "work"
    work.mkdir()
    git("init", "--quiet", cwd=work)
    git("config", "user.email", "test@example.com", cwd=work)
    git("config", "user.name", "test", cwd=work)
    (work / "pyproject.toml").write_text('[tool.dlt-lint]\nselect = ["DLT201"]\n')
    (work / "layer.py").write_text(LAYER)
    git("add", ".", cwd=work)
    git("commit", "--quiet", "-m", "a layer", cwd=work)

    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PRE_COMMIT_COLOR="never")
    env.pop("VIRTUAL_ENV", None)

    def try_repo(hook: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(PRE_COMMIT), "try-repo", str(hooks_repo), hook, "--all-files"], cwd=work,
                              env=env, capture_output=True, text=True, timeout=900)

    check = try_repo("dlt-lint")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "layer.py:4:7: DLT201" in check.stdout

    fixed = try_repo("dlt-lint-fix")
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr  # pre-commit fails a hook that changed files
    assert "files were modified by this hook" in fixed.stdout
    assert (work / "layer.py").read_text() == LAYER.replace(
        "class Block", "@keras.saving.register_keras_serializable()\nclass Block")

    again = try_repo("dlt-lint")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Passed" in again.stdout
