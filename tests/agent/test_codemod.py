"""The LibCST registration codemod: both registry spellings, layout kept, idempotent, loud."""

from __future__ import annotations

import ast
import textwrap

import pytest

from dlt_agent.codemod import (
    CollisionError,
    RegistrationError,
    RegistryEntry,
    entry_from_source,
    export_from_package,
    register_in_factory,
)

ENTRY = RegistryEntry(
    key="my_attn",
    class_name="MyAttn",
    module="dl_techniques.layers.attention.my_attn",
    required=("dim", "num_heads"),
    optional=(("head_dim", "None"), ("dropout_rate", "0.0"), ("probability_type", '"softmax"')),
    description="My attention.",
)

GUIDE_000 = textwrap.dedent('''\
    """Attention factory."""

    from typing import Any, Dict, Literal

    from dl_techniques.layers.attention.alpha import AlphaAttention
    from dl_techniques.layers.attention.zeta import ZetaAttention

    AttentionType = Literal[
        "alpha",
        "zeta",
    ]

    _ATTENTION_LAYER_REGISTRY = {
        "alpha": AlphaAttention,
        "zeta": ZetaAttention,
    }

    _ATTENTION_PARAMS: Dict[str, Dict[str, Any]] = {
        "alpha": {
            "class": AlphaAttention,
            "required": ["dim", "num_heads"],
            "optional": {
                "dropout_rate": 0.0,
            },
            "description": "Alpha.",
        },
        "zeta": {
            "class": ZetaAttention,
            "required": ["dim"],
            "optional": {"use_bias": False},
            "description": "Zeta.",
        },  # the last one
    }


    def create_attention_layer(attention_type: str, **kwargs: Any) -> Any:
        """Create a layer."""
        return _ATTENTION_LAYER_REGISTRY[attention_type](**kwargs)
    ''')

SPELLING_B = textwrap.dedent('''\
    from .alpha import AlphaAttention

    ATTENTION_REGISTRY = {'alpha': {'class': AlphaAttention, 'required_params': ['dim'], 'optional_params': {'use_bias': True}, 'description': 'Alpha.'}}


    def create_attention_layer(attention_type, **kwargs):
        entry = ATTENTION_REGISTRY[attention_type]
        return entry['class'](**kwargs)
    ''')


def _literal(source: str, name: str) -> object:
    """Evaluate the module-level assignment ``name`` with class names kept as strings."""
    tree = ast.parse(source)
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if isinstance(target, ast.Name) and target.id == name:
            value = node.value

            class Names(ast.NodeTransformer):
                def visit_Name(self, n: ast.Name) -> ast.AST:
                    return ast.Constant(n.id)

            if isinstance(value, ast.Subscript):
                return [e.value for e in value.slice.elts]
            return ast.literal_eval(Names().visit(value))
    raise AssertionError(f"{name} not found")


def test_guide_000_spelling_gets_every_piece() -> None:
    """Literal, class registry, params registry and the import are all added."""
    result = register_in_factory(GUIDE_000, ENTRY, "attention")
    src = result.source
    assert _literal(src, "AttentionType") == ["alpha", "zeta", "my_attn"]
    assert _literal(src, "_ATTENTION_LAYER_REGISTRY")["my_attn"] == "MyAttn"
    params = _literal(src, "_ATTENTION_PARAMS")["my_attn"]
    assert params == {
        "class": "MyAttn",
        "required": ["dim", "num_heads"],
        "optional": {"head_dim": None, "dropout_rate": 0.0, "probability_type": "softmax"},
        "description": "My attention.",
    }
    assert "from dl_techniques.layers.attention.my_attn import MyAttn\n" in src
    # sorted among the sibling imports: after alpha, before zeta
    assert src.index("alpha import") < src.index("my_attn import") < src.index("zeta import")
    assert len(result.changes) == 4


def test_guide_000_layout_is_preserved() -> None:
    """Only the new lines appear: the rest of the file is byte-identical, comments kept."""
    src = register_in_factory(GUIDE_000, ENTRY, "attention").source
    old_lines = GUIDE_000.splitlines()
    new_lines = src.splitlines()
    # every old line is still there, in order
    it = iter(new_lines)
    assert all(any(line == candidate for candidate in it) for line in old_lines)
    assert '        "description": "Zeta.",\n    },  # the last one\n    "my_attn": {' in src
    # the new entry copies the layout of the last one (nested dict on one line here) ...
    assert '        "optional": {"head_dim": None, "dropout_rate": 0.0, "probability_type": "softmax"},' in src
    assert '    "my_attn": {\n        "class": MyAttn,' in src
    assert src.rstrip().endswith("return _ATTENTION_LAYER_REGISTRY[attention_type](**kwargs)")
    # ... unless that line would get too long: then one parameter per line
    many = RegistryEntry("big", "Big", "dl_techniques.layers.attention.big", ("dim",),
                         tuple((f"parameter_number_{i}", "0.0") for i in range(6)), "Big.")
    big = register_in_factory(GUIDE_000, many, "attention").source
    assert '        "optional": {\n            "parameter_number_0": 0.0,\n' in big
    assert '            "parameter_number_5": 0.0,\n        },\n        "description": "Big.",' in big


def test_registration_twice_equals_once() -> None:
    """A second run finds everything in place and changes nothing."""
    once = register_in_factory(GUIDE_000, ENTRY, "attention")
    twice = register_in_factory(once.source, ENTRY, "attention")
    assert twice.source == once.source
    assert twice.changes == []
    b_once = register_in_factory(SPELLING_B, ENTRY, "attention")
    b_twice = register_in_factory(b_once.source, ENTRY, "attention")
    assert b_twice.source == b_once.source and not b_twice.changes


def test_spelling_b_registry() -> None:
    """``ATTENTION_REGISTRY`` entries get class / required_params / optional_params, the
    file's quote style and one-line layout, and a relative import like the others."""
    result = register_in_factory(SPELLING_B, ENTRY, "attention")
    src = result.source
    entry = _literal(src, "ATTENTION_REGISTRY")["my_attn"]
    assert entry == {
        "class": "MyAttn",
        "required_params": ["dim", "num_heads"],
        "optional_params": {"head_dim": None, "dropout_rate": 0.0, "probability_type": "softmax"},
        "description": "My attention.",
    }
    assert "'my_attn': {'class': MyAttn, 'required_params': ['dim', 'num_heads']," in src
    assert "from .my_attn import MyAttn\n" in src
    assert src.count("\n") == SPELLING_B.count("\n") + 1  # one import line, the entry inline
    compile(src, "factory.py", "exec")


def test_empty_spelling_b_registry_uses_the_b_keys() -> None:
    """With no entry to copy, ATTENTION_REGISTRY gets the *_params keys of its spelling."""
    source = "from x import Y\n\nATTENTION_REGISTRY = {}\n"
    src = register_in_factory(source, ENTRY, "attention").source
    entry = _literal(src, "ATTENTION_REGISTRY")["my_attn"]
    assert set(entry) == {"class", "required_params", "optional_params", "description"}


def test_other_factories_single_registry_with_literal() -> None:
    """FFN / norm / embedding style: ``<KIND>_REGISTRY`` + ``<Kind>Type`` literal."""
    source = textwrap.dedent('''\
        from typing import Literal

        from dl_techniques.layers.ffn.mlp import MLPBlock

        FFNType = Literal["mlp"]

        FFN_REGISTRY = {
            "mlp": {"class": MLPBlock, "required": ["hidden_dim"], "optional": {}, "description": "MLP"}
        }
        ''')
    entry = RegistryEntry("my_ffn", "MyFFN", "dl_techniques.layers.ffn.my_ffn", ("hidden_dim", "output_dim"),
                          (("dropout_rate", "0.0"),), "Mine.")
    src = register_in_factory(source, entry, "ffn").source
    assert _literal(src, "FFNType") == ["mlp", "my_ffn"]
    assert _literal(src, "FFN_REGISTRY")["my_ffn"] == {
        "class": "MyFFN", "required": ["hidden_dim", "output_dim"], "optional": {"dropout_rate": 0.0},
        "description": "Mine."}
    # no trailing comma before: a separator comma is added, still no trailing comma
    assert '"description": "MLP"},\n    "my_ffn": {' in src
    assert src.index("mlp import") < src.index("my_ffn import")


def test_collision_is_refused_unless_forced() -> None:
    """An existing key of another class is a collision; --force replaces the entry."""
    entry = RegistryEntry("alpha", "MyAttn", ENTRY.module, ENTRY.required, ENTRY.optional, "Other.")
    with pytest.raises(CollisionError) as info:
        register_in_factory(GUIDE_000, entry, "attention")
    assert "'alpha'" in str(info.value) and "--force" in str(info.value)
    forced = register_in_factory(GUIDE_000, entry, "attention", force=True).source
    assert _literal(forced, "_ATTENTION_LAYER_REGISTRY")["alpha"] == "MyAttn"
    assert _literal(forced, "_ATTENTION_PARAMS")["alpha"]["description"] == "Other."
    assert _literal(forced, "AttentionType") == ["alpha", "zeta"]


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("def create_attention_layer():\n    pass\n", "no registry found"),
        ("_ATTENTION_LAYER_REGISTRY = {'a': A}\n", "no _ATTENTION_PARAMS"),
        ("ATTENTION_REGISTRY = dict(a=1)\n", "ATTENTION_REGISTRY is not a plain dict literal"),
        ("FFN_REGISTRY = {'mlp': MLPBlock}\n", "no parameter registry"),
        ("def broken(:\n", "cannot parse"),
    ],
)
def test_unexpected_factory_shape_fails_loudly(source: str, fragment: str) -> None:
    """A factory the codemod does not understand raises an error naming what is missing."""
    kind = "ffn" if "FFN" in source else "attention"
    with pytest.raises(RegistrationError) as info:
        register_in_factory(source, ENTRY, kind, path="pkg/factory.py")
    assert fragment in str(info.value)


def test_unknown_entry_keys_are_reported() -> None:
    """Entry keys the codemod cannot fill are left out with a note, not invented."""
    source = "REG_X = 1\nX_REGISTRY = {'a': {'class': A, 'required': [], 'aliases': ['b']}}\n"
    result = register_in_factory(source, ENTRY, "x")
    assert "aliases" not in _literal(result.source, "X_REGISTRY")["my_attn"]
    assert any("'aliases'" in note for note in result.notes)


def test_package_export_sorted_all_and_idempotent() -> None:
    """The class is imported and inserted into a sorted ``__all__`` at its sorted place."""
    init = textwrap.dedent('''\
        """Package."""

        from dl_techniques.layers.attention.alpha import AlphaAttention
        from dl_techniques.layers.attention.factory import create_attention_layer
        from dl_techniques.layers.attention.zeta import ZetaAttention

        __all__ = [
            "AlphaAttention",
            "ZetaAttention",
            "create_attention_layer",
        ]
        ''')
    result = export_from_package(init, ENTRY.module, "MyAttn")
    assert '    "AlphaAttention",\n    "MyAttn",\n    "ZetaAttention",' in result.source
    assert result.source.index("factory import") < result.source.index("my_attn import") < \
        result.source.index("zeta import")
    again = export_from_package(result.source, ENTRY.module, "MyAttn")
    assert again.source == result.source and not again.changes


def test_package_export_unsorted_all_appends_and_no_all_notes() -> None:
    """An unsorted ``__all__`` gets the name at the end; without ``__all__`` only the import."""
    init = 'from .b import B\nfrom .a import A\n\n__all__ = ["B", "A"]\n'
    src = export_from_package(init, "pkg.my_attn", "MyAttn").source
    assert src.endswith('__all__ = ["B", "A", "MyAttn"]\n')
    assert "from .my_attn import MyAttn\n" in src
    result = export_from_package('"""Doc only."""\n', "pkg.my_attn", "MyAttn")
    assert result.source == '"""Doc only."""\n\nfrom pkg.my_attn import MyAttn\n'
    assert any("no __all__" in n for n in result.notes)


def test_entry_from_generated_source() -> None:
    """Required / optional parameters (defaults as source) come from the class ``__init__``."""
    source = textwrap.dedent('''\
        class MyAttn(Layer):
            """My attention layer.

            More text.
            """

            def __init__(self, dim: int, num_heads: int, head_dim=None, scale: float = -1.5,
                         *, mode: str = 'fast', **kwargs):
                super().__init__(**kwargs)
        ''')
    entry = entry_from_source(source, "MyAttn", "my_attn", "pkg.my_attn")
    assert entry.required == ("dim", "num_heads")
    assert entry.optional == (("head_dim", "None"), ("scale", "-1.5"), ("mode", "'fast'"))
    assert entry.description == "My attention layer."
    with pytest.raises(RegistrationError, match="not a literal"):
        entry_from_source("class A:\n    def __init__(self, x=make()):\n        pass\n", "A", "a", "m")
