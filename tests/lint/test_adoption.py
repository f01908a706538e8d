"""Adopting dlt-lint on an existing code base: --add-noqa, --baseline, --changed-since."""

import ast
import json
import subprocess
import sys
import textwrap

import pytest

LAYERS = textwrap.dedent('''
    import keras


    class First(keras.layers.Layer):  # noqa: E501
        pass


    class Second(keras.layers.Layer):
        pass
''')

NEW_CLASS = textwrap.dedent('''


    class Third(keras.layers.Layer):
        pass
''')


def dlt(cwd, *args):
    return subprocess.run([sys.executable, "-m", "dlt_lint", *args, "--no-cache", "--select", "DLT201",
                           "--output-format", "concise"], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_add_noqa_silences_everything_and_keeps_the_code(tmp_path):
    target = tmp_path / "layers.py"
    target.write_text(LAYERS)
    proc = dlt(tmp_path, "layers.py", "--add-noqa")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Added 2 noqa directive(s)." in proc.stderr
    text = target.read_text()
    assert "class First(keras.layers.Layer):  # noqa: E501, DLT201" in text
    assert "class Second(keras.layers.Layer):  # noqa: DLT201" in text
    assert ast.dump(ast.parse(text)) == ast.dump(ast.parse(LAYERS))
    assert dlt(tmp_path, "layers.py").returncode == 0
    # Nothing left to add: a second run changes nothing.
    assert "Added 0" in dlt(tmp_path, "layers.py", "--add-noqa").stderr
    assert target.read_text() == text


def test_add_noqa_never_comments_inside_a_string():
    from dlt_lint.adoption import add_noqa
    from dlt_lint.diagnostics import Diagnostic, Position

    source = 'x = """first\nsecond"""\n'
    inside = Diagnostic("DLT504", "m", "f.py", Position(1, 0), Position(2, 9))
    new, changed = add_noqa(source, [inside])
    assert (new, changed) == (source, 0)


def test_baseline_reports_only_new_violations_even_after_lines_move(tmp_path):
    target = tmp_path / "layers.py"
    target.write_text(LAYERS)
    record = dlt(tmp_path, "layers.py", "--baseline", "dlt-baseline.json")
    assert record.returncode == 0 and "Recorded 2 violation(s)" in record.stderr, record.stderr
    data = json.loads((tmp_path / "dlt-baseline.json").read_text())
    assert data["version"] == 1 and {e["code"] for e in data["violations"]} == {"DLT201"}

    assert dlt(tmp_path, "layers.py", "--baseline", "dlt-baseline.json").returncode == 0
    # Lines shift: still nothing new.
    target.write_text('"""Layers."""\n\n\n' + LAYERS)
    assert dlt(tmp_path, "layers.py", "--baseline", "dlt-baseline.json").returncode == 0
    # A new violation is reported, the old ones are not.
    target.write_text(target.read_text() + NEW_CLASS)
    proc = dlt(tmp_path, "layers.py", "--baseline", "dlt-baseline.json")
    assert proc.returncode == 1
    assert [line for line in proc.stdout.splitlines() if "DLT201" in line] == [
        line for line in proc.stdout.splitlines() if "Third" in line]
    assert "Third" in proc.stdout
    # A corrupt baseline is a one-line error, exit 2.
    (tmp_path / "bad.json").write_text("{not json")
    bad = dlt(tmp_path, "layers.py", "--baseline", "bad.json")
    assert bad.returncode == 2 and "cannot read baseline" in bad.stderr


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@e", "PATH": "/usr/bin:/bin"})


@pytest.mark.skipif(subprocess.run(["git", "--version"], capture_output=True).returncode != 0,
                    reason="git is not installed")
def test_changed_since_reports_only_changed_lines_and_new_files(tmp_path):
    _git(tmp_path, "init", "-q")
    (tmp_path / "layers.py").write_text(LAYERS)
    _git(tmp_path, "add", "layers.py")
    _git(tmp_path, "commit", "-qm", "start")
    (tmp_path / "layers.py").write_text(LAYERS + NEW_CLASS)
    (tmp_path / "fresh.py").write_text("import keras\n\n\nclass Fresh(keras.layers.Layer):\n    pass\n")
    proc = dlt(tmp_path, ".", "--changed-since", "HEAD")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    reported = [line for line in proc.stdout.splitlines() if "DLT201" in line]
    assert len(reported) == 2
    assert any("Third" in line for line in reported) and any("Fresh" in line for line in reported)
    bad = dlt(tmp_path, ".", "--changed-since", "no-such-ref")
    assert bad.returncode == 2 and "unknown git reference" in bad.stderr
