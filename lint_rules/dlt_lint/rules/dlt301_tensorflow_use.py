"""DLT301: backend-agnostic code does not call TensorFlow (``tf.GradientTape`` excepted).

Also home of the small expression helpers the DLT3xx rules share: name chains with their
parents, import-level qualified names, and where ``keras.ops`` is reachable.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator

from dlt_lint.astwalk import iter_child_nodes, walk
from dlt_lint.context import FileContext
from dlt_lint.diagnostics import Edit, Fix, Position
from dlt_lint.rule import Invalid, Rule, Valid
from dlt_lint.rules._backend import backend_package, under_backend_check
from dlt_lint.semantic import canonical, dotted
from dlt_lint.tf_to_ops import (
    DROPPABLE_KEYWORDS,
    KEYWORD_ALIASES,
    SHAPE_CONSUMERS,
    TF_ALLOWED,
    TF_DTYPES,
    TF_LOOKUP,
    TF_TO_OPS,
)

# ----------------------------------------------------------------------------- shared helpers

_INDEX_ATTR = "_dlt3xx_index"
_SCOPES_ATTR = "_dlt3xx_scopes"


class _FileIndex:
    """One walk over the tree: parent links, maximal read chains, and every name that is
    assigned or is a parameter somewhere (so shadowing is only checked where it can happen)."""

    def __init__(self, tree: ast.Module) -> None:
        self.parents: dict[int, ast.AST] = {}
        self.chains: list[tuple[ast.expr, str]] = []
        self.bound: set[str] = set()
        todo = deque([tree])
        iter_children = iter_child_nodes
        while todo:
            node = todo.popleft()
            for child in iter_children(node):
                self.parents[id(child)] = node
                todo.append(child)
            if isinstance(node, ast.Attribute):
                parent = self.parents.get(id(node))
                if isinstance(node.ctx, ast.Load) and not (
                        isinstance(parent, ast.Attribute) and parent.value is node):
                    text = dotted(node)
                    if text is not None:
                        self.chains.append((node, text))
            elif isinstance(node, ast.Name):
                if isinstance(node.ctx, ast.Load):
                    parent = self.parents.get(id(node))
                    if not (isinstance(parent, ast.Attribute) and parent.value is node):
                        self.chains.append((node, node.id))
                else:
                    self.bound.add(node.id)
            elif isinstance(node, ast.arg):
                self.bound.add(node.arg)
        self.chains.sort(key=lambda item: (item[0].lineno, item[0].col_offset))


def _index(ctx: FileContext) -> _FileIndex:
    cached = getattr(ctx, _INDEX_ATTR, None)
    if cached is None:
        cached = _FileIndex(ctx.tree)
        setattr(ctx, _INDEX_ATTR, cached)
    return cached


def parents(ctx: FileContext) -> dict[int, ast.AST]:
    """``id(child) -> parent`` for the whole tree (built once per file and shared)."""
    return _index(ctx).parents


def heads_bound(ctx: FileContext, *prefixes: str) -> set[str]:
    """Local names whose import binds a module at or under one of ``prefixes``."""
    return {local for local, qual in ctx.sem.imports.names.items()
            if any(qual == p or qual.startswith(p + ".") for p in prefixes)}


def iter_chains(ctx: FileContext, heads: set[str]) -> Iterator[ast.expr]:
    """Maximal chains that are read (not assigned) and start with one of ``heads``."""
    if not heads:
        return iter(())
    return iter([node for node, text in _index(ctx).chains if text.partition(".")[0] in heads])


def raw_qualname(ctx: FileContext, node: ast.AST) -> str | None:
    """Qualified name of a chain from the import that binds its head, NOT folded onto the
    public Keras API (``tf.keras.layers`` stays ``tensorflow.keras.layers``)."""
    text = dotted(node)
    if text is None:
        return None
    head, _, rest = text.partition(".")
    base = ctx.sem.imports.names.get(head)
    if base is None or _shadowed(ctx, node, head):
        return None
    return f"{base}.{rest}" if rest else base


def _function_locals(ctx: FileContext, func: ast.AST) -> set[str]:
    scopes = getattr(ctx, _SCOPES_ATTR, None)
    if scopes is None:
        scopes = {}
        setattr(ctx, _SCOPES_ATTR, scopes)
    key = id(func)
    if key not in scopes:
        names: set[str] = set()
        args = func.args  # type: ignore[attr-defined]
        for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
            if a is not None:
                names.add(a.arg)
        body = func.body if isinstance(func.body, list) else [func.body]  # type: ignore[attr-defined]
        for stmt in body:
            for n in walk(stmt):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    names.add(n.id)
                elif isinstance(n, (ast.Import, ast.ImportFrom)):
                    names.difference_update(a.asname or a.name.split(".")[0] for a in n.names)
        scopes[key] = names
    return scopes[key]


def _shadowed(ctx: FileContext, node: ast.AST, name: str) -> bool:
    """True when ``name`` is a parameter or local variable of a function enclosing ``node``."""
    if name not in _index(ctx).bound:
        return False
    par = parents(ctx)
    cur = par.get(id(node))
    while cur is not None:
        if isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if name in _function_locals(ctx, cur):
                return True
        cur = par.get(id(cur))
    return False


def tf_relative(qualname: str | None) -> str | None:
    """``"nn.relu"`` for ``tensorflow.nn.relu``, ``""`` for the module itself, else None."""
    if qualname == "tensorflow":
        return ""
    if qualname and qualname.startswith("tensorflow."):
        return qualname[len("tensorflow."):]
    return None


def in_keras_package(ctx: FileContext) -> bool:
    """Keras' own source: module ``keras.*``, or a file under a ``keras/src/`` directory (test
    folders without ``__init__.py`` get no dotted module name)."""
    if ctx.module == "keras" or ctx.module.startswith("keras."):
        return True
    return "/keras/src/" in "/" + ctx.filename.replace("\\", "/")


def keras_import(ctx: FileContext) -> tuple[Edit | None, str] | None:
    """The local name of the ``keras`` package, with the ``import keras`` edit when needed.
    None when the name is taken, or inside Keras itself (importing the package from its own
    modules would be circular)."""
    if in_keras_package(ctx):
        local = next((n for n, q in sorted(ctx.sem.imports.names.items()) if q == "keras"), None)
        return (None, local) if local else None
    imp, local = ctx.import_edit("keras")
    return None if local is None else (imp, local)


def ops_prefix(ctx: FileContext) -> tuple[Edit | None, str] | None:
    """How to spell ``keras.ops`` here: ``ops`` after ``from keras import ops`` (or, inside
    Keras, ``from keras.src import ops``), else ``keras.ops`` (with the ``import keras`` edit
    when needed). None: no spelling is available."""
    wanted = ("keras.ops", "keras.src.ops") if in_keras_package(ctx) else ("keras.ops",)
    for local, qual in sorted(ctx.sem.imports.names.items()):
        if qual in wanted:
            return None, local
    found = keras_import(ctx)
    if found is None:
        return None
    return found[0], f"{found[1]}.ops"


def merge_edits(edits: list[Edit]) -> list[Edit] | None:
    """Join edits that touch (an insertion at the end of a replacement) into one; None when two
    edits truly overlap."""
    out: list[Edit] = []
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        if out and e.start < out[-1].end:
            return None
        if out and e.start == out[-1].end:
            last = out.pop()
            e = Edit(last.start, e.end, last.content + e.content)
        out.append(e)
    return out


def _is_int_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is int


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


# Position of the ``dtype`` parameter in the keras.ops functions of the table.
_OPS_DTYPE_POSITION = {spec["target"]: spec["sig"].index("dtype")
                       for spec in TF_TO_OPS.values() if "dtype" in spec["sig"]}


class TensorFlowUse(Rule):
    """
    ## What it does
    Reports every use of the TensorFlow module in code that should run on any Keras backend:
    `tf.*` under any alias, `import tensorflow` used as `tensorflow.*`, and names imported
    with `from tensorflow import x` / `from tensorflow.math import reduce_sum`. The import
    lines themselves are not reported; their uses are. `tf.GradientTape` stays allowed (Keras
    has no tape of its own), and `tf.keras` is left to DLT303. Text in strings, comments and
    docstrings is never looked at. Code that is backend-specific on purpose is left alone:
    a branch under a check of the active backend
    (`if keras.backend.backend() == "tensorflow":`) and the modules of a backend
    implementation package (`<package>.backend.tensorflow`, Keras' own layout). Type
    annotations (`x: tf.Tensor`) and the exception types of `except` clauses
    (`tf.errors.InvalidArgumentError`) compute nothing and are not reported either.

    ## Why
    A layer written with `tf.*` calls only runs on the TensorFlow backend: switching the
    backend to JAX or PyTorch breaks it, and mixing TensorFlow tensors into `keras.ops` code
    hides graph-mode surprises. `keras.ops` offers the same operations for every backend.

    ## Example
    ```python
    import tensorflow as tf

    def pool(x):
        return tf.reduce_mean(tf.transpose(x, perm=[0, 2, 1]), axis=-1)
    ```

    ## Use instead
    ```python
    from keras import ops

    def pool(x):
        return ops.mean(ops.transpose(x, axes=[0, 2, 1]), axis=-1)
    ```

    ## Fix safety
    Safe where the call has a one-to-one `keras.ops` equivalent in the rule's mapping table
    (`dlt_lint/tf_to_ops.py`: 100 functions, about 150 TensorFlow spellings). The callee
    becomes `ops.<fn>` when the module already has `from keras import ops`, else
    `keras.ops.<fn>` (adding `import keras`; inside Keras itself only an existing `ops` import
    is used). Argument names are mapped (`perm` -> `axes`, `limit` -> `stop`, ...), arguments
    that must change position are passed by keyword, a `name=` argument is dropped, and where
    the `keras.ops` default differs the TensorFlow default is written out (`tf.nn.gelu(x)` ->
    `ops.gelu(x, approximate=False)`, `tf.cumsum(x)` -> `ops.cumsum(x, axis=0)`). A call that
    uses an argument without an equivalent (`transpose_a=`, `exclusive=`, `mode=`...) gets no
    fix. `tf.shape(x)` is only rewritten where the tuple `keras.ops.shape` returns behaves like
    the tensor (indexed with an integer, unpacked, or passed as a shape; a static dimension
    then comes back as a Python int). `tf.float32` becomes `"float32"` where it is passed as a
    dtype. `tf.argmax` / `tf.argmin` fixes are unsafe (int32 instead of int64 indices), and
    integer reductions (`tf.reduce_mean` of an int tensor) return floats in `keras.ops`. The
    TensorFlow import is left in place (removing an unused import is another tool's job).
    """

    code = "DLT301"

    fix_scope = "edit"
    name = "tensorflow-use"
    summary = "TensorFlow used in backend-agnostic code (use keras.ops; tf.GradientTape is allowed)"
    fix_availability = "sometimes"
    needles = ("tensorflow",)

    def visit_Module(self, node: ast.Module) -> None:
        if backend_package(self.ctx.sem.module):
            return
        heads = heads_bound(self.ctx, "tensorflow")
        if not heads:
            return
        par = parents(self.ctx)
        for chain in iter_chains(self.ctx, heads):
            rel = tf_relative(raw_qualname(self.ctx, chain))
            if rel is None or self._allowed(rel) or under_backend_check(chain, par) \
                    or self._annotation_or_handler(chain, par):
                continue
            text = self.ctx.text(chain)
            parent = par.get(id(chain))
            dtype = rel[len("dtypes."):] if rel.startswith("dtypes.") else rel
            if dtype in TF_DTYPES:
                fix = self._dtype_fix(chain, dtype, parent)
                self.report(chain, f"TensorFlow dtype `{text}`: Keras takes the dtype name "
                                   f"\"{dtype}\"", fix)
                continue
            spec = TF_LOOKUP.get(rel)
            if spec is None:
                self.report(chain, f"Use of TensorFlow `{text}` ties the code to the TensorFlow "
                                   "backend (use keras.ops)")
                continue
            if isinstance(parent, ast.Call) and parent.func is chain:
                fix = self._call_fix(parent, chain, spec)
            else:
                fix = self._reference_fix(chain, spec)
            self.report(chain, f"TensorFlow call `{text}` ties the code to the TensorFlow backend; "
                               f"use `keras.ops.{spec['target']}`", fix)

    @staticmethod
    def _annotation_or_handler(node: ast.AST, par: dict[int, ast.AST]) -> bool:
        """``node`` is (inside) a type annotation or the exception type of an ``except``:
        it computes nothing, and ``keras.ops`` has no replacement to offer."""
        child, parent = node, par.get(id(node))
        while parent is not None:
            if isinstance(parent, ast.arg) and parent.annotation is child:
                return True
            if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)) and parent.returns is child:
                return True
            if isinstance(parent, ast.AnnAssign) and parent.annotation is child:
                return True
            if isinstance(parent, ast.ExceptHandler) and parent.type is child:
                return True
            if isinstance(parent, ast.stmt):
                return False
            child, parent = parent, par.get(id(parent))
        return False

    @staticmethod
    def _allowed(rel: str) -> bool:
        if rel in TF_ALLOWED or any(rel.startswith(a + ".") for a in TF_ALLOWED):
            return True
        # Legacy Keras spellings (tf.keras, tensorflow.python.keras) belong to DLT303.
        return rel == "keras" or rel.startswith(("keras.", "python.keras"))

    # ------------------------------------------------------------------ fixes
    def _dtype_fix(self, chain: ast.expr, dtype: str, parent: ast.AST | None) -> Fix | None:
        ok = isinstance(parent, ast.keyword) and parent.arg == "dtype"
        if isinstance(parent, ast.Call) and chain in parent.args:
            index = parent.args.index(chain)
            rel = tf_relative(raw_qualname(self.ctx, parent.func))
            spec = TF_LOOKUP.get(rel) if rel is not None else None
            if spec is not None:
                ok = index < len(spec["args"]) and spec["args"][index] == "dtype"
            else:
                q = self.ctx.sem.resolve(parent.func) or ""
                fn = q[len("keras.ops."):] if q.startswith("keras.ops.") else None
                ok = fn is not None and _OPS_DTYPE_POSITION.get(fn) == index
        if not ok:
            return None
        return self.fix(f"Replace with \"{dtype}\"", [self.ctx.replace(chain, f'"{dtype}"')],
                        unsafe=False)

    def _reference_fix(self, chain: ast.expr, spec: dict) -> Fix | None:
        """``activation=tf.nn.relu``: a plain one-argument function can be swapped as is."""
        if len(spec["args"]) != 1 or any(spec.get(k) for k in ("inject", "require", "context",
                                                                 "not_none", "unsafe")):
            return None
        prefix = ops_prefix(self.ctx)
        if prefix is None:
            return None
        imp, ops = prefix
        edits = [self.ctx.replace(chain, f"{ops}.{spec['target']}")]
        if imp is not None:
            edits.insert(0, imp)
        return self.fix(f"Replace with `keras.ops.{spec['target']}`", edits, unsafe=False)

    def _call_fix(self, call: ast.Call, chain: ast.expr, spec: dict) -> Fix | None:
        prefix = ops_prefix(self.ctx)
        if prefix is None:
            return None
        imp, ops = prefix
        args: list[str] = spec["args"]
        sig: list[str] = spec["sig"]
        rename: dict = spec.get("rename", {})
        variadic = next((i for i, a in enumerate(args) if a.startswith("*")), None)
        edits: list[Edit] = [self.ctx.replace(chain, f"{ops}.{spec['target']}")]
        supplied: dict[str, ast.expr] = {}
        as_keyword = False
        for i, arg in enumerate(call.args):
            if variadic is not None and i >= variadic:
                continue  # passes through (einsum operands)
            if isinstance(arg, ast.Starred) or i >= len(args):
                return None
            param = args[i]
            target = rename.get(param, param)
            if target is None:
                return None
            supplied[param] = arg
            if as_keyword or target not in sig or sig.index(target) != i:
                if variadic is not None:
                    return None
                as_keyword = True
                edits.append(self.ctx.insert_at(self.ctx.start(arg), f"{target}="))
        items = sorted(list(call.args) + list(call.keywords), key=lambda n: (n.lineno, n.col_offset))
        kept = list(items)
        for kw in call.keywords:
            if kw.arg is None:
                return None
            param = KEYWORD_ALIASES.get(kw.arg, kw.arg)
            if param in DROPPABLE_KEYWORDS:
                deletion = self._deletion(kw, items)
                if deletion is None:
                    return None
                edits.append(deletion)
                kept.remove(kw)
                continue
            if param not in args or param in supplied:
                return None
            target = rename.get(param, param)
            if target is None:
                return None
            supplied[param] = kw.value
            if target != kw.arg:
                start = self.ctx.start(kw)
                edits.append(Edit(start, Position(start.row, start.column + len(kw.arg)), target))
        if any(p not in supplied for p in spec.get("require", ())):
            return None
        if any(p in supplied and _is_none(supplied[p]) for p in spec.get("not_none", ())):
            return None
        if any(p in supplied and not _is_int_literal(supplied[p]) for p in spec.get("int_literal", ())):
            return None
        if spec.get("context") == "shape" and not self._shape_context(call):
            return None
        injected = [f"{rename.get(p, p)}={src}" for p, src in spec.get("inject", {}).items()
                    if p not in supplied]
        if injected:
            if not kept:
                return None
            edits.append(self.ctx.insert_at(self.ctx.end(kept[-1]), ", " + ", ".join(injected)))
        merged = merge_edits(edits)
        if merged is None:
            return None
        if imp is not None:
            merged.insert(0, imp)
        unsafe = bool(spec.get("unsafe"))
        return self.fix(f"Replace with `keras.ops.{spec['target']}`", merged, unsafe=unsafe)

    def _deletion(self, kw: ast.keyword, items: list[ast.AST]) -> Edit | None:
        """Remove ``name=...`` together with one adjacent comma."""
        index = items.index(kw)
        if index > 0:
            start, end = self.ctx.end(items[index - 1]), self.ctx.end(kw)
        elif index + 1 < len(items):
            start, end = self.ctx.start(kw), self.ctx.start(items[index + 1])
        else:
            start, end = self.ctx.start(kw), self.ctx.end(kw)
        segment = self._segment(start, end)
        if segment is None or "#" in segment:
            return None
        return Edit(start, end, "")

    def _segment(self, start: Position, end: Position) -> str | None:
        lines = self.ctx.lines
        if start.row == end.row:
            return lines[start.row - 1][start.column:end.column]
        parts = [lines[start.row - 1][start.column:]]
        parts.extend(lines[start.row:end.row - 1])
        parts.append(lines[end.row - 1][:end.column])
        return "\n".join(parts)

    def _shape_context(self, call: ast.Call) -> bool:
        """Where the tuple from ``keras.ops.shape`` can stand in for ``tf.shape``'s tensor."""
        parent = parents(self.ctx).get(id(call))
        if isinstance(parent, ast.Subscript) and parent.value is call:
            return _is_int_literal(parent.slice)
        if isinstance(parent, ast.Assign) and parent.value is call:
            return all(isinstance(t, (ast.Tuple, ast.List)) for t in parent.targets)
        holder = parent
        if isinstance(parent, ast.keyword):
            if parent.arg not in ("shape", "newshape"):
                return False
            holder = parents(self.ctx).get(id(parent))
        if isinstance(holder, ast.Call) and holder.func is not call:
            for q in (raw_qualname(self.ctx, holder.func), self.ctx.sem.resolve(holder.func)):
                if q and canonical(q) in SHAPE_CONSUMERS or q in SHAPE_CONSUMERS:
                    return True
        return False

    VALID = [
        # The one TensorFlow API Keras code may use.
        """
        import tensorflow as tf

        def step(model, x):
            with tf.GradientTape() as tape:
                y = model(x)
            return tape.gradient(y, model.trainable_variables)
        """,
        """
        from tensorflow import GradientTape

        def step(model, x):
            with GradientTape(persistent=True) as tape:
                return model(x)
        """,
        # TensorFlow only in a docstring, a string and a comment.
        '''
        """Mirrors tf.reduce_sum from tensorflow."""
        from keras import ops

        def total(x):
            # was: tf.reduce_sum(x)
            label = "tf.reduce_sum(x)"
            return ops.sum(x)
        ''',
        # Legacy tf.keras is DLT303's business.
        """
        import tensorflow as tf

        layer = tf.keras.layers.Dense(4)
        """,
        # A local variable that happens to be called like the import.
        """
        import tensorflow as tf

        def f(tf, x):
            return tf.reduce_sum(x)
        """,
        # Not TensorFlow at all.
        """
        import numpy as tf

        y = tf.sum([1, 2])
        """,
        # Backend-specific on purpose: under a check of the active backend.
        """
        import keras
        import tensorflow as tf


        def densify(x):
            if keras.backend.backend() == "tensorflow":
                return tf.sparse.to_dense(x)
            return x
        """,
        # A backend implementation package is written for its backend.
        Valid(
            """
            import tensorflow as tf


            def matmul(a, b):
                return tf.matmul(a, b)
            """,
            path="mylib/backend/tensorflow/numpy.py",
        ),
        # Annotations and exception types compute nothing.
        """
        import keras
        import tensorflow as tf


        def l2(v: tf.Tensor) -> tf.Tensor:
            norm: tf.Tensor = keras.ops.sqrt(keras.ops.sum(keras.ops.square(v), axis=-1))
            return norm


        def update_all(metrics, y, y_pred):
            for m in metrics:
                try:
                    m.update_state(y, y_pred)
                except (ValueError, tf.errors.InvalidArgumentError):
                    continue
        """,
    ]
    INVALID = [
        Invalid(
            """
            import tensorflow as tf
            from keras import ops

            def pool(x):
                return tf.reduce_mean(x, axis=-1, keepdims=True)
            """,
            expected_fixed="""
            import tensorflow as tf
            from keras import ops

            def pool(x):
                return ops.mean(x, axis=-1, keepdims=True)
            """,
        ),
        # Alias, nested calls, argument renames; `import keras` added.
        Invalid(
            """
            import tensorflow as T

            def f(x, y):
                z = T.transpose(T.matmul(x, y, name="mm"), perm=[0, 2, 1])
                return T.concat([z, T.nn.gelu(z)], axis=-1)
            """,
            count=4,
            expected_fixed="""
            import tensorflow as T
            import keras

            def f(x, y):
                z = keras.ops.transpose(keras.ops.matmul(x, y), axes=[0, 2, 1])
                return keras.ops.concatenate([z, keras.ops.gelu(z, approximate=False)], axis=-1)
            """,
        ),
        # `from tensorflow.math import reduce_sum`, `import tensorflow` without alias, dtypes.
        Invalid(
            """
            import tensorflow
            from tensorflow.math import reduce_sum as rsum
            from keras import ops

            def f(x, n):
                x = tensorflow.cast(x, tensorflow.float32)
                return rsum(x, 1) + tensorflow.range(0, n, 2, dtype=tensorflow.int32)
            """,
            count=5,
            expected_fixed="""
            import tensorflow
            from tensorflow.math import reduce_sum as rsum
            from keras import ops

            def f(x, n):
                x = ops.cast(x, "float32")
                return ops.sum(x, 1) + ops.arange(0, n, 2, dtype="int32")
            """,
        ),
        # Positional arguments that move: tf.one_hot(indices, depth, on, off, axis).
        Invalid(
            """
            from keras import ops
            from tensorflow import one_hot, shape

            def f(x):
                b = shape(x)[0]
                return one_hot(x, 4, axis=-1), b
            """,
            count=2,
            expected_fixed="""
            from keras import ops
            from tensorflow import one_hot, shape

            def f(x):
                b = ops.shape(x)[0]
                return ops.one_hot(x, 4, axis=-1), b
            """,
        ),
        # No keras.ops equivalent, or arguments without one: reported, not fixed.
        Invalid(
            """
            import tensorflow as tf

            @tf.function
            def f(x: tf.Tensor, y):
                s = tf.shape(x) * 2
                return tf.matmul(x, y, transpose_b=True), tf.where(x > 0), s
            """,
            count=4,  # the annotation is not reported
            expected_fixed=None,
        ),
        # Defaults that differ are written out; tf.argmax is an unsafe fix.
        Invalid(
            """
            import keras
            import tensorflow as tf

            def f(x):
                a = tf.cumsum(x)
                return a, tf.math.argmax(x), tf.gather(x, [0, 1])
            """,
            count=3,
            unsafe_fixes=True,
            expected_fixed="""
            import keras
            import tensorflow as tf

            def f(x):
                a = keras.ops.cumsum(x, axis=0)
                return a, keras.ops.argmax(x, axis=0), keras.ops.take(x, [0, 1], axis=0)
            """,
        ),
        # Inside Keras itself: its private `ops` import is used, no `import keras` is added.
        Invalid(
            """
            import tensorflow as tf
            from keras.src import ops

            def f(x):
                return tf.reduce_sum(x, axis=0), tf.nn.relu(x)
            """,
            path="keras/src/layers/pooling/demo.py",
            count=2,
            expected_fixed="""
            import tensorflow as tf
            from keras.src import ops

            def f(x):
                return ops.sum(x, axis=0), ops.relu(x)
            """,
        ),
        # A function passed as a value.
        Invalid(
            """
            import keras
            import tensorflow as tf

            layer = keras.layers.Dense(4, activation=tf.nn.relu)
            """,
            expected_fixed="""
            import keras
            import tensorflow as tf

            layer = keras.layers.Dense(4, activation=keras.ops.relu)
            """,
        ),
    ]
