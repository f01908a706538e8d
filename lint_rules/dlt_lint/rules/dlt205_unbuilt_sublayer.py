"""DLT205: a sub-layer created in __init__() that build() never builds."""

from __future__ import annotations

import ast
from typing import Any

from dlt_lint.context import FileContext
from dlt_lint.diagnostics import Fix
from dlt_lint.rule import Invalid, Rule, Valid
from dlt_lint.rules import _keras_class as kc
from dlt_lint.semantic import is_keras_base

COLLECT_KEY = kc.COLLECT_KEY


class UnbuiltSublayer(Rule):
    """
    ## What it does
    Reports a sub-layer that a Keras class creates in `__init__` and stores on `self` (an
    instance of a `keras.layers` class, of a Keras class of the project, or the result of a
    `dl_techniques` `create_*` factory) when `build()` never builds it. A sub-layer counts as
    built when `build()` (or a method it calls, or the `build()` of a base class it reaches
    through `super().build(...)`) calls `self.<attr>.build(...)`, calls the sub-layer itself,
    loops over a list attribute holding sub-layers, or hands the attribute to a helper. A
    class that has sub-layers and no `build()` at all is reported once, at the class name.
    Built-in layers without weights (`Dropout`, `ReLU`, `Activation`, pooling, reshaping and
    merging layers...) are not required: building them creates nothing that loading needs.

    A `keras.Model` subclass without `build()` is not reported: Keras builds such a model by
    calling it on symbolic inputs, so creating sub-layers in `__init__` and calling them in
    `call()` is the normal model idiom. A model that does define `build()` must build every
    sub-layer in it. Abstract classes without `build()` are left to their subclasses.

    ## Why
    When a saved model is loaded, Keras calls each layer's `build()` with the saved input
    shape and then assigns the saved weights. A sub-layer that `build()` leaves unbuilt has
    no weights at that moment, so loading fails ("expected N variables, received 0") or the
    weights are silently skipped.

    ## Example
    ```python
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.proj = keras.layers.Dense(dim)
        self.norm = keras.layers.LayerNormalization()

    def build(self, input_shape):
        self.proj.build(input_shape)
        super().build(input_shape)
    ```

    ## Use instead
    ```python
    def build(self, input_shape):
        self.proj.build(input_shape)
        self.norm.build(self.proj.compute_output_shape(input_shape))
        super().build(input_shape)
    ```

    ## Fix safety
    Unsafe: inserts `self.<attr>.build(<build's shape argument>)` before `super().build(...)`
    (or at the end of `build()`), guarded by `if self.<attr> is not None:` for an optional
    sub-layer and as a loop for a list of sub-layers. The shape is often not the right one for
    that sub-layer, so the result needs a look. There is no fix when the class has no
    `build()`.
    """

    code = "DLT205"
    name = "unbuilt-sublayer"
    summary = "Sub-layer created in __init__() is never built in build()"
    fix_availability = "unsafe"
    needles = ("__init__",)
    keras_only = True
    collect_key = COLLECT_KEY

    @classmethod
    def collect(cls, tree: ast.Module, ctx: FileContext) -> Any:
        """Per top-level class: the attributes its build() builds, and its methods that return a
        new layer (``self.make_dense(...)``)."""
        classes: dict[str, dict[str, Any]] = {}
        local = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
        for node in local.values():
            factories = sorted(kc.factory_methods(ctx, node))
            if kc.method_of(node, "build") is None:
                if factories:
                    classes[node.name] = {"has_build": False, "factories": factories}
                continue
            extra = [local[b.id] for b in node.bases if isinstance(b, ast.Name) and b.id in local]
            hidden = any(not (isinstance(b, ast.Name) and b.id in local)
                         and not is_keras_base(ctx.sem.resolve(b)) for b in node.bases)
            facts = kc.build_facts(node, extra, hidden)
            classes[node.name] = {"has_build": True, "built": sorted(facts.built),
                                  "opaque": facts.opaque, "calls_super": facts.calls_super,
                                  "factories": factories}
        return {"classes": classes}

    def visit_ClassDef(self, cls: ast.ClassDef) -> None:
        ctx = self.ctx
        if not ctx.keras_class(cls):
            return
        init = kc.method_of(cls, "__init__")
        if init is None:
            return
        subs = kc.sublayers(ctx, init, kc.class_factories(ctx, cls))
        if subs:
            weightless = kc.weightless_attrs(ctx, init)
            subs = [s for s in subs if s.attr not in weightless]
        if not subs:
            return
        local_ancestors, hidden = kc.project_ancestor_defs(ctx, cls)
        own = kc.build_facts(cls, local_ancestors, hidden)
        if own.opaque:
            return
        inherited = self._inherited(cls) if (own.calls_super or not own.has_build) else (set(), False)
        if inherited is None:
            return  # a base class whose build() we cannot see
        inherited_built, inherited_has_build = inherited
        built = own.built | inherited_built
        missing = [s for s in subs if s.attr not in built]
        if not missing:
            return
        if not own.has_build:
            if kc.is_model(ctx, cls) or ctx.abstract_class(cls):
                return
            names = ", ".join(f"self.{s.attr}" for s in missing)
            where = "no build() builds them" if inherited_has_build else "it defines no build()"
            self.report(ctx.name_range(cls),
                        f"Keras class `{cls.name}` creates sub-layer(s) {names} in __init__() but {where}")
            return
        build = kc.method_of(cls, "build")
        for sub in missing:
            self.report(sub.node,
                        f"sub-layer `self.{sub.attr}` is created in __init__() but never built in build()",
                        self._fix(build, sub))

    def _inherited(self, cls: ast.ClassDef) -> tuple[set[str], bool] | None:
        """Attributes the project ancestors' build() methods build; None when unknown."""
        ctx = self.ctx
        built: set[str] = set()
        has_build = False
        seen: set[str] = set()
        for base in kc.base_qualnames(ctx, cls):
            for info in ctx.project.ancestors(base):
                if info.qualname in seen:
                    continue
                seen.add(info.qualname)
                node = kc.local_class(ctx, info.qualname)
                if node is not None:
                    anc, hidden = kc.project_ancestor_defs(ctx, node)
                    facts = kc.build_facts(node, anc, hidden)
                    entry = {"has_build": facts.has_build, "built": facts.built, "opaque": facts.opaque}
                else:
                    collected = kc.collected_class_facts(ctx, info.qualname)
                    if collected is None:
                        return None
                    entry = collected
                if entry.get("opaque"):
                    return None
                if entry.get("has_build"):
                    has_build = True
                    built |= set(entry.get("built", ()))
        return built, has_build

    def _fix(self, build: kc.FunctionNode | None, sub: kc.SubLayer) -> Fix | None:
        ctx = self.ctx
        if build is None:
            return None
        positional = build.args.posonlyargs + build.args.args
        if len(positional) >= 2:
            shape = positional[1].arg
        elif build.args.vararg is not None:
            shape = f"*{build.args.vararg.arg}"
        else:
            return None
        me = kc.self_name(build)
        anchor = next((s for s in build.body if isinstance(s, ast.Expr)
                       and kc.is_parent_call(s.value, "build", me)), None)
        if anchor is not None:
            indent = ctx.indent_of(anchor.lineno)
        else:
            if isinstance(build.body[-1], (ast.Return, ast.Raise)):
                return None
            indent = kc.block_indent(ctx, build)
            if indent is None:
                return None
        unit = kc.indent_unit(ctx, build)
        if sub.is_list:
            text = f"{indent}for sub_layer in {me}.{sub.attr}:\n{indent}{unit}sub_layer.build({shape})"
        elif sub.optional:
            text = (f"{indent}if {me}.{sub.attr} is not None:\n"
                    f"{indent}{unit}{me}.{sub.attr}.build({shape})")
        else:
            text = f"{indent}{me}.{sub.attr}.build({shape})"
        if anchor is not None:
            edit = ctx.insert_line_before(anchor.lineno, text)
        else:
            edit = ctx.insert_line_after(build.end_lineno or build.lineno, text)
        return self.fix(f"Build `self.{sub.attr}` in build()", [edit])

    VALID = [
        """
        import keras


        class Block(keras.layers.Layer):
            def __init__(self, dim, **kwargs):
                super().__init__(**kwargs)
                self.proj = keras.layers.Dense(dim)
                self.norm = keras.layers.LayerNormalization()

            def build(self, input_shape):
                self.proj.build(input_shape)
                self.norm.build(self.proj.compute_output_shape(input_shape))
                super().build(input_shape)
        """,
        # Optional sub-layer guarded by None; list of sub-layers built in a loop.
        """
        from keras import layers as L


        class Stack(L.Layer):
            def __init__(self, dim, depth, use_gate=False, **kwargs):
                super().__init__(**kwargs)
                self.blocks = [L.Dense(dim) for _ in range(depth)]
                self.gate = L.Dense(dim) if use_gate else None
                self.extra = None
                if use_gate:
                    self.extra = L.Dense(dim)

            def build(self, input_shape):
                for block in self.blocks:
                    block.build(input_shape)
                if self.gate is not None:
                    self.gate.build(input_shape)
                if self.extra is not None:
                    self.extra.build(input_shape)
                super().build(input_shape)
        """,
        # Built by a helper that build() calls, or by calling the sub-layer inside build().
        """
        import keras
        from keras.layers import Dense, Embedding


        class Encoder(keras.layers.Layer):
            def __init__(self, dim, **kwargs):
                super().__init__(**kwargs)
                self.query_proj = Dense(dim)
                self.key_proj = Dense(dim)
                self.table = Embedding(10, dim)

            def _build_projections(self, shape):
                for proj in (self.query_proj, self.key_proj):
                    proj.build(shape)

            def build(self, input_shape):
                self._build_projections(input_shape)
                self.table(keras.ops.zeros((1,), dtype="int32"))
                super().build(input_shape)
        """,
        # A functional-style model: Keras builds it by calling it.
        """
        import keras


        class Classifier(keras.Model):
            def __init__(self, num_classes, **kwargs):
                super().__init__(**kwargs)
                self.hidden = keras.layers.Dense(64, activation="relu")
                self.head = keras.layers.Dense(num_classes)

            def call(self, inputs):
                return self.head(self.hidden(inputs))
        """,
        # The base class in this file builds the attribute the child re-creates.
        """
        import keras


        class Base(keras.layers.Layer):
            def __init__(self, dim, **kwargs):
                super().__init__(**kwargs)
                self.proj = keras.layers.Dense(dim)

            def build(self, input_shape):
                self.proj.build(input_shape)
                super().build(input_shape)


        class Wide(Base):
            def __init__(self, dim, **kwargs):
                super().__init__(dim, **kwargs)
                self.proj = keras.layers.Dense(dim * 2)
        """,
        # Abstract base without build(): its subclasses build.
        """
        import abc
        import keras


        class Base(keras.layers.Layer, abc.ABC):
            def __init__(self, dim, **kwargs):
                super().__init__(**kwargs)
                self.proj = keras.layers.Dense(dim)
        """,
        # Not sub-layers.
        """
        import keras


        class Scale(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.init = keras.initializers.GlorotUniform()
                self.input_spec = keras.layers.InputSpec(ndim=3)
        """,
        # The framework's factories, all built.
        Valid(
            """
            import keras
            from dl_techniques.layers.norms import create_normalization_layer
            from ..ffn import create_ffn_layer


            class Block(keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.norm = create_normalization_layer("rms_norm")
                    self.ffn = create_ffn_layer("mlp", hidden_dim=dim, output_dim=dim)

                def build(self, input_shape):
                    self.norm.build(input_shape)
                    self.ffn.build(input_shape)
                    super().build(input_shape)
            """,
            path="dl_techniques/layers/attention/block.py",
        ),
        # Sub-layers without weights need no build().
        """
        import keras


        class HardSwish(keras.layers.Layer):
            def __init__(self, dropout_rate=0.0, **kwargs):
                super().__init__(**kwargs)
                self.relu6 = keras.layers.ReLU(max_value=6.0)
                self.dropout = keras.layers.Dropout(dropout_rate) if dropout_rate > 0 else None

            def call(self, x):
                return x * self.relu6(x + 3.0) / 6.0
        """,
    ]

    INVALID = [
        Invalid(
            """
            import keras


            class Block(keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.proj = keras.layers.Dense(dim)
                    self.norm = keras.layers.LayerNormalization()

                def build(self, input_shape):
                    self.proj.build(input_shape)
                    super().build(input_shape)
            """,
            unsafe_fixes=True,
            expected_fixed="""
            import keras


            class Block(keras.layers.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.proj = keras.layers.Dense(dim)
                    self.norm = keras.layers.LayerNormalization()

                def build(self, input_shape):
                    self.proj.build(input_shape)
                    self.norm.build(input_shape)
                    super().build(input_shape)
            """,
            message_contains="sub-layer `self.norm` is created in __init__() but never built",
        ),
        # No build() at all; layers module alias, a factory and a project class.
        Invalid(
            """
            from keras import layers as L
            from dl_techniques.layers.norms import create_normalization_layer


            class Inner(L.Layer):
                pass


            class Block(L.Layer):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.norm = create_normalization_layer("layer_norm")
                    self.inner = Inner()
                    self.out = L.Dense(dim)

                def call(self, inputs):
                    return self.out(self.inner(self.norm(inputs)))
            """,
            path="dl_techniques/layers/block.py",
            message_contains="`Block` creates sub-layer(s) self.norm, self.inner, self.out in __init__() "
                             "but it defines no build()",
        ),
        # Names imported from keras.layers; an optional sub-layer and a list of sub-layers.
        Invalid(
            """
            import keras
            from keras.layers import Dense, LayerNormalization


            class Stack(keras.layers.Layer):
                def __init__(self, dim, depth, use_norm=False, **kwargs):
                    super().__init__(**kwargs)
                    self.blocks = []
                    for _ in range(depth):
                        self.blocks.append(Dense(dim))
                    self.norm = LayerNormalization() if use_norm else None

                def build(self, input_shape):
                    super().build(input_shape)
            """,
            count=2,
            unsafe_fixes=True,
            expected_fixed="""
            import keras
            from keras.layers import Dense, LayerNormalization


            class Stack(keras.layers.Layer):
                def __init__(self, dim, depth, use_norm=False, **kwargs):
                    super().__init__(**kwargs)
                    self.blocks = []
                    for _ in range(depth):
                        self.blocks.append(Dense(dim))
                    self.norm = LayerNormalization() if use_norm else None

                def build(self, input_shape):
                    for sub_layer in self.blocks:
                        sub_layer.build(input_shape)
                    if self.norm is not None:
                        self.norm.build(input_shape)
                    super().build(input_shape)
            """,
        ),
        # A Keras class of this file used as a sub-layer; build() without super().build().
        Invalid(
            """
            import keras


            class Gate(keras.layers.Layer):
                def call(self, inputs):
                    return keras.ops.sigmoid(inputs)


            class Gated(Gate):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.gate = Gate()
                    self.proj = keras.layers.Dense(dim)

                def build(self, shape):
                    self.proj.build(shape)
            """,
            unsafe_fixes=True,
            expected_fixed="""
            import keras


            class Gate(keras.layers.Layer):
                def call(self, inputs):
                    return keras.ops.sigmoid(inputs)


            class Gated(Gate):
                def __init__(self, dim, **kwargs):
                    super().__init__(**kwargs)
                    self.gate = Gate()
                    self.proj = keras.layers.Dense(dim)

                def build(self, shape):
                    self.proj.build(shape)
                    self.gate.build(shape)
            """,
        ),
        # A model that defines build() must build every sub-layer there.
        Invalid(
            """
            import keras


            class Net(keras.Model):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.body = keras.layers.Dense(8)
                    self.head = keras.layers.Dense(1)

                def build(self, input_shape):
                    self.body.build(input_shape)
                    super().build(input_shape)

                def call(self, inputs):
                    return self.head(self.body(inputs))
            """,
            message_contains="`self.head`",
            unsafe_fixes=True,
            expected_fixed="""
            import keras


            class Net(keras.Model):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.body = keras.layers.Dense(8)
                    self.head = keras.layers.Dense(1)

                def build(self, input_shape):
                    self.body.build(input_shape)
                    self.head.build(input_shape)
                    super().build(input_shape)

                def call(self, inputs):
                    return self.head(self.body(inputs))
            """,
        ),
    ]
