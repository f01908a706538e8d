"""DLT603: the ``AttentionType`` literal lists exactly the registry's keys."""

from __future__ import annotations

import ast
import re
from typing import Any

from dlt_lint import registries as regs
from dlt_lint.rule import Invalid, Rule, Valid

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_.\- ]*$")


class TypeLiteralMismatch(Rule):
    """
    ## What it does
    In a factory module, compares the `AttentionType = Literal[...]` alias with the keys of the
    attention registry (`_ATTENTION_LAYER_REGISTRY` / `ATTENTION_REGISTRY`) and reports when
    the two sets differ. The same check applies to the other factories' aliases named after
    their registry (`FFNType` / `FFN_REGISTRY`, `NormalizationType` /
    `NORMALIZATION_REGISTRY`, `EmbeddingType` / `EMBEDDING_REGISTRY`). Order alone is not
    reported.

    ## Why
    The literal is what type checkers, editors and the agent use to know the valid type
    strings. A type added to the registry but not to the literal is invisible to them; a
    literal value without a registry entry type-checks and then fails at runtime.

    ## Example
    ```python
    AttentionType = Literal["multi_head", "window"]
    _ATTENTION_LAYER_REGISTRY = {"multi_head": ..., "window": ..., "linear": ...}
    ```

    ## Use instead
    ```python
    AttentionType = Literal["multi_head", "window", "linear"]
    ```

    ## Fix safety
    Safe: the literal is rewritten to the registry keys in registry order, keeping the quote
    style and the one-per-line or single-line layout. Only type annotations change.
    """

    code = "DLT603"

    fix_scope = "edit"
    name = "type-literal-mismatch"
    summary = "AttentionType literal values differ from the attention registry keys"
    fix_availability = "safe"
    needles = ("Literal",)
    collect_key = regs.COLLECT_KEY

    @classmethod
    def collect(cls, tree: ast.Module, ctx: Any) -> Any:
        """Factory registries of the file (see :func:`dlt_lint.registries.collect`)."""
        return regs.collect(tree, ctx)

    def visit_Module(self, node: ast.Module) -> None:
        """Check the module."""
        for reg in regs.registries_of_file(self.ctx):
            alias = reg.literal
            if alias is None or alias.node is None:
                continue
            keys = reg.keys
            missing = [k for k in keys if k not in alias.values]
            extra = [v for v in alias.values if v not in reg.entries]
            if not missing and not extra:
                continue
            parts = []
            if missing:
                parts.append("missing " + ", ".join(f"'{k}'" for k in missing))
            if extra:
                parts.append("not registered " + ", ".join(f"'{v}'" for v in dict.fromkeys(extra)))
            registry_name = reg.names[0] if reg.names else "the registry"
            self.report(alias.node, f"`{alias.name}` does not match the keys of `{registry_name}`: "
                                    + "; ".join(parts), self._fix(alias.node, keys))

    def _fix(self, node: ast.Subscript, keys: list[str]):
        if not all(_PLAIN_KEY.match(k) for k in keys):
            return None
        sl = node.slice
        elts = sl.elts if isinstance(sl, ast.Tuple) else [sl]
        first = self.ctx.text(elts[0]) if elts else '"'
        quote = "'" if first.lstrip("rRuU").startswith("'") else '"'
        head = self.ctx.text(node.value)
        if node.lineno != node.end_lineno and elts and elts[0].lineno != node.lineno:
            indent = self.ctx.indent_of(elts[0].lineno)
            closing = self.ctx.indent_of(node.end_lineno or node.lineno)
            body = "".join(f"{indent}{quote}{k}{quote},\n" for k in keys)
            text = f"{head}[\n{body}{closing}]"
        else:
            text = f"{head}[{', '.join(f'{quote}{k}{quote}' for k in keys)}]"
        return self.fix("Rewrite the literal to the registry keys", [self.ctx.replace(node, text)])

    VALID = [
        Valid(
            """
            import keras
            from typing import Literal

            class DotAttention(keras.layers.Layer):
                pass

            AttentionType = Literal["window", "dot"]
            _ATTENTION_LAYER_REGISTRY = {"dot": DotAttention, "window": DotAttention}
            """,
            path="pkg/layers/attention/factory.py",
        ),
        # Not a factory module: aliases elsewhere are not compared.
        Valid(
            """
            from typing import Literal

            class Block:
                pass

            AttentionType = Literal["dot"]
            ATTENTION_REGISTRY = {"other": {"class": Block, "required": [], "optional": {}}}
            """,
            path="pkg/layers/attention/types.py",
        ),
    ]
    INVALID = [
        Invalid(
            """
            import keras
            from typing import Literal

            class DotAttention(keras.layers.Layer):
                pass

            AttentionType = Literal[
                "dot",
                "ring",
            ]

            _ATTENTION_LAYER_REGISTRY = {"dot": DotAttention, "window": DotAttention}
            _ATTENTION_PARAMS = {
                "dot": {"required": [], "optional": {}},
                "window": {"required": [], "optional": {}},
            }
            """,
            path="pkg/layers/attention/factory.py",
            message_contains="missing 'window'; not registered 'ring'",
            expected_fixed="""
            import keras
            from typing import Literal

            class DotAttention(keras.layers.Layer):
                pass

            AttentionType = Literal[
                "dot",
                "window",
            ]

            _ATTENTION_LAYER_REGISTRY = {"dot": DotAttention, "window": DotAttention}
            _ATTENTION_PARAMS = {
                "dot": {"required": [], "optional": {}},
                "window": {"required": [], "optional": {}},
            }
            """,
        ),
        # `import typing as t`, single quotes, ATTENTION_REGISTRY spelling.
        Invalid(
            """
            import typing as t
            import keras

            class DotAttention(keras.layers.Layer):
                pass

            AttentionType: t.TypeAlias = t.Literal['dot']
            ATTENTION_REGISTRY = {
                "dot": {"class": DotAttention, "required_params": [], "optional_params": {}},
                "linear": {"class": DotAttention, "required_params": [], "optional_params": {}},
            }
            """,
            path="pkg/layers/attention/factory.py",
            expected_fixed="""
            import typing as t
            import keras

            class DotAttention(keras.layers.Layer):
                pass

            AttentionType: t.TypeAlias = t.Literal['dot', 'linear']
            ATTENTION_REGISTRY = {
                "dot": {"class": DotAttention, "required_params": [], "optional_params": {}},
                "linear": {"class": DotAttention, "required_params": [], "optional_params": {}},
            }
            """,
        ),
        # Another factory's alias (`from typing import Literal as L`).
        Invalid(
            """
            from typing import Literal as L

            class Mlp:
                pass

            FFNType = L["mlp", "glu"]
            FFN_REGISTRY = {"mlp": {"class": Mlp, "required": [], "optional": {}}}
            """,
            path="pkg/layers/ffn/factory.py",
            expected_fixed="""
            from typing import Literal as L

            class Mlp:
                pass

            FFNType = L["mlp"]
            FFN_REGISTRY = {"mlp": {"class": Mlp, "required": [], "optional": {}}}
            """,
        ),
    ]
