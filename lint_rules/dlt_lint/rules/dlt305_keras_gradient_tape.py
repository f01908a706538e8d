"""DLT305: ``keras.GradientTape`` does not exist; the tape is ``tf.GradientTape``."""

from __future__ import annotations

import ast

from dlt_lint.astwalk import walk
from dlt_lint.context import _import_anchor
from dlt_lint.diagnostics import Edit, Fix
from dlt_lint.rule import Invalid, Rule
from dlt_lint.rules.dlt301_tensorflow_use import heads_bound, iter_chains, raw_qualname
from dlt_lint.rules.dlt303_legacy_keras_import import module_span
from dlt_lint.semantic import canonical

_TF_ALIAS = "tf"


def _keras_tape(qualname: str | None) -> bool:
    """``keras.GradientTape``, ``keras.backend.GradientTape``, ... (after folding tf.keras)."""
    q = canonical(qualname) or ""
    return q.startswith("keras.") and q.endswith(".GradientTape")


class KerasGradientTape(Rule):
    """
    ## What it does
    Reports `keras.GradientTape` under any spelling (`keras.GradientTape()`,
    `tf.keras.GradientTape`, `keras.backend.GradientTape`, `from keras import GradientTape`).

    ## Why
    Keras 3 has no gradient tape: custom training steps on the TensorFlow backend use
    `tf.GradientTape`, the one TensorFlow API the framework's code may use. The Keras spelling
    fails with an `AttributeError` / `ImportError` when the code runs.

    ## Example
    ```python
    import keras

    with keras.GradientTape() as tape:
        loss = model(x)
    ```

    ## Use instead
    ```python
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = model(x)
    ```

    ## Fix safety
    Safe: the original cannot run. The chain becomes `<tf>.GradientTape`, using the module's
    existing TensorFlow import (any alias) or adding `import tensorflow as tf`; when the name
    `tf` is already used for something else no fix is offered.
    `from keras import GradientTape` becomes `from tensorflow import GradientTape`.
    """

    code = "DLT305"

    fix_scope = "edit"
    name = "keras-gradient-tape"
    summary = "keras.GradientTape does not exist; use tf.GradientTape"
    fix_availability = "safe"
    needles = ("GradientTape",)

    def visit_Module(self, node: ast.Module) -> None:
        for chain in iter_chains(self.ctx, heads_bound(self.ctx, "keras", "tensorflow")):
            if not isinstance(chain, ast.Attribute) or chain.attr != "GradientTape":
                continue  # a bare imported name is reported at its import
            if _keras_tape(raw_qualname(self.ctx, chain)):
                self.report(chain, f"`{self.ctx.text(chain)}` does not exist; use "
                                   "`tf.GradientTape`", self._chain_fix(chain))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level != 0 or not node.module:
            return
        if not any(_keras_tape(f"{node.module}.{a.name}") for a in node.names):
            return
        fix = None
        span = module_span(self.ctx, node)
        if len(node.names) == 1 and span is not None:
            fix = self.fix("Import GradientTape from tensorflow", [Edit(span[0], span[1], "tensorflow")])
        self.report(node, f"`{node.module}` has no `GradientTape`; import it from tensorflow", fix)

    def _chain_fix(self, chain: ast.Attribute) -> Fix | None:
        edits: list[Edit] = []
        local = self._tf_local()
        if local is None:
            if not self._tf_name_free():
                return None
            local = _TF_ALIAS
            anchor = _import_anchor(self.ctx.tree)
            line = f"import tensorflow as {_TF_ALIAS}"
            if anchor > len(self.ctx.lines):
                edits.append(self.ctx.insert_line_after(len(self.ctx.lines), line))
            else:
                edits.append(self.ctx.insert_line_before(anchor, line))
        edits.append(self.ctx.replace(chain, f"{local}.GradientTape"))
        return self.fix(f"Replace with `{local}.GradientTape`", edits)

    def _tf_local(self) -> str | None:
        bound = sorted(n for n, q in self.ctx.sem.imports.names.items() if q == "tensorflow")
        if _TF_ALIAS in bound:
            return _TF_ALIAS
        return bound[0] if bound else None

    def _tf_name_free(self) -> bool:
        if _TF_ALIAS in self.ctx.sem.imports.names or _TF_ALIAS in self.ctx.sem.local_defs:
            return False
        for n in walk(self.ctx.tree):
            if isinstance(n, ast.Name) and n.id == _TF_ALIAS:
                return False
            if isinstance(n, ast.arg) and n.arg == _TF_ALIAS:
                return False
        return True

    VALID = [
        """
        import tensorflow as tf

        with tf.GradientTape() as tape:
            pass
        """,
        """
        from tensorflow import GradientTape
        import keras

        with GradientTape() as tape:
            y = keras.ops.ones(2)
        """,
        '''
        """keras.GradientTape does not exist."""
        import keras

        class GradientTape:
            pass

        tape = GradientTape()
        ''',
    ]
    INVALID = [
        Invalid(
            """
            \"\"\"Training step.\"\"\"
            import keras

            def step(model, x):
                with keras.GradientTape() as tape:
                    y = model(x)
                return tape.gradient(y, model.trainable_weights)
            """,
            expected_fixed="""
            \"\"\"Training step.\"\"\"
            import keras
            import tensorflow as tf

            def step(model, x):
                with tf.GradientTape() as tape:
                    y = model(x)
                return tape.gradient(y, model.trainable_weights)
            """,
        ),
        # The existing TensorFlow alias is used; tf.keras and keras.backend spellings.
        Invalid(
            """
            import tensorflow as T
            import keras as K

            a = T.keras.GradientTape()
            b = K.backend.GradientTape(persistent=True)
            """,
            count=2,
            expected_fixed="""
            import tensorflow as T
            import keras as K

            a = T.GradientTape()
            b = T.GradientTape(persistent=True)
            """,
        ),
        Invalid(
            """
            from keras import GradientTape as Tape
            """,
            expected_fixed="""
            from tensorflow import GradientTape as Tape
            """,
        ),
        # `tf` means something else here: reported without a fix.
        Invalid(
            """
            import keras

            def step(tf, x):
                with keras.GradientTape() as tape:
                    return tf(x)
            """,
            expected_fixed=None,
        ),
    ]
