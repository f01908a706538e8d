"""DLT402: normalization layers come from the norms factory, not from keras.layers directly."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from dlt_lint import registries as regs
from dlt_lint.rule import Invalid, Rule, Valid
from dlt_lint.rules.dlt401_softmax import iter_class_nodes

NORMS_MODULE = "dl_techniques.layers.norms"
FACTORY = "create_normalization_layer"
# Keywords every normalization type accepts through the factory besides its registry entry.
FACTORY_COMMON = frozenset({"name", "epsilon", "dtype", "trainable"})


@dataclass(frozen=True)
class KerasNorm:
    """A Keras normalization class and how its arguments map onto the factory."""

    type: str
    positional: tuple[str, ...]  # constructor parameters in positional order
    # Keras defaults of the parameters the factory also takes (values as source text);
    # ``implied`` are factory parameters that the Keras class fixes (e.g. RMS scale on).
    defaults: dict[str, str]
    implied: dict[str, str]


# Defaults checked against the installed Keras by tests/lint/test_rules_dlt4xx.py.
KERAS_NORMS: dict[str, KerasNorm] = {
    "keras.layers.LayerNormalization": KerasNorm(
        "layer_norm", ("axis", "epsilon", "center", "scale"),
        {"axis": "-1", "epsilon": "1e-3", "center": "True", "scale": "True"}, {}),
    "keras.layers.BatchNormalization": KerasNorm(
        "batch_norm", ("axis", "momentum", "epsilon", "center", "scale"),
        {"axis": "-1", "momentum": "0.99", "epsilon": "1e-3", "center": "True", "scale": "True"}, {}),
    "keras.layers.GroupNormalization": KerasNorm(
        "group_norm", ("groups", "axis", "epsilon", "center", "scale"),
        {"groups": "32", "axis": "-1", "epsilon": "1e-3", "center": "True", "scale": "True"}, {}),
    "keras.layers.RMSNormalization": KerasNorm(
        "rms_norm", ("axis", "epsilon"),
        {"axis": "-1", "epsilon": "1e-6"}, {"use_scale": "True"}),
}
_ALIASES = {
    "keras.layers.normalization.LayerNormalization": "keras.layers.LayerNormalization",
    "keras.layers.normalization.BatchNormalization": "keras.layers.BatchNormalization",
    "keras.layers.normalization.GroupNormalization": "keras.layers.GroupNormalization",
    "keras.layers.normalization.RMSNormalization": "keras.layers.RMSNormalization",
    "keras.src.layers.normalization.layer_normalization.LayerNormalization": "keras.layers.LayerNormalization",
    "keras.src.layers.normalization.batch_normalization.BatchNormalization": "keras.layers.BatchNormalization",
    "keras.src.layers.normalization.group_normalization.GroupNormalization": "keras.layers.GroupNormalization",
    "keras.src.layers.normalization.rms_normalization.RMSNormalization": "keras.layers.RMSNormalization",
}


def keras_norm(qualname: str | None) -> str | None:
    """Public name of a Keras normalization class, or None."""
    if qualname in KERAS_NORMS:
        return qualname
    return _ALIASES.get(qualname or "")


class DirectNormalizationLayer(Rule):
    """
    ## What it does
    Reports `keras.layers.LayerNormalization`, `BatchNormalization`, `GroupNormalization` or
    `RMSNormalization` constructed inside a Keras class (any spelling: `layers.X`, `L.X`,
    `tf.keras.layers.X`, a name imported directly or under an alias).

    ## Why
    The framework creates every normalization through `create_normalization_layer(...)`, so a
    model's normalization can be switched (`layer_norm`, `rms_norm`, `dynamic_tanh`, ...) by
    configuration and all layers share one validated implementation.

    ## Example
    ```python
    self.norm = keras.layers.LayerNormalization(epsilon=1e-5, name="norm")
    ```

    ## Use instead
    ```python
    from dl_techniques.layers.norms import create_normalization_layer

    self.norm = create_normalization_layer("layer_norm", epsilon=1e-5, name="norm")
    ```

    ## Fix safety
    Safe: the call becomes `create_normalization_layer("<type>", ...)` with positional
    arguments turned into keywords and the original epsilon passed explicitly (the Keras
    default `1e-3` of Layer/Batch/GroupNormalization, `1e-6` of RMSNormalization, when the call
    did not give one), because the factory's own default (`1e-6`) differs. A parameter the
    call leaves out whose factory default differs from the Keras default is passed with the
    Keras value too. The created layer computes the same function with the same weights. The
    fix is offered only when every argument has a factory equivalent and the installed (or
    linted) framework's norms registry is known; otherwise the call is reported without fix.
    """

    code = "DLT402"

    fix_scope = "edit"
    name = "direct-normalization-layer"
    summary = "Normalization layer constructed directly instead of via create_normalization_layer()"
    fix_availability = "safe"
    keras_only = True
    needles = ("Normalization",)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        """Check one class."""
        if not self.ctx.keras_class(node):
            return
        for sub, _chain in iter_class_nodes(node):
            if isinstance(sub, ast.Call):
                q = keras_norm(self.ctx.sem.resolve(sub.func))
                if q is not None:
                    spec = KERAS_NORMS[q]
                    self.report(sub, f"`{q}` constructed directly; use "
                                     f'create_normalization_layer("{spec.type}", ...)',
                                self._fix(sub, spec))

    # ------------------------------------------------------------------ fix
    def _fix(self, call: ast.Call, spec: KerasNorm):
        if any(isinstance(a, ast.Starred) for a in call.args) or any(kw.arg is None for kw in call.keywords):
            return None
        if len(call.args) > len(spec.positional):
            return None
        registry = regs.registry_of_kind(regs.framework_registries(self.ctx), "normalization")
        if registry is None or spec.type not in registry.entries:
            return None
        entry = registry.entries[spec.type]
        if entry.required is None or entry.optional is None:
            return None
        accepted = set(entry.required) | set(entry.optional) | FACTORY_COMMON
        if entry.required:
            return None
        given = list(spec.positional[: len(call.args)]) + [kw.arg for kw in call.keywords if kw.arg]
        if any(name not in accepted for name in given):
            return None
        imp, local = self._import()
        if local is None:
            return None
        # Parameters to add: epsilon always, others when the factory default differs.
        extra: list[str] = []
        for name, keras_default in {**spec.defaults, **spec.implied}.items():
            if name in given:
                continue
            if name == "epsilon":
                extra.append(f"epsilon={keras_default}")
                continue
            if name not in entry.optional:
                if name in spec.implied:
                    return None  # the factory cannot express what the Keras class does
                continue
            if regs.same_default(entry.optional[name], keras_default) is not True:
                extra.append(f"{name}={keras_default}")
        text = self._rewrite(call, spec, local, extra)
        if text is None:
            return None
        edits = [self.ctx.replace(call, text)]
        if imp is not None:
            edits.insert(0, imp)
        return self.fix(f'Use create_normalization_layer("{spec.type}", ...)', edits)

    def _import(self):
        for local, qual in self.ctx.sem.imports.names.items():
            if qual.startswith(NORMS_MODULE + ".") and qual.endswith("." + FACTORY):
                return None, local
        return self.ctx.import_edit(NORMS_MODULE, FACTORY)

    def _rewrite(self, call: ast.Call, spec: KerasNorm, local: str, extra: list[str]) -> str | None:
        """The call's own text with the callee replaced, the type inserted, positional arguments
        turned into keywords and ``extra`` keywords appended (layout preserved)."""
        source = self.ctx.source
        starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", source)]

        def offset(node: ast.AST, end: bool = False) -> int:
            pos = self.ctx.end(node) if end else self.ctx.start(node)
            return starts[pos.row - 1] + pos.column

        base = offset(call)
        text = source[base: offset(call, end=True)]
        func_end = offset(call.func, end=True) - base
        paren = text.find("(", func_end)
        if paren < 0:
            return None
        inserts: list[tuple[int, str]] = []
        args = [*call.args, *[kw.value for kw in call.keywords]]
        has_args = bool(args)
        after_paren = text[paren + 1: paren + 2]
        if has_args and after_paren in ("\n", "\r"):
            # Arguments on their own lines: the type goes on a line of its own, same indent.
            first = min(args, key=lambda n: offset(n))
            first_kw = next((kw for kw in call.keywords if kw.value is first), None)
            first_pos = offset(first_kw if first_kw is not None else first) - base
            line_start = text.rfind("\n", 0, first_pos) + 1
            indent = text[line_start:first_pos]
            if indent.strip():
                return None
            inserts.append((first_pos, f'"{spec.type}",\n{indent}'))
        else:
            inserts.append((paren + 1, f'"{spec.type}"' + (", " if has_args else "")))
        for name, arg in zip(spec.positional, call.args):
            inserts.append((offset(arg) - base, f"{name}="))
        if extra:
            if has_args:
                last = max(args, key=lambda n: offset(n, True))
                last_kw = next((kw for kw in call.keywords if kw.value is last), None)
                last_start = offset(last_kw if last_kw is not None else last) - base
                line_start = text.rfind("\n", 0, last_start) + 1
                indent = text[line_start:last_start]
                if line_start > 0 and not indent.strip():
                    tail = "".join(f",\n{indent}{e}" for e in extra)
                else:
                    tail = ", " + ", ".join(extra)
                inserts.append((offset(last, end=True) - base, tail))
            else:
                inserts.append((paren + 1, ", " + ", ".join(extra)))
        merged: dict[int, str] = {}
        for pos, content in inserts:
            merged[pos] = merged.get(pos, "") + content
        for pos in sorted(merged, reverse=True):
            text = text[:pos] + merged[pos] + text[pos:]
        text = local + text[func_end:]
        return text.replace("\r\n", "\n").replace("\r", "\n")

    VALID = [
        # The factory.
        """
        import keras
        from dl_techniques.layers.norms import create_normalization_layer

        class Block(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.norm = create_normalization_layer("layer_norm", epsilon=1e-3)
        """,
        # Not inside a Keras class (a functional model script).
        """
        import keras

        inputs = keras.Input((4,))
        outputs = keras.layers.LayerNormalization()(inputs)
        """,
        # A project class that happens to be called LayerNormalization.
        """
        import keras

        class LayerNormalization(keras.layers.Layer):
            pass

        class Block(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.norm = LayerNormalization()
        """,
        # UnitNormalization is not a statistics normalization the factory covers.
        Valid(
            """
            from keras import layers

            class Block(layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.norm = layers.UnitNormalization()
            """,
        ),
    ]
    INVALID = [
        Invalid(
            """
            import keras

            class Block(keras.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.norm = keras.layers.LayerNormalization(epsilon=1e-5, name="norm")
            """,
            expected_fixed="""
            import keras
            from dl_techniques.layers.norms import create_normalization_layer

            class Block(keras.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.norm = create_normalization_layer("layer_norm", epsilon=1e-5, name="norm")
            """,
        ),
        # `from keras import layers as L`, positional arguments, default epsilon made explicit.
        Invalid(
            """
            from keras import layers as L

            class Conv(L.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.bn = L.BatchNormalization(-1, 0.9)
                    self.gn = L.GroupNormalization(
                        8,
                        axis=-1,
                    )
            """,
            count=2,
            expected_fixed="""
            from keras import layers as L
            from dl_techniques.layers.norms import create_normalization_layer

            class Conv(L.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.bn = create_normalization_layer("batch_norm", axis=-1, momentum=0.9, epsilon=1e-3)
                    self.gn = create_normalization_layer(
                        "group_norm",
                        groups=8,
                        axis=-1,
                        epsilon=1e-3,
                    )
            """,
        ),
        # Names imported directly (aliased), tf.keras spelling, RMSNormalization, no arguments.
        Invalid(
            """
            import tensorflow as tf
            from keras.layers import LayerNormalization as LN, RMSNormalization

            class Block(tf.keras.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.a = LN()
                    self.b = RMSNormalization(epsilon=1e-5)
                    self.c = tf.keras.layers.LayerNormalization(axis=1, center=False)
            """,
            count=3,
            expected_fixed="""
            import tensorflow as tf
            from keras.layers import LayerNormalization as LN, RMSNormalization
            from dl_techniques.layers.norms import create_normalization_layer

            class Block(tf.keras.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.a = create_normalization_layer("layer_norm", epsilon=1e-3)
                    self.b = create_normalization_layer("rms_norm", epsilon=1e-5)
                    self.c = create_normalization_layer("layer_norm", axis=1, center=False, epsilon=1e-3)
            """,
        ),
        # An argument without a factory equivalent: reported, not fixed.
        Invalid(
            """
            import keras

            class Block(keras.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.norm = keras.layers.LayerNormalization(gamma_regularizer="l2")
            """,
            expected_fixed="""
            import keras

            class Block(keras.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.norm = keras.layers.LayerNormalization(gamma_regularizer="l2")
            """,
        ),
    ]
