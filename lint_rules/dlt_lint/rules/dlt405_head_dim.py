"""DLT405: an attention class derives its head dimension, it does not hard-code it."""

from __future__ import annotations

import ast

from dlt_lint.rule import Invalid, Rule
from dlt_lint.rules.dlt401_softmax import iter_class_nodes

HEAD_NAMES = frozenset({
    "head_dim", "head_size", "head_dims", "dim_head", "d_head", "attention_head_size",
    "key_dim", "value_dim", "d_k", "d_v", "qk_head_dim", "v_head_dim",
})


def _int(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


def literal_head(node: ast.AST | None) -> ast.AST | None:
    """The sub-expression that makes ``node`` a hard-coded head size: a positive integer literal,
    ``x // <int>`` / ``x / <int>`` (also inside ``int(...)``), or such a value as a branch of
    ``a if c else b`` / ``a or b``."""
    if node is None:
        return None
    if _int(node) and node.value > 0:  # type: ignore[attr-defined]
        return node
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.FloorDiv, ast.Div)) and _int(node.right) \
            and node.right.value > 1:  # type: ignore[attr-defined]
        return node
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "int" \
            and len(node.args) == 1:
        return literal_head(node.args[0])
    if isinstance(node, ast.IfExp):
        return literal_head(node.body) or literal_head(node.orelse)
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        for value in node.values:
            found = literal_head(value)
            if found is not None:
                return found
    return None


def _target_name(target: ast.AST) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
        return target.attr
    return None


class LiteralHeadDim(Rule):
    """
    ## What it does
    Reports an attention class whose head dimension is a hard-coded number: `head_dim`
    (also `head_size`, `key_dim`, `d_k`, ...) assigned an integer literal or a model
    dimension divided by a literal (`self.dim // 8`), or such a value passed as
    `head_dim=` / `key_dim=` to a sub-layer.

    ## Why
    A literal head size only works for one model width and one head count; changing `dim` or
    `num_heads` then silently produces the wrong projection sizes. Derive it:
    `dim // num_heads`, or accept `head_dim` as a constructor parameter.

    ## Example
    ```python
    self.head_dim = self.dim // 8
    ```

    ## Use instead
    ```python
    self.head_dim = head_dim if head_dim is not None else dim // num_heads
    ```

    ## Fix safety
    No fix: which expression is right (a parameter, `dim // num_heads`) is a design choice.
    """

    code = "DLT405"
    name = "literal-head-dim"
    summary = "Attention class hard-codes its head dimension instead of dim // num_heads"
    keras_only = True
    needles = ("head", "_dim", "d_k", "d_v")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        """Check one class."""
        if not self.ctx.attention_class(node):
            return
        for sub, _chain in iter_class_nodes(node):
            if isinstance(sub, (ast.Assign, ast.AnnAssign)):
                targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                names = [_target_name(t) for t in targets]
                name = next((n for n in names if n in HEAD_NAMES), None)
                if name is None:
                    continue
                found = literal_head(sub.value)
                if found is not None:
                    self._report(node, name, found)
            elif isinstance(sub, ast.Call):
                for kw in sub.keywords:
                    if kw.arg in HEAD_NAMES:
                        found = literal_head(kw.value)
                        if found is not None:
                            self._report(node, kw.arg, found)

    def _report(self, cls: ast.ClassDef, name: str, found: ast.AST) -> None:
        self.report(found, f"attention class `{cls.name}` hard-codes its head dimension "
                           f"(`{name}` = `{self.ctx.text(found)}`); derive it as dim // num_heads")

    VALID = [
        """
        import keras

        class GoodAttention(keras.layers.Layer):
            def __init__(self, dim, num_heads, head_dim=None, **kwargs):
                super().__init__(**kwargs)
                self.head_dim = head_dim if head_dim is not None else dim // num_heads
                self.mha = keras.layers.MultiHeadAttention(num_heads, key_dim=dim // num_heads)
        """,
        # A configurable default is not a hard-coded value.
        """
        import keras

        class ConfigAttention(keras.layers.Layer):
            def __init__(self, head_dim: int = 64, **kwargs):
                super().__init__(**kwargs)
                self.head_dim = head_dim
                self.half = head_dim // 2
        """,
        # Not an attention class.
        """
        import keras

        class Mlp(keras.layers.Layer):
            def __init__(self, dim, **kwargs):
                super().__init__(**kwargs)
                self.head_dim = dim // 4
        """,
        # `key_dim` and `value_dim` as distinct, derived quantities.
        """
        import keras

        class KVAttention(keras.layers.Layer):
            def __init__(self, dim, num_heads, value_dim=None, **kwargs):
                super().__init__(**kwargs)
                self.key_dim = dim // num_heads
                self.value_dim = value_dim or self.key_dim
        """,
    ]
    INVALID = [
        Invalid(
            """
            import keras

            class FixedAttention(keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.head_dim = 64
            """,
            message_contains="`head_dim` = `64`",
        ),
        # `from keras import layers as L`; a division by a literal; head size in a reshape helper.
        Invalid(
            """
            from keras import layers as L

            class SplitAttention(L.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.dim = dim
                    self.head_dim = self.dim // 8

                def split(self, x):
                    head_size = int(self.dim / 8)
                    return x, head_size
            """,
            count=2,
        ),
        # A literal fallback, and a literal key_dim for a wrapped Keras attention layer (alias).
        Invalid(
            """
            from keras.layers import Layer as Base, MultiHeadAttention as MHA

            class WrappedAttention(Base):
                def __init__(self, dim, head_dim=None, **kwargs):
                    super().__init__(**kwargs)
                    self.head_dim = head_dim or 32
                    self.inner = MHA(num_heads=4, key_dim=dim // 4)
            """,
            count=2,
        ),
    ]
