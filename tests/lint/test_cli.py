"""The dlt-lint command line: exit codes, subcommands, selection, configuration, noqa."""

from __future__ import annotations

import json
import os
import re

import pytest

from tests.lint.engine_helpers import (
    REGISTERED,
    UNREGISTERED,
    cli,
    subprocess_cli,
    write,
)

CONCISE = re.compile(r"^(?P<path>[^:]+):(?P<row>\d+):(?P<col>\d+): (?P<code>DLT\d{3}) (?P<msg>.+)$")


@pytest.fixture
def project(tmp_path):
    return write(tmp_path / "proj", {"pkg/__init__.py": "", "pkg/bad.py": UNREGISTERED,
                                     "pkg/good.py": REGISTERED})


# ------------------------------------------------------------------ the real executable
def test_executable_reports_violation_with_one_based_column_and_exit_1(project):
    proc = subprocess_cli(["pkg", "--output-format", "concise", "--no-cache"], project)
    assert proc.returncode == 1, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if CONCISE.match(line)]
    assert len(lines) == 1
    m = CONCISE.match(lines[0])
    # `class Block(...)`: the name starts at character 6 (0-based) -> column 7.
    assert (m["path"], m["row"], m["col"], m["code"]) == (os.path.join("pkg", "bad.py"), "4", "7", "DLT201")
    assert "Found 1 error." in proc.stdout


def test_python_dash_m_clean_run_exits_0(project):
    (project / "pkg" / "bad.py").write_text(REGISTERED)
    proc = subprocess_cli(["--no-cache"], project, module=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All checks passed!" in proc.stdout


def test_executable_usage_error_exits_2(project):
    proc = subprocess_cli(["--select", "NOPE1", "pkg"], project)
    assert proc.returncode == 2
    assert "unknown rule selector 'NOPE1'" in proc.stderr


# ------------------------------------------------------------------ exit codes (in-process)
def test_exit_zero_turns_violations_into_success(project, capsys):
    code, out, _ = cli(["pkg", "--exit-zero", "--no-cache"], project, capsys)
    assert code == 0
    assert "DLT201" in out


def test_missing_path_is_reported_and_other_paths_still_linted(project, capsys):
    code, out, err = cli(["does/not/exist", "pkg", "--output-format", "concise", "--no-cache"], project, capsys)
    assert code == 2
    assert err.strip().splitlines() == ["error: does/not/exist: No such file or directory"]
    assert "pkg/bad.py:4:7: DLT201" in out


def test_invalid_configuration_is_one_line_and_exit_2(project, capsys):
    (project / "pyproject.toml").write_text("[tool.dlt-lint]\nselect = [\n")
    code, out, err = cli(["pkg", "--no-cache"], project, capsys)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: invalid configuration:")


def test_invalid_config_value_is_exit_2(project, capsys):
    (project / "pyproject.toml").write_text("[tool.dlt-lint]\nper-file-ignores = 3\n")
    code, _, err = cli(["pkg"], project, capsys)
    assert code == 2 and "per-file-ignores" in err


def test_missing_config_file_is_exit_2(project, capsys):
    code, _, err = cli(["pkg", "--config", "nope.toml"], project, capsys)
    assert code == 2 and "config file not found" in err


# ------------------------------------------------------------------ subcommands and the default path
@pytest.mark.parametrize("args", [["pkg"], ["check", "pkg"], [], ["check"]])
def test_default_command_and_default_path(project, capsys, args):
    code, out, _ = cli([*args, "--output-format", "concise", "--no-cache"], project, capsys)
    assert code == 1
    assert [CONCISE.match(line)["code"] for line in out.splitlines() if CONCISE.match(line)] == ["DLT201"]


def test_rule_prints_documentation(project, capsys):
    code, out, _ = cli(["rule", "DLT201"], project, capsys)
    assert code == 0
    assert out.startswith("# DLT201: missing-register-serializable")
    for section in ("## What it does", "## Why", "## Example", "## Use instead", "## Fix safety"):
        assert section in out


def test_rule_code_is_case_insensitive(project, capsys):
    code, out, _ = cli(["rule", "dlt201"], project, capsys)
    assert code == 0 and "DLT201" in out


def test_unknown_rule_is_exit_2_with_message(project, capsys):
    code, out, err = cli(["rule", "DLT999"], project, capsys)
    assert code == 2 and out == ""
    assert err.strip() == "error: unknown rule code 'DLT999'; `dlt-lint rules` lists the codes"


def test_rules_table_lists_every_rule(project, capsys):
    from dlt_lint.rule import all_rules

    code, out, _ = cli(["rules"], project, capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["CODE", "NAME", "FIX", "PREVIEW", "SUMMARY"]
    codes = [line.split()[0] for line in lines[1:]]
    assert codes == sorted(all_rules())
    row = next(line for line in lines if line.startswith("DLT201"))
    assert "missing-register-serializable" in row and "safe" in row


def test_rules_json(project, capsys):
    from dlt_lint.rule import all_rules

    code, out, _ = cli(["rules", "--output-format", "json"], project, capsys)
    assert code == 0
    data = json.loads(out)
    assert [r["code"] for r in data] == sorted(all_rules())
    entry = next(r for r in data if r["code"] == "DLT201")
    assert entry == {"code": "DLT201", "name": "missing-register-serializable",
                     "summary": all_rules()["DLT201"].summary, "fix": "safe", "preview": False}


def test_version(project, capsys):
    from dlt_lint import __version__

    code, out, _ = cli(["--version"], project, capsys)
    assert code == 0 and out.strip() == f"dlt-lint {__version__}"


# ------------------------------------------------------------------ selection
def test_select_ignore_and_extend_select(tmp_path, capsys):
    # DLT201 (unregistered) and DLT504 (print in library code) in one file.
    proj = write(tmp_path / "p", {"m.py": UNREGISTERED + "\n\nprint('x')\n"}, pyproject="[tool.dlt-lint]\n")

    def codes(*args):
        code, out, _ = cli(["m.py", "--output-format", "concise", "--no-cache", *args], proj, capsys)
        return {CONCISE.match(line)["code"] for line in out.splitlines() if CONCISE.match(line)}

    assert {"DLT201", "DLT504"} <= codes()
    assert codes("--select", "DLT201") == {"DLT201"}
    assert codes("--select", "DLT2") == {"DLT201"}
    assert codes("--select", "DLT201", "--extend-select", "DLT504") == {"DLT201", "DLT504"}
    assert "DLT201" not in codes("--ignore", "DLT201")
    assert codes("--select", "ALL", "--ignore", "DLT5") & {"DLT504", "DLT501", "DLT502"} == set()
    # The most specific selector wins: select DLT201 beats ignore DLT2.
    assert codes("--select", "DLT201", "--ignore", "DLT2,DLT5") == {"DLT201"}


def test_config_select_per_file_ignores_and_excludes(tmp_path, capsys):
    proj = write(tmp_path / "p", {
        "pkg/__init__.py": "",
        "pkg/a.py": UNREGISTERED,
        "pkg/norms/__init__.py": "",
        "pkg/norms/b.py": UNREGISTERED,
        "pkg/generated/c.py": UNREGISTERED,
        "experiments/d.py": UNREGISTERED,
    }, pyproject=(
        "[tool.dlt-lint]\n"
        'select = ["DLT201"]\n'
        'extend-exclude = ["experiments/", "generated"]\n'
        '[tool.dlt-lint.per-file-ignores]\n'
        '"pkg/norms/*.py" = ["DLT201"]\n'))
    code, out, _ = cli(["--output-format", "concise", "--no-cache"], proj, capsys)
    assert code == 1
    assert [line.split(":")[0] for line in out.splitlines() if CONCISE.match(line)] == ["pkg/a.py"]
    # A file named explicitly is linted even when excluded ...
    code, out, _ = cli(["experiments/d.py", "--output-format", "concise", "--no-cache"], proj, capsys)
    assert "experiments/d.py:4:7: DLT201" in out
    # ... unless --force-exclude (as the pre-commit hook does).
    code, out, _ = cli(["experiments/d.py", "--force-exclude", "--output-format", "concise", "--no-cache"],
                       proj, capsys)
    assert code == 0 and "DLT201" not in out


def test_config_file_option(tmp_path, capsys):
    proj = write(tmp_path / "p", {"m.py": UNREGISTERED}, pyproject=None)
    (proj / "lint.toml").write_text('select = ["DLT5"]\n')  # a dedicated file: the table is the file
    code, out, _ = cli(["m.py", "--config", "lint.toml", "--output-format", "concise", "--no-cache"], proj, capsys)
    assert "DLT201" not in out


def test_preview_flag_enables_preview_rules(tmp_path, capsys):
    from dlt_lint.rule import all_rules

    assert all_rules()["DLT505"].preview
    source = (
        "import keras\n\n\n"
        "@keras.saving.register_keras_serializable()\n"
        "class TinyAttention(keras.layers.Layer):\n"
        "    def __init__(self, dim, dropout_rate=0.1, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.dim = dim\n"
        "        self.dropout_rate = dropout_rate\n"
    )
    proj = write(tmp_path / "p", {"m.py": source}, pyproject="[tool.dlt-lint]\n")
    code, out, _ = cli(["m.py", "--select", "DLT505", "--no-cache"], proj, capsys)
    assert code == 0 and "DLT505" not in out  # a preview rule stays off without --preview
    code, out, err = cli(["m.py", "--select", "DLT505", "--preview", "--no-cache"], proj, capsys)
    assert code == 1, err
    assert "DLT505" in out


def test_unknown_selector_in_config_is_a_warning(tmp_path, capsys):
    proj = write(tmp_path / "p", {"m.py": UNREGISTERED}, pyproject='[tool.dlt-lint]\nignore = ["DLT999"]\n')
    code, out, err = cli(["m.py", "--no-cache"], proj, capsys)
    assert code == 1
    assert "warning: configuration ignore names unknown rule selector(s): DLT999" in err


# ------------------------------------------------------------------ noqa
@pytest.mark.parametrize(("comment", "suppressed"), [
    ("  # noqa: DLT201", True),
    ("  # noqa", True),
    ("  # NOQA:DLT201,DLT202", True),
    ("  # noqa: DLT202", False),
])
def test_noqa(tmp_path, capsys, comment, suppressed):
    text = UNREGISTERED.replace("class Block(keras.layers.Layer):", "class Block(keras.layers.Layer):" + comment)
    proj = write(tmp_path / "p", {"m.py": text})
    code, out, _ = cli(["m.py", "--output-format", "concise", "--no-cache"], proj, capsys)
    assert (code == 0) == suppressed
    assert ("DLT201" in out) != suppressed


# ------------------------------------------------------------------ statistics, diff, fix
def test_statistics(tmp_path, capsys):
    proj = write(tmp_path / "p", {"a.py": UNREGISTERED, "b.py": UNREGISTERED})
    code, out, _ = cli(["--statistics", "--no-cache"], proj, capsys)
    assert code == 1
    assert re.search(r"^2\tDLT201\t\[\*\] missing-register-serializable$", out, re.MULTILINE)
    assert "a.py:" not in out
    code, out, _ = cli(["--statistics", "--output-format", "json", "--no-cache"], proj, capsys)
    assert json.loads(out) == [{"code": "DLT201", "name": "missing-register-serializable", "count": 2,
                                "fixable": 2}]


def test_diff_prints_a_diff_and_writes_nothing(tmp_path, capsys):
    proj = write(tmp_path / "p", {"m.py": UNREGISTERED})
    before = (proj / "m.py").stat().st_mtime_ns
    code, out, err = cli(["m.py", "--diff", "--no-cache"], proj, capsys)
    assert code == 1
    assert out.startswith("--- a/m.py\n+++ b/m.py\n")
    assert "+@keras.saving.register_keras_serializable()\n" in out
    assert "Would fix 1 error." in err
    assert (proj / "m.py").read_text() == UNREGISTERED
    assert (proj / "m.py").stat().st_mtime_ns == before
    # --fix --diff: still only the diff.
    code, out2, _ = cli(["m.py", "--fix", "--diff", "--no-cache"], proj, capsys)
    assert out2 == out and (proj / "m.py").read_text() == UNREGISTERED


def test_fix_reports_counts_and_second_fix_changes_nothing(tmp_path, capsys):
    from tests.lint.engine_helpers import FIXED_UNREGISTERED

    proj = write(tmp_path / "p", {"m.py": UNREGISTERED})
    code, out, _ = cli(["m.py", "--fix", "--show-fixes"], proj, capsys)
    assert code == 0
    assert "Found 1 error (1 fixed, 0 remaining)." in out
    assert "1 \u00d7 DLT201 (missing-register-serializable)" in out
    assert (proj / "m.py").read_text() == FIXED_UNREGISTERED
    mtime = (proj / "m.py").stat().st_mtime_ns
    code, out, _ = cli(["m.py", "--fix"], proj, capsys)
    assert code == 0 and "All checks passed!" in out
    assert (proj / "m.py").stat().st_mtime_ns == mtime


def test_fix_with_remaining_violations_exits_1(tmp_path, capsys):
    proj = write(tmp_path / "p", {"m.py": UNREGISTERED + "\n\nprint('x')\n"},
                 pyproject='[tool.dlt-lint]\nselect = ["DLT201", "DLT504"]\n')
    code, out, _ = cli(["m.py", "--fix", "--output-format", "concise"], proj, capsys)
    assert code == 1
    assert "DLT504" in out and "DLT201" not in out.split("Found")[0]
    assert "(1 fixed, 1 remaining)" in out


def test_quiet_prints_no_summary(project, capsys):
    code, out, _ = cli(["pkg", "-q", "--output-format", "concise", "--no-cache"], project, capsys)
    assert code == 1 and "Found" not in out and "DLT201" in out


def test_progress_bar_only_on_a_terminal():
    from dlt_lint.cli import _progress_callback

    assert _progress_callback(10_000) == (None, None)  # pytest captures stderr: not a TTY


def test_rule_codes_are_known_without_importing_the_rules():
    """``known_codes`` (used to check selectors before any rule module is imported) reads the
    codes from the rule modules' names; they must be the codes the modules define."""
    from dlt_lint.rule import all_rules, external_rule_codes, known_codes

    rules = all_rules()
    built_in = {code for code, rule in rules.items() if rule.__module__.startswith("dlt_lint.rules.")}
    assert set(known_codes()) == built_in | set(external_rule_codes())
    for code in built_in:
        assert rules[code].__module__.rpartition(".")[2].upper().startswith(code + "_")
