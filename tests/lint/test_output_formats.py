"""Output formats: full, concise, json (RULES.md schema), sarif (2.1.0), github."""

from __future__ import annotations

import json
import re

import pytest
from dlt_lint.diagnostics import Diagnostic, Edit, Fix, Position
from dlt_lint.output import format_github, format_json, format_sarif

from tests.lint.engine_helpers import UNREGISTERED, cli, subprocess_cli, write

TWO_FILES = {"pkg/__init__.py": "", "pkg/bad.py": UNREGISTERED, "pkg/other.py": UNREGISTERED + "\n\nprint(1)\n"}
CONFIG = '[tool.dlt-lint]\nselect = ["DLT000", "DLT201", "DLT504"]\n'


@pytest.fixture
def project(tmp_path):
    return write(tmp_path / "proj", TWO_FILES, pyproject=CONFIG)


def test_json_matches_the_rules_md_schema(project):
    proc = subprocess_cli(["pkg", "--output-format", "json", "--no-cache"], project)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)  # nothing but the array on stdout
    assert isinstance(data, list) and len(data) == 3
    for item in data:
        assert set(item) == {"code", "message", "filename", "location", "end_location", "fix", "url"}
        assert set(item["location"]) == {"row", "column"} == set(item["end_location"])
        assert item["filename"] in ("pkg/bad.py", "pkg/other.py")  # relative, as reached from the argument
    reg = next(d for d in data if d["code"] == "DLT201" and d["filename"] == "pkg/bad.py")
    assert reg["location"] == {"row": 4, "column": 7} and reg["end_location"] == {"row": 4, "column": 12}
    assert reg["url"] is None
    fix = reg["fix"]
    assert fix["applicability"] == "safe" and fix["message"]
    assert fix["edits"] == [{"content": "@keras.saving.register_keras_serializable()\n",
                             "location": {"row": 4, "column": 1}, "end_location": {"row": 4, "column": 1}}]
    printed = next(d for d in data if d["code"] == "DLT504")
    assert printed["fix"] is None


def test_json_filename_stays_absolute_when_given_absolute(project, capsys):
    code, out, _ = cli([str(project / "pkg" / "bad.py"), "--output-format", "json", "--no-cache"], project, capsys)
    assert [d["filename"] for d in json.loads(out)] == [str(project / "pkg" / "bad.py")]


def test_json_round_trips_through_diagnostic_from_json(project, capsys):
    code, out, _ = cli(["pkg", "--output-format", "json", "--no-cache"], project, capsys)
    for item in json.loads(out):
        assert Diagnostic.from_json(item).to_json() == item


def test_json_empty_is_an_empty_array(tmp_path, capsys):
    proj = write(tmp_path / "p", {"m.py": "x = 1\n"}, pyproject=CONFIG)
    code, out, _ = cli(["--output-format", "json", "--no-cache"], proj, capsys)
    assert code == 0 and json.loads(out) == []


def test_sarif_structure(project, capsys):
    code, out, _ = cli(["pkg", "--output-format", "sarif", "--no-cache"], project, capsys)
    assert code == 1
    log = json.loads(out)
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "dlt-lint"
    rules = {r["id"]: r for r in driver["rules"]}
    assert {"DLT000", "DLT201", "DLT504"} <= set(rules)
    for r in rules.values():
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"]
    assert "## What it does" in rules["DLT201"]["fullDescription"]["text"]
    assert len(run["results"]) == 3
    for res in run["results"]:
        assert res["ruleId"] in rules
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] == "error" and res["message"]["text"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] in ("pkg/bad.py", "pkg/other.py")
        assert set(loc["region"]) == {"startLine", "startColumn", "endLine", "endColumn"}
    first = next(r for r in run["results"] if r["ruleId"] == "DLT201"
                 and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pkg/bad.py")
    assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": 4, "startColumn": 7,
                                                                   "endLine": 4, "endColumn": 12}


def test_sarif_absolute_path_is_a_file_uri():
    d = Diagnostic("DLT201", "m", "/abs/path/x.py", Position(1, 0), Position(1, 3))
    log = json.loads(format_sarif([d], {}))
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] \
        == "file:///abs/path/x.py"


GITHUB = re.compile(r"^::error file=(?P<file>[^,]+),line=(?P<line>\d+),col=(?P<col>\d+),"
                    r"endLine=(?P<el>\d+),endColumn=(?P<ec>\d+),title=(?P<code>DLT\d{3})::(?P<msg>.+)$")


def test_github_annotations(project, capsys):
    code, out, _ = cli(["pkg", "--output-format", "github", "--no-cache"], project, capsys)
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 3 and all(GITHUB.match(line) for line in lines)
    m = GITHUB.match(lines[0])
    assert (m["file"], m["line"], m["col"], m["el"], m["ec"], m["code"]) == (
        "pkg/bad.py", "4", "7", "4", "12", "DLT201")
    assert "not registered" in m["msg"]


def test_github_escapes_properties_and_data():
    d = Diagnostic("DLT201", "50% done\nnext", "a,b:c.py", Position(1, 0), Position(1, 1))
    line = format_github([d])
    assert line == ("::error file=a%2Cb%3Ac.py,line=1,col=1,endLine=1,endColumn=2,title=DLT201::"
                    "DLT201 50%25 done%0Anext\n")


def test_concise_is_one_line_each(project, capsys):
    code, out, _ = cli(["pkg", "--output-format", "concise", "--no-cache"], project, capsys)
    body = out.split("\nFound")[0].splitlines()
    assert body == [
        "pkg/bad.py:4:7: DLT201 [*] Keras class `Block` is not registered with "
        "@keras.saving.register_keras_serializable()",
        "pkg/other.py:4:7: DLT201 [*] Keras class `Block` is not registered with "
        "@keras.saving.register_keras_serializable()",
        body[2],
    ]
    assert body[2].startswith("pkg/other.py:8:1: DLT504 ")


def test_full_shows_source_line_caret_and_fix_hint(project, capsys):
    code, out, _ = cli(["pkg/bad.py", "--no-cache"], project, capsys)
    assert code == 1
    expected = (
        "pkg/bad.py:4:7: DLT201 [*] Keras class `Block` is not registered with "
        "@keras.saving.register_keras_serializable()\n"
        "  |\n"
        "4 | class Block(keras.layers.Layer):\n"
        "  |       ^^^^^ DLT201\n"
        "  |\n"
        "  = help: Add @keras.saving.register_keras_serializable()\n"
        "\n"
        "Found 1 error.\n"
        "[*] 1 fixable with the `--fix` option.\n"
    )
    assert out == expected


def test_unsafe_fixes_are_marked_hidden():
    from dlt_lint.output import format_full

    fix = Fix("unsafe", "Rename", (Edit(Position(1, 0), Position(1, 1), "y"),))
    d = Diagnostic("DLT101", "msg", "m.py", Position(1, 0), Position(1, 1), fix)
    text = format_full([d], {"m.py": ["x = 1", ""]})
    assert "[*]" not in text and "help (unsafe fix, use --unsafe-fixes): Rename" in text
    assert "[*]" in format_full([d], {"m.py": ["x = 1", ""]}, unsafe=True)


def test_format_json_function_matches_to_json():
    d = Diagnostic("DLT201", "m", "x.py", Position(2, 3), Position(2, 5))
    assert json.loads(format_json([d])) == [d.to_json()]
