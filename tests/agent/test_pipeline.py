"""The generation pipeline and the CLI on temporary framework copies: dry run, collisions,
failures injected at every step (destination byte-identical), idempotent re-registration,
both registry spellings, template overrides."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlt_agent import pipeline
from dlt_agent.cli import app
from dlt_agent.pipeline import GenerateOptions, generate
from dlt_agent.templating import bundled_templates_dir

from .conftest import tree_digest

runner = CliRunner()


def _attention_dir(fw: Path) -> Path:
    return fw / "layers" / "attention"


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_bundled_templates_are_package_data() -> None:
    """Every template the kinds need is found through the installed ``dlt_agent`` package."""
    from dlt_agent.kinds import KINDS

    found = {p.name for p in bundled_templates_dir().iterdir()}
    needed = {k.template for k in KINDS.values()} | {k.test_template for k in KINDS.values()}
    assert needed | {"_test_base.py.j2"} <= found


def test_dry_run_prints_diff_and_writes_nothing(fw_copy: Path) -> None:
    """``--dry-run`` shows new files and the registry change as a diff; the tree is unchanged."""
    root = fw_copy.parents[1]
    before = tree_digest(root)
    code, out = _run("new-attention", "MyAttn", "--dest", str(_attention_dir(fw_copy)), "--dry-run",
                     "--no-validate")
    assert code == 0, out
    assert tree_digest(root) == before
    assert "--- /dev/null" in out and "my_attn.py" in out and "test_my_attn.py" in out
    assert '+    "my_attn": MyAttn,' in out  # _ATTENTION_LAYER_REGISTRY
    assert '+from dl_techniques.layers.attention.my_attn import MyAttn' in out
    assert "would create" in out


def test_json_result(fw_copy: Path) -> None:
    """``--json`` prints one JSON document with files, registration, steps and timings."""
    code, out = _run("new-ffn", "MyFFN", "--dest", str(fw_copy / "layers" / "ffn"), "--dry-run",
                     "--no-validate", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["ok"] is True and data["names"] == {"class": "MyFFN", "module": "my_ffn", "key": "my_ffn"}
    assert {f["role"] for f in data["files"]} == {"module", "test", "factory", "package"}
    assert [s["name"] for s in data["steps"]] == list(pipeline.STEPS)
    assert data["lint"]["ok"] is True
    assert "FFN_REGISTRY['my_ffn'] added" in " ".join(data["registration"])
    assert data["diff"].count("+++ b/") == 4


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("GroupedQueryAttention", "class GroupedQueryAttention is already defined in"),  # class
        ("multi_head_attention", "multi_head_attention.py already exists"),  # module (and class)
        ("alibi", "the factory already registers the type 'alibi'"),  # registry key
    ],
)
def test_collisions_are_refused(fw_copy: Path, name: str, fragment: str) -> None:
    """A clashing class, module or registry key is refused in one line; nothing changes."""
    root = fw_copy.parents[1]
    before = tree_digest(root)
    code, out = _run("new-attention", name, "--dest", str(_attention_dir(fw_copy)), "--no-validate")
    assert code == 2
    message = next(line for line in out.splitlines() if line.startswith("dlt-agent: plan:"))
    assert fragment in message and "--force" in message
    assert tree_digest(root) == before


@pytest.mark.parametrize("name", ["123", "my-attn!", "class"])
def test_invalid_names_are_refused(fw_copy: Path, name: str) -> None:
    """Invalid identifiers and keywords stop at the plan step with exit code 2."""
    code, out = _run("new-attention", name, "--dest", str(_attention_dir(fw_copy)), "--no-validate")
    assert code == 2
    assert "invalid name" in out


def test_force_reregisters_an_existing_key(fw_copy: Path) -> None:
    """``--force`` points an existing registry key at the new class."""
    result = generate(GenerateOptions("attention", "alibi", dest=_attention_dir(fw_copy), force=True,
                                      validate=False))
    assert result.ok, result.error
    factory = (_attention_dir(fw_copy) / "factory.py").read_text()
    assert '"alibi": Alibi,' in factory
    assert '"alibi": ALiBiAttention,' not in factory
    assert any("--force" in n for n in result.notes)


def test_generating_twice_registers_once(fw_copy: Path) -> None:
    """A second (forced) generation of the same name leaves every file byte-identical."""
    options = GenerateOptions("norm", "MyNorm", dest=fw_copy / "layers" / "norms", validate=False)
    first = generate(options)
    assert first.ok, first.error
    root = fw_copy.parents[1]
    after_first = tree_digest(root)
    options.force = True
    second = generate(options)
    assert second.ok, second.error
    assert tree_digest(root) == after_first
    assert second.registration == []
    factory = (fw_copy / "layers" / "norms" / "factory.py").read_text()
    assert factory.count('"my_norm"') == 2  # NormalizationType literal + NORMALIZATION_REGISTRY


# --------------------------------------------------------------------------- failure injection
_BROKEN_TEMPLATES = {
    "render": "{% if %}broken\n",
    "format": "class Broken(:\n    pass\n",
    "lint": textwrap.dedent('''\
        """A layer that creates a weight in __init__ (DLT207, no automatic fix)."""

        from typing import Any

        import keras


        @keras.saving.register_keras_serializable(package="dl_techniques")
        class {{ class_name }}(keras.layers.Layer):
            """Broken on purpose."""

            def __init__(self, dim: int, num_heads: int, **kwargs: Any) -> None:
                """Store."""
                super().__init__(**kwargs)
                self.dim = dim
                self.num_heads = num_heads
                self.kernel = self.add_weight(name="kernel", shape=(dim, dim))

            def call(self, inputs: Any) -> Any:
                """Apply."""
                return inputs

            def get_config(self) -> dict[str, Any]:
                """Config."""
                config = super().get_config()
                config.update({"dim": self.dim, "num_heads": self.num_heads})
                return config
        '''),
    "validate": textwrap.dedent('''\
        """A lint-clean layer whose call fails at run time."""

        from typing import Any

        import keras


        @keras.saving.register_keras_serializable(package="dl_techniques")
        class {{ class_name }}(keras.layers.Layer):
            """Broken on purpose."""

            def __init__(self, dim: int, num_heads: int, **kwargs: Any) -> None:
                """Store."""
                super().__init__(**kwargs)
                self.dim = dim
                self.num_heads = num_heads

            def call(self, inputs: Any) -> Any:
                """Fail."""
                raise ValueError("injected failure in call")

            def get_config(self) -> dict[str, Any]:
                """Config."""
                config = super().get_config()
                config.update({"dim": self.dim, "num_heads": self.num_heads})
                return config
        '''),
}


@pytest.mark.parametrize("step", ["render", "format", "lint", "validate", "write"])
def test_failure_at_each_step_leaves_destination_identical(fw_copy: Path, tmp_path: Path, step: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever step fails, the destination tree (framework and tests) is byte-identical."""
    root = fw_copy.parents[1]
    templates = None
    if step in _BROKEN_TEMPLATES:
        templates = tmp_path / "templates"
        templates.mkdir()
        (templates / "attention.py.j2").write_text(_BROKEN_TEMPLATES[step])
    before = tree_digest(root)
    if step == "write":
        calls = {"n": 0}
        real_replace = pipeline._replace

        def failing_replace(src: str, dst: str) -> None:
            calls["n"] += 1
            if calls["n"] == 3:  # module and test written, then the factory fails
                raise OSError("injected: disk full")
            real_replace(src, dst)

        monkeypatch.setattr(pipeline, "_replace", failing_replace)
    result = generate(GenerateOptions("attention", "MyAttn", dest=_attention_dir(fw_copy), templates=templates,
                                      validate=step == "validate", backends=["jax"], timeout=120))
    assert result.failed_step == step, (result.failed_step, result.error)
    assert result.error
    assert not result.written
    assert tree_digest(root) == before
    if step == "validate":
        assert "call failed" in result.error and "injected failure in call" in result.error
    if step == "lint":
        assert "DLT207" in result.error
    if step == "write":
        assert "injected: disk full" in result.error and "restored" in result.error


def test_missing_ruff_skips_formatting_with_a_note(fw_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ruff the format step is skipped, noted, and the rest still runs."""
    monkeypatch.setenv("DLT_AGENT_RUFF", "")
    result = generate(GenerateOptions("layer", "MyLayer", dest=fw_copy / "layers", validate=False, dry_run=True))
    assert result.ok, result.error
    assert any(s.name == "format" and s.status == "skipped" for s in result.steps)
    assert any("ruff not found" in n for n in result.notes)


def test_template_override_directory_wins(fw_copy: Path, tmp_path: Path) -> None:
    """A file in ``--templates DIR`` replaces the bundled template of the same name only."""
    override = tmp_path / "tpl"
    override.mkdir()
    base = (bundled_templates_dir() / "test_ffn.py.j2").read_text()
    (override / "test_ffn.py.j2").write_text(base.replace("{% block extra_tests %}",
                                                          "{% block extra_tests %}\n# custom marker\n"))
    result = generate(GenerateOptions("ffn", "MyFFN", dest=fw_copy / "layers" / "ffn", templates=override,
                                      validate=False, dry_run=True))
    assert result.ok, result.error
    test_text = next(f.after for f in result.files if f.role == "test")
    module_text = next(f.after for f in result.files if f.role == "module")
    assert "# custom marker" in test_text
    assert "# custom marker" not in module_text
    assert "class MyFFN(keras.layers.Layer)" in module_text


def test_new_model_package_is_created(fw_copy: Path) -> None:
    """A destination package that does not exist yet is created with an exporting __init__."""
    dest = fw_copy / "models" / "zoo"
    assert not dest.exists()
    result = generate(GenerateOptions("model", "TinyModel", dest=dest, validate=False))
    assert result.ok, result.error
    init = (dest / "__init__.py").read_text()
    assert "from dl_techniques.models.zoo.tiny_model import TinyModel" in init
    assert '__all__ = ["TinyModel"]' in init
    assert (dest / "tiny_model.py").is_file()
    assert (fw_copy.parents[1] / "tests" / "framework" / "test_tiny_model.py").is_file()


def test_spelling_b_factory_end_to_end(fw_copy: Path) -> None:
    """A user checkout whose attention factory uses ``ATTENTION_REGISTRY`` with
    ``class`` / ``required_params`` / ``optional_params`` gets a matching entry."""
    factory = _attention_dir(fw_copy) / "factory.py"
    factory.write_text(textwrap.dedent('''\
        """Attention factory, single-registry spelling."""

        from typing import Any

        from dl_techniques.layers.attention.multi_head_attention import MultiHeadAttention

        ATTENTION_REGISTRY = {
            "multi_head": {
                "class": MultiHeadAttention,
                "required_params": ["dim", "num_heads"],
                "optional_params": {"head_dim": None},
                "description": "Multi-head attention.",
            },
        }


        def create_attention_layer(attention_type: str, **kwargs: Any) -> Any:
            """Create a layer of a registered type."""
            return ATTENTION_REGISTRY[attention_type]["class"](**kwargs)
        '''))
    result = generate(GenerateOptions("attention", "MyAttn", dest=_attention_dir(fw_copy), validate=False))
    assert result.ok, result.error
    tree = ast.parse(factory.read_text())
    registry = next(n.value for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "ATTENTION_REGISTRY")
    keys = [k.value for k in registry.keys]
    assert keys == ["multi_head", "my_attn"]
    entry = registry.values[1]
    fields = {k.value: v for k, v in zip(entry.keys, entry.values)}
    assert set(fields) == {"class", "required_params", "optional_params", "description"}
    assert ast.literal_eval(fields["required_params"]) == ["dim", "num_heads"]
    assert ast.literal_eval(fields["optional_params"])["probability_type"] == "softmax"
    assert "from dl_techniques.layers.attention.my_attn import MyAttn" in factory.read_text()
