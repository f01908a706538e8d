"""DLT303: Keras is imported as ``keras``, not through TensorFlow or private ``keras.src``."""

from __future__ import annotations

import ast
import re

from dlt_lint.context import FileContext
from dlt_lint.diagnostics import Edit, Fix, Position
from dlt_lint.rule import Invalid, Rule, Valid
from dlt_lint.rules.dlt301_tensorflow_use import in_keras_package, iter_chains, keras_import, raw_qualname
from dlt_lint.semantic import dotted
from dlt_lint.tf_to_ops import KERAS_PRIVATE_TO_PUBLIC

_FROM = re.compile(r"from\s+")


def _is_under(module: str | None, prefix: str) -> bool:
    return bool(module) and (module == prefix or module.startswith(prefix + "."))  # type: ignore[union-attr]


def module_span(ctx: FileContext, node: ast.ImportFrom) -> tuple[Position, Position] | None:
    """Where the module name of ``from <module> import ...`` is written (None when the text
    is unusual, e.g. split with a backslash)."""
    line = ctx.lines[node.lineno - 1]
    start = ctx.start(node).column
    m = _FROM.match(line, start)
    module = node.module or ""
    if m is None or line[m.end():m.end() + len(module)] != module:
        return None
    return Position(node.lineno, m.end()), Position(node.lineno, m.end() + len(module))


def alias_name_span(ctx: FileContext, alias: ast.alias) -> tuple[Position, Position] | None:
    """Where the dotted name of an ``import a.b as c`` alias is written."""
    start = ctx.start(alias)
    line = ctx.lines[start.row - 1]
    if line[start.column:start.column + len(alias.name)] != alias.name:
        return None
    return start, Position(start.row, start.column + len(alias.name))


def inner_node(chain: ast.expr, text: str) -> ast.expr | None:
    """The sub-chain of ``chain`` spelled ``text`` (``tf.keras`` inside ``tf.keras.layers.X``)."""
    node: ast.AST = chain
    while isinstance(node, (ast.Attribute, ast.Name)):
        if dotted(node) == text:
            return node  # type: ignore[return-value]
        if isinstance(node, ast.Name):
            return None
        node = node.value
    return None


class LegacyKerasImport(Rule):
    """
    ## What it does
    Reports Keras reached through TensorFlow or through Keras' private package:
    `tf.keras.*` attribute chains, `from tensorflow import keras`, `import tensorflow.keras`,
    `from tensorflow.keras.layers import Dense`, and private `keras.src` imports such as
    `from keras.src.layers import Layer`. Keras' own source (modules under `keras.`) may use
    `keras.src`.

    ## Why
    Keras 3 is its own package. `tf.keras` only aliases it on some TensorFlow versions (and
    silently switches to the old Keras 2 when `TF_USE_LEGACY_KERAS` is set), and it ties the
    module to TensorFlow. `keras.src` is private: its layout changes between releases without
    notice, while `keras.*` is the stable public API.

    ## Example
    ```python
    import tensorflow as tf
    from tensorflow.keras import layers
    from keras.src.layers import Layer

    dense = tf.keras.layers.Dense(8)
    ```

    ## Use instead
    ```python
    import keras
    from keras import layers
    from keras.layers import Layer

    dense = keras.layers.Dense(8)
    ```

    ## Fix safety
    Safe: rewrites the spelling to the public `keras` one (`from tensorflow.keras import x`
    -> `from keras import x`, `from tensorflow import keras` -> `import keras`,
    `tf.keras.layers.Dense` -> `keras.layers.Dense`, adding `import keras` when needed). With
    TensorFlow 2.16+ `tf.keras` is the same Keras 3 package, so the names refer to the same
    objects. A private `keras.src` import is only rewritten when the rule's table
    (`dlt_lint/tf_to_ops.py`) knows the public name of the same object (a private module such
    as `keras.src.ops` has members its public twin lacks, so it is not rewritten); `import
    tensorflow.keras` without `as` (it binds `tensorflow`) and `tensorflow.python.keras` are
    reported without a fix.
    """

    code = "DLT303"

    fix_scope = "edit"
    name = "legacy-keras-import"
    summary = "Keras imported through tf.keras / tensorflow.keras or private keras.src"
    fix_availability = "sometimes"
    needles = ("tensorflow", "keras.src", "keras import src")

    def visit_Module(self, node: ast.Module) -> None:
        heads = {h for h, q in self.ctx.sem.imports.names.items() if q == "tensorflow"}
        if not self._module_in_keras():
            heads |= {h for h, q in self.ctx.sem.imports.names.items() if q == "keras"}
        for chain in iter_chains(self.ctx, heads):
            self._check_chain(chain)

    # ------------------------------------------------------------------ imports
    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level != 0 or not node.module:
            return
        module = node.module
        if module == "tensorflow":
            if not any(a.name == "keras" for a in node.names):
                return
            fix = None
            if len(node.names) == 1:
                alias = node.names[0]
                new = "import keras" + (f" as {alias.asname}" if alias.asname else "")
                fix = self.fix(f"Replace with `{new}`", [self.ctx.replace(node, new)])
            self.report(node, "Legacy Keras import `from tensorflow import keras`; import the "
                              "`keras` package", fix)
        elif _is_under(module, "tensorflow.keras"):
            new = "keras" + module[len("tensorflow.keras"):]
            self.report(node, f"Legacy Keras import from `{module}`; use `{new}`",
                        self._module_fix(node, new))
        elif _is_under(module, "tensorflow.python.keras"):
            self.report(node, f"Legacy Keras import from `{module}`; use the `keras` package")
        elif _is_under(module, "keras.src") and not self._module_in_keras():
            self.report(node, f"Import from private `{module}`; use the public `keras` API",
                        self._private_from_fix(node))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            name = alias.name
            if _is_under(name, "tensorflow.keras"):
                new = "keras" + name[len("tensorflow.keras"):]
                fix = self._alias_fix(alias, new) if alias.asname else None
                self.report(alias, f"Legacy Keras import `{name}`; use `{new}`", fix)
            elif _is_under(name, "tensorflow.python.keras"):
                self.report(alias, f"Legacy Keras import `{name}`; use the `keras` package")
            elif _is_under(name, "keras.src") and not self._module_in_keras():
                public = KERAS_PRIVATE_TO_PUBLIC.get(name)
                fix = self._alias_fix(alias, public) if alias.asname and public else None
                self.report(alias, f"Import of private `{name}`; use the public `keras` API", fix)

    def _module_in_keras(self) -> bool:
        return in_keras_package(self.ctx)

    def _module_fix(self, node: ast.ImportFrom, new: str) -> Fix | None:
        span = module_span(self.ctx, node)
        if span is None:
            return None
        return self.fix(f"Import from `{new}`", [Edit(span[0], span[1], new)])

    def _alias_fix(self, alias: ast.alias, new: str) -> Fix | None:
        span = alias_name_span(self.ctx, alias)
        if span is None:
            return None
        return self.fix(f"Import `{new}`", [Edit(span[0], span[1], new)])

    def _private_from_fix(self, node: ast.ImportFrom) -> Fix | None:
        modules = set()
        for alias in node.names:
            public = KERAS_PRIVATE_TO_PUBLIC.get(f"{node.module}.{alias.name}")
            if public is None:
                return None
            parent, _, leaf = public.rpartition(".")
            if leaf != alias.name:
                return None
            modules.add(parent)
        if len(modules) != 1:
            return None
        return self._module_fix(node, modules.pop())

    # ------------------------------------------------------------------ attribute chains
    def _check_chain(self, chain: ast.expr) -> None:
        text = dotted(chain) or ""
        head = text.split(".")[0]
        binding = self.ctx.sem.imports.names.get(head)
        qual = raw_qualname(self.ctx, chain)
        if binding is None or qual is None:
            return
        if binding == "tensorflow" and _is_under(qual, "tensorflow.keras"):
            public = "keras" + qual[len("tensorflow.keras"):]
            self.report(chain, f"Legacy Keras spelling `{self.ctx.text(chain)}`; use `{public}`",
                        self._chain_fix(chain, f"{head}.keras", None))
        elif binding == "tensorflow" and _is_under(qual, "tensorflow.python.keras"):
            self.report(chain, f"Legacy Keras spelling `{self.ctx.text(chain)}`; use the `keras` "
                               "package")
        elif binding == "keras" and _is_under(qual, "keras.src") and not self._module_in_keras():
            fix = None
            parts = qual.split(".")
            for n in range(len(parts), 2, -1):
                public = KERAS_PRIVATE_TO_PUBLIC.get(".".join(parts[:n]))
                if public is not None:
                    spelled = ".".join([head] + text.split(".")[1:n])
                    fix = self._chain_fix(chain, spelled, head + public[len("keras"):])
                    break
            self.report(chain, f"Use of private `{self.ctx.text(chain)}`; use the public `keras` "
                               "API", fix)

    def _chain_fix(self, chain: ast.expr, spelled: str, replacement: str | None) -> Fix | None:
        node = inner_node(chain, spelled)
        if node is None:
            return None
        edits = []
        if replacement is None:
            found = keras_import(self.ctx)
            if found is None:
                return None
            if found[0] is not None:
                edits.append(found[0])
            replacement = found[1]
        edits.append(self.ctx.replace(node, replacement))
        return self.fix(f"Replace with `{replacement}`", edits)

    VALID = [
        """
        import keras
        from keras import layers, ops

        dense = keras.layers.Dense(4)
        """,
        # TensorFlow without its Keras (DLT301 territory), and text mentions.
        '''
        """Ported from tf.keras; see `from tensorflow.keras import layers`."""
        import tensorflow as tf

        # tf.keras.layers.Dense would be legacy
        note = "tensorflow.keras"
        with tf.GradientTape() as tape:
            pass
        ''',
        # Keras' own source may use its private package.
        Valid(
            """
            from keras.src.layers.layer import Layer
            from keras.src import ops
            """,
            path="keras/src/layers/core/dense.py",
        ),
        # A public module that merely starts like the private one.
        """
        import keras_source_tools
        from keras_hub.layers import PositionEmbedding
        """,
    ]
    INVALID = [
        Invalid(
            """
            from tensorflow.keras import layers
            from tensorflow.keras.layers import Dense as D

            x = layers.Dense(2)
            """,
            count=2,
            expected_fixed="""
            from keras import layers
            from keras.layers import Dense as D

            x = layers.Dense(2)
            """,
        ),
        Invalid(
            """
            \"\"\"Module.\"\"\"
            from tensorflow import keras as K

            model = K.Sequential()
            """,
            expected_fixed="""
            \"\"\"Module.\"\"\"
            import keras as K

            model = K.Sequential()
            """,
        ),
        # Attribute chains through the TensorFlow module, any alias; `import keras` added.
        Invalid(
            """
            import tensorflow as T

            class Block(T.keras.layers.Layer):
                def build(self, shape):
                    self.k = self.add_weight(shape=(2,), initializer=T.keras.initializers.Zeros())
            """,
            count=2,
            expected_fixed="""
            import tensorflow as T
            import keras

            class Block(keras.layers.Layer):
                def build(self, shape):
                    self.k = self.add_weight(shape=(2,), initializer=keras.initializers.Zeros())
            """,
        ),
        Invalid(
            """
            import tensorflow.keras.backend as K
            import tensorflow.keras
            """,
            count=2,
            expected_fixed="""
            import keras.backend as K
            import tensorflow.keras
            """,
        ),
        # Private keras.src: fixed only when the public name of the same object is known.
        Invalid(
            """
            from keras.src.layers import Layer, Dense
            from keras.src import ops
            from keras.src.utils import tf_utils
            import keras

            x = keras.src.layers.Dense(3)
            """,
            count=4,
            expected_fixed="""
            from keras.layers import Layer, Dense
            from keras.src import ops
            from keras.src.utils import tf_utils
            import keras

            x = keras.layers.Dense(3)
            """,
        ),
    ]
