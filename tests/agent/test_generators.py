"""Proof for every generator, on one framework copy: the generated files lint clean (all
rules), the factories create the new types (in subprocesses), the generated tests pass under
pytest, and the serialization validator passes on TensorFlow and JAX. Plus one end-to-end
``dlt-agent new-attention`` run through the console script, timed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from dlt_agent.pipeline import GenerateOptions, GenerationResult, generate
from dlt_agent.validator import Target, validate_targets

from .conftest import copy_framework, tree_digest

# kind -> (name, destination below dl_techniques, extra options, factory call check)
GENERATORS = {
    "attention": ("MyAttn", "layers/attention", {"rope": True, "causal": True},
                  ("create_attention_layer", "my_attn", {"dim": 64, "num_heads": 4})),
    "ffn": ("MyFFN", "layers/ffn", {}, ("create_ffn_layer", "my_ffn", {"hidden_dim": 64, "output_dim": 16})),
    "norm": ("MyNorm", "layers/norms", {}, ("create_normalization_layer", "my_norm", {})),
    "embedding": ("MyEmbedding", "layers/embedding", {},
                  ("create_embedding_layer", "my_embedding", {"vocab_size": 20, "dim": 8})),
    "layer": ("MyLayer", "layers", {}, None),
    "model": ("MyModel", "models", {}, None),
}


@pytest.fixture(scope="module")
def generated(fw_module_copy: Path) -> dict[str, GenerationResult]:
    """All six generators run (lint on, validation later in one batch) into one copy."""
    results = {}
    for kind, (name, dest, extra, _check) in GENERATORS.items():
        result = generate(GenerateOptions(kind, name, dest=fw_module_copy / dest, validate=False, **extra))
        assert result.ok, f"{kind}: {result.failed_step}: {result.error}"
        results[kind] = result
    return results


def _env_with(path: Path, backend: str = "tensorflow") -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(path), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["KERAS_BACKEND"] = backend
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return env


def test_generated_files_lint_clean(generated: dict[str, GenerationResult], fw_module_copy: Path) -> None:
    """``dlt-lint --preview`` (every rule) finds nothing in any generated or edited file."""
    files = sorted({str(f.path) for r in generated.values() for f in r.files})
    assert len(files) == 6 * 2 + 4 * 2 + 2  # modules + tests, 4 factories + 4 __init__, layers/ + models/ __init__
    for result in generated.values():
        assert result.lint.ok and result.lint.fixed == 0
    proc = subprocess.run(
        [shutil.which("dlt-lint", path=os.path.dirname(sys.executable)) or "dlt-lint", "--preview", "--no-cache",
         "--output-format", "json", *files],
        capture_output=True, text=True, cwd=fw_module_copy.parents[1], timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout) == []


def test_factories_create_new_types_and_validator_passes_on_both_backends(
        generated: dict[str, GenerationResult], fw_module_copy: Path) -> None:
    """In subprocesses (TensorFlow and JAX): every new class survives the round trips, and
    each factory creates its new type, e.g. ``create_attention_layer("my_attn", dim=64,
    num_heads=4)``."""
    root = str(fw_module_copy.parent)
    targets = []
    checks = []
    for kind, (_name, _dest, _extra, check) in GENERATORS.items():
        result = generated[kind]
        module = f"{result.package}.{result.names.module_name}"
        targets.append(Target(module, result.names.class_name, None, root))
        if check is not None:
            function, key, kwargs = check
            checks.append({"module": f"{result.package}.factory", "function": function, "key": key,
                           "kwargs": kwargs, "class": result.names.class_name, "class_module": module})
    report = validate_targets(targets, backends=["tensorflow", "jax"], timeout=300, factory_checks=checks)
    problems = [r.describe() for r in report.failures()]
    assert not problems, problems
    assert len(report.results) == 12  # six classes on two backends
    assert {r.backend for r in report.results} == {"tensorflow", "jax"}
    assert all(r.passed[-2:] == ["load", "compare"] for r in report.results)
    assert len(checks) == 4


def test_generated_tests_pass_under_pytest(generated: dict[str, GenerationResult], fw_module_copy: Path,
                                           tmp_path: Path) -> None:
    """The six generated test files run (one pytest process) and every test passes."""
    root = fw_module_copy.parents[1]
    test_files = [str(f.path) for r in generated.values() for f in r.files if f.role == "test"]
    assert len(test_files) == 6
    junit = tmp_path / "junit.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning",
         f"--junitxml={junit}", "--rootdir", str(root), *test_files],
        capture_output=True, text=True, cwd=root, env=_env_with(fw_module_copy.parent), timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    top = ET.parse(junit).getroot()
    suite = top if top.tag == "testsuite" else top.find("testsuite")
    assert int(suite.get("failures")) == 0 and int(suite.get("errors")) == 0 and int(suite.get("skipped")) == 0
    cases = suite.findall("testcase")
    by_file = {Path(f).stem for f in test_files}
    assert {c.get("classname").rsplit(".", 1)[-1] for c in cases} == by_file
    assert len(cases) >= 6 * 5  # shape, config, save/load, arguments, behaviour (+ factory)


def test_new_attention_end_to_end_console_script(tmp_path: Path) -> None:
    """``dlt-agent new-attention`` as installed: render, format, lint, validate (TensorFlow
    and JAX), write; the run is timed (target: <= 15 s on 2 idle cores)."""
    fw = copy_framework(tmp_path)
    script = shutil.which("dlt-agent", path=os.path.dirname(sys.executable))
    assert script, "console script dlt-agent is not installed"
    start = time.perf_counter()
    proc = subprocess.run([script, "new-attention", "PlainAttn", "--dest", str(fw / "layers" / "attention"),
                           "--json"], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(proc.stdout)
    assert data["ok"] and data["written"]
    assert data["validation"]["ok"] and sorted(data["validation"]["backends"]) == ["jax", "tensorflow"]
    assert [s["status"] for s in data["steps"]] == ["ok"] * 7
    assert '"plain_attn": PlainAttn,' in (fw / "layers" / "attention" / "factory.py").read_text()
    steps = ", ".join(f"{s['name']} {s['seconds']:.1f}" for s in data["steps"])
    print(f"\ndlt-agent new-attention end to end: {seconds:.1f} s (steps: {steps})")
    # A second run with the same name is a collision: refused, nothing changes.
    before = tree_digest(tmp_path / "framework")
    again = subprocess.run([script, "new-attention", "PlainAttn", "--dest", str(fw / "layers" / "attention"),
                            "--no-validate"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert again.returncode == 2
    assert "collides" in again.stderr
    assert tree_digest(tmp_path / "framework") == before
