"""Data tables for the backend-agnostic rules (DLT301, DLT303).

Nothing here imports TensorFlow or Keras: the tables are plain literals that the rules read
and that ``tests/lint/test_rules_dlt3xx.py`` checks against the installed libraries (every
TensorFlow path exists with the listed parameters in that order, every ``keras.ops`` target
exists with the listed signature), so the tables cannot silently rot.

``TF_TO_OPS`` maps a TensorFlow function, spelled relative to the ``tensorflow`` module
(``"reduce_sum"`` is ``tf.reduce_sum``, ``"nn.relu"`` is ``tf.nn.relu``), to its one-to-one
``keras.ops`` equivalent. Entry fields:

``target``
    name of the ``keras.ops`` function.
``sig``
    the positional parameters of the ``keras.ops`` function, in order (used to decide whether
    an argument can stay positional or must be passed by keyword).
``args``
    the TensorFlow parameters the rule understands, in TensorFlow's positional order
    (``name`` excepted: it only names a graph op and is dropped). A ``*`` prefix marks a
    variadic parameter whose arguments pass through unchanged. A call that uses any other
    parameter gets no fix.
``rename``
    TensorFlow parameter -> ``keras.ops`` parameter, for parameters spelled differently.
    ``None``: the parameter has no equivalent; a call that passes it gets no fix.
``inject``
    TensorFlow parameter -> source text of its TensorFlow default, added as a keyword when the
    call omits it, because the ``keras.ops`` default differs (``tf.nn.gelu`` is exact,
    ``keras.ops.gelu`` approximates by default).
``require``
    parameters that must be passed for the two functions to agree (single-argument
    ``tf.where`` returns coordinates, ``keras.ops.where`` a tuple of index arrays).
``not_none``
    parameters whose literal ``None`` means something else in ``keras.ops``.
``int_literal``
    parameters that must be an integer literal (``tf.split`` takes sizes, ``keras.ops.split``
    takes split points; they agree only for an integer count).
``context``
    ``"shape"``: ``tf.shape`` returns a tensor, ``keras.ops.shape`` a tuple; they agree only
    when the result is indexed with an integer, unpacked, or passed as a shape argument.
``unsafe``
    why the fix needs a human look (it is then offered as unsafe).
``aliases``
    other TensorFlow spellings of the same function (``math.reduce_sum``).
"""

from __future__ import annotations

from typing import Any

TF_TO_OPS: dict[str, dict[str, Any]] = {
    # ------------------------------------------------------------------ linear algebra
    "matmul": {"target": "matmul", "sig": ["x1", "x2"], "args": ["a", "b"],
               "rename": {"a": "x1", "b": "x2"}, "aliases": ["linalg.matmul"]},
    "einsum": {"target": "einsum", "sig": ["subscripts", "*operands"],
               "args": ["equation", "*inputs"],
               "rename": {"equation": "subscripts", "*inputs": "*operands"},
               "aliases": ["linalg.einsum"]},
    "tensordot": {"target": "tensordot", "sig": ["x1", "x2", "axes"], "args": ["a", "b", "axes"],
                  "rename": {"a": "x1", "b": "x2"}, "aliases": ["linalg.tensordot"]},
    # ------------------------------------------------------------------ shapes
    "reshape": {"target": "reshape", "sig": ["x", "newshape"], "args": ["tensor", "shape"],
                "rename": {"tensor": "x", "shape": "newshape"}},
    "transpose": {"target": "transpose", "sig": ["x", "axes"], "args": ["a", "perm"],
                  "rename": {"a": "x", "perm": "axes"}},
    "concat": {"target": "concatenate", "sig": ["xs", "axis"], "args": ["values", "axis"],
               "rename": {"values": "xs"}},
    "stack": {"target": "stack", "sig": ["x", "axis"], "args": ["values", "axis"],
              "rename": {"values": "x"}},
    "unstack": {"target": "unstack", "sig": ["x", "num", "axis"], "args": ["value", "num", "axis"],
                "rename": {"value": "x"}},
    "expand_dims": {"target": "expand_dims", "sig": ["x", "axis"], "args": ["input", "axis"],
                    "rename": {"input": "x"}},
    "squeeze": {"target": "squeeze", "sig": ["x", "axis"], "args": ["input", "axis"],
                "rename": {"input": "x"}},
    "tile": {"target": "tile", "sig": ["x", "repeats"], "args": ["input", "multiples"],
             "rename": {"input": "x", "multiples": "repeats"}},
    "repeat": {"target": "repeat", "sig": ["x", "repeats", "axis"],
               "args": ["input", "repeats", "axis"], "rename": {"input": "x"}},
    "broadcast_to": {"target": "broadcast_to", "sig": ["x", "shape"], "args": ["input", "shape"],
                     "rename": {"input": "x"}},
    "shape": {"target": "shape", "sig": ["x"], "args": ["input"], "rename": {"input": "x"},
              "context": "shape"},
    "size": {"target": "size", "sig": ["x"], "args": ["input"], "rename": {"input": "x"}},
    "split": {"target": "split", "sig": ["x", "indices_or_sections", "axis"],
              "args": ["value", "num_or_size_splits", "axis"],
              "rename": {"value": "x", "num_or_size_splits": "indices_or_sections"},
              "int_literal": ["num_or_size_splits"]},
    "gather": {"target": "take", "sig": ["x", "indices", "axis"],
               "args": ["params", "indices", "validate_indices", "axis"],
               "rename": {"params": "x", "validate_indices": None},
               "inject": {"axis": "0"}, "not_none": ["axis"]},
    "reverse": {"target": "flip", "sig": ["x", "axis"], "args": ["tensor", "axis"],
                "rename": {"tensor": "x"}},
    "roll": {"target": "roll", "sig": ["x", "shift", "axis"], "args": ["input", "shift", "axis"],
             "rename": {"input": "x"}},
    "pad": {"target": "pad", "sig": ["x", "pad_width", "mode", "constant_values"],
            "args": ["tensor", "paddings", "mode", "constant_values"],
            "rename": {"tensor": "x", "paddings": "pad_width", "mode": None}},
    "where": {"target": "where", "sig": ["condition", "x1", "x2"], "args": ["condition", "x", "y"],
              "rename": {"x": "x1", "y": "x2"}, "require": ["x", "y"]},
    # ------------------------------------------------------------------ creation / dtype
    "zeros": {"target": "zeros", "sig": ["shape", "dtype"], "args": ["shape", "dtype"]},
    "ones": {"target": "ones", "sig": ["shape", "dtype"], "args": ["shape", "dtype"]},
    "zeros_like": {"target": "zeros_like", "sig": ["x", "dtype"], "args": ["input", "dtype"],
                   "rename": {"input": "x"}},
    "ones_like": {"target": "ones_like", "sig": ["x", "dtype"], "args": ["input", "dtype"],
                  "rename": {"input": "x"}},
    "eye": {"target": "eye", "sig": ["N", "M", "k", "dtype"],
            "args": ["num_rows", "num_columns", "batch_shape", "dtype"],
            "rename": {"num_rows": "N", "num_columns": "M", "batch_shape": None},
            "aliases": ["linalg.eye"]},
    "range": {"target": "arange", "sig": ["start", "stop", "step", "dtype"],
              "args": ["start", "limit", "delta", "dtype"],
              "rename": {"limit": "stop", "delta": "step"}},
    "one_hot": {"target": "one_hot", "sig": ["x", "num_classes", "axis", "dtype"],
                "args": ["indices", "depth", "on_value", "off_value", "axis", "dtype"],
                "rename": {"indices": "x", "depth": "num_classes", "on_value": None,
                           "off_value": None}},
    "cast": {"target": "cast", "sig": ["x", "dtype"], "args": ["x", "dtype"],
             "aliases": ["dtypes.cast"]},
    "convert_to_tensor": {"target": "convert_to_tensor", "sig": ["x", "dtype"],
                          "args": ["value", "dtype"], "rename": {"value": "x"}},
    "stop_gradient": {"target": "stop_gradient", "sig": ["variable"], "args": ["input"],
                      "rename": {"input": "variable"}},
    # ------------------------------------------------------------------ reductions
    "reduce_mean": {"target": "mean", "sig": ["x", "axis", "keepdims"],
                    "args": ["input_tensor", "axis", "keepdims"], "rename": {"input_tensor": "x"},
                    "aliases": ["math.reduce_mean"]},
    "reduce_sum": {"target": "sum", "sig": ["x", "axis", "keepdims"],
                   "args": ["input_tensor", "axis", "keepdims"], "rename": {"input_tensor": "x"},
                   "aliases": ["math.reduce_sum"]},
    "reduce_max": {"target": "max", "sig": ["x", "axis", "keepdims"],
                   "args": ["input_tensor", "axis", "keepdims"], "rename": {"input_tensor": "x"},
                   "aliases": ["math.reduce_max"]},
    "reduce_min": {"target": "min", "sig": ["x", "axis", "keepdims"],
                   "args": ["input_tensor", "axis", "keepdims"], "rename": {"input_tensor": "x"},
                   "aliases": ["math.reduce_min"]},
    "reduce_prod": {"target": "prod", "sig": ["x", "axis", "keepdims"],
                    "args": ["input_tensor", "axis", "keepdims"], "rename": {"input_tensor": "x"},
                    "aliases": ["math.reduce_prod"]},
    "reduce_any": {"target": "any", "sig": ["x", "axis", "keepdims"],
                   "args": ["input_tensor", "axis", "keepdims"], "rename": {"input_tensor": "x"},
                   "aliases": ["math.reduce_any"]},
    "reduce_all": {"target": "all", "sig": ["x", "axis", "keepdims"],
                   "args": ["input_tensor", "axis", "keepdims"], "rename": {"input_tensor": "x"},
                   "aliases": ["math.reduce_all"]},
    "reduce_logsumexp": {"target": "logsumexp", "sig": ["x", "axis", "keepdims"],
                         "args": ["input_tensor", "axis", "keepdims"],
                         "rename": {"input_tensor": "x"}, "aliases": ["math.reduce_logsumexp"]},
    "math.reduce_variance": {"target": "var", "sig": ["x", "axis", "keepdims"],
                             "args": ["input_tensor", "axis", "keepdims"],
                             "rename": {"input_tensor": "x"}},
    "math.reduce_std": {"target": "std", "sig": ["x", "axis", "keepdims"],
                        "args": ["input_tensor", "axis", "keepdims"],
                        "rename": {"input_tensor": "x"}},
    "nn.moments": {"target": "moments", "sig": ["x", "axes", "keepdims"],
                   "args": ["x", "axes", "shift", "keepdims"], "rename": {"shift": None}},
    "argmax": {"target": "argmax", "sig": ["x", "axis"], "args": ["input", "axis"],
               "rename": {"input": "x"}, "inject": {"axis": "0"}, "not_none": ["axis"],
               "unsafe": "keras.ops.argmax returns int32 indices, tf.argmax int64",
               "aliases": ["math.argmax"]},
    "argmin": {"target": "argmin", "sig": ["x", "axis"], "args": ["input", "axis"],
               "rename": {"input": "x"}, "inject": {"axis": "0"}, "not_none": ["axis"],
               "unsafe": "keras.ops.argmin returns int32 indices, tf.argmin int64",
               "aliases": ["math.argmin"]},
    "cumsum": {"target": "cumsum", "sig": ["x", "axis"], "args": ["x", "axis"],
               "inject": {"axis": "0"}, "not_none": ["axis"], "aliases": ["math.cumsum"]},
    "math.cumprod": {"target": "cumprod", "sig": ["x", "axis"], "args": ["x", "axis"],
                     "inject": {"axis": "0"}, "not_none": ["axis"]},
    "sort": {"target": "sort", "sig": ["x", "axis"], "args": ["values", "axis"],
             "rename": {"values": "x"}},
    "argsort": {"target": "argsort", "sig": ["x", "axis"], "args": ["values", "axis"],
                "rename": {"values": "x"}},
    # ------------------------------------------------------------------ activations
    "nn.relu": {"target": "relu", "sig": ["x"], "args": ["features"],
                "rename": {"features": "x"}},
    "nn.relu6": {"target": "relu6", "sig": ["x"], "args": ["features"],
                 "rename": {"features": "x"}},
    "nn.gelu": {"target": "gelu", "sig": ["x", "approximate"], "args": ["features", "approximate"],
                "rename": {"features": "x"}, "inject": {"approximate": "False"}},
    "nn.silu": {"target": "silu", "sig": ["x"], "args": ["features"],
                "rename": {"features": "x"}, "aliases": ["nn.swish"]},
    "nn.elu": {"target": "elu", "sig": ["x"], "args": ["features"], "rename": {"features": "x"}},
    "nn.selu": {"target": "selu", "sig": ["x"], "args": ["features"], "rename": {"features": "x"}},
    "nn.leaky_relu": {"target": "leaky_relu", "sig": ["x", "negative_slope"],
                      "args": ["features", "alpha"],
                      "rename": {"features": "x", "alpha": "negative_slope"}},
    "nn.softplus": {"target": "softplus", "sig": ["x"], "args": ["features"],
                    "rename": {"features": "x"}, "aliases": ["math.softplus"]},
    "sigmoid": {"target": "sigmoid", "sig": ["x"], "args": ["x"],
                "aliases": ["nn.sigmoid", "math.sigmoid"]},
    "math.log_sigmoid": {"target": "log_sigmoid", "sig": ["x"], "args": ["x"]},
    "tanh": {"target": "tanh", "sig": ["x"], "args": ["x"], "aliases": ["nn.tanh", "math.tanh"]},
    "nn.softmax": {"target": "softmax", "sig": ["x", "axis"], "args": ["logits", "axis"],
                   "rename": {"logits": "x"}, "not_none": ["axis"], "aliases": ["math.softmax"]},
    "nn.log_softmax": {"target": "log_softmax", "sig": ["x", "axis"], "args": ["logits", "axis"],
                       "rename": {"logits": "x"}, "not_none": ["axis"],
                       "aliases": ["math.log_softmax"]},
    # ------------------------------------------------------------------ element-wise math
    "exp": {"target": "exp", "sig": ["x"], "args": ["x"], "aliases": ["math.exp"]},
    "math.log": {"target": "log", "sig": ["x"], "args": ["x"]},
    "math.log1p": {"target": "log1p", "sig": ["x"], "args": ["x"]},
    "math.expm1": {"target": "expm1", "sig": ["x"], "args": ["x"]},
    "sqrt": {"target": "sqrt", "sig": ["x"], "args": ["x"], "aliases": ["math.sqrt"]},
    "math.rsqrt": {"target": "rsqrt", "sig": ["x"], "args": ["x"]},
    "square": {"target": "square", "sig": ["x"], "args": ["x"], "aliases": ["math.square"]},
    "abs": {"target": "abs", "sig": ["x"], "args": ["x"], "aliases": ["math.abs"]},
    "sign": {"target": "sign", "sig": ["x"], "args": ["x"], "aliases": ["math.sign"]},
    "negative": {"target": "negative", "sig": ["x"], "args": ["x"], "aliases": ["math.negative"]},
    "math.reciprocal": {"target": "reciprocal", "sig": ["x"], "args": ["x"]},
    "floor": {"target": "floor", "sig": ["x"], "args": ["x"], "aliases": ["math.floor"]},
    "math.ceil": {"target": "ceil", "sig": ["x"], "args": ["x"]},
    "round": {"target": "round", "sig": ["x"], "args": ["x"], "aliases": ["math.round"]},
    "sin": {"target": "sin", "sig": ["x"], "args": ["x"], "aliases": ["math.sin"]},
    "cos": {"target": "cos", "sig": ["x"], "args": ["x"], "aliases": ["math.cos"]},
    "tan": {"target": "tan", "sig": ["x"], "args": ["x"], "aliases": ["math.tan"]},
    "math.erf": {"target": "erf", "sig": ["x"], "args": ["x"]},
    "math.erfinv": {"target": "erfinv", "sig": ["x"], "args": ["x"]},
    "math.is_nan": {"target": "isnan", "sig": ["x"], "args": ["x"]},
    "math.is_inf": {"target": "isinf", "sig": ["x"], "args": ["x"]},
    "math.is_finite": {"target": "isfinite", "sig": ["x"], "args": ["x"]},
    "clip_by_value": {"target": "clip", "sig": ["x", "x_min", "x_max"],
                      "args": ["t", "clip_value_min", "clip_value_max"],
                      "rename": {"t": "x", "clip_value_min": "x_min", "clip_value_max": "x_max"}},
    # ------------------------------------------------------------------ binary operators
    "add": {"target": "add", "sig": ["x1", "x2"], "args": ["x", "y"],
            "rename": {"x": "x1", "y": "x2"}, "aliases": ["math.add"]},
    "subtract": {"target": "subtract", "sig": ["x1", "x2"], "args": ["x", "y"],
                 "rename": {"x": "x1", "y": "x2"}, "aliases": ["math.subtract"]},
    "multiply": {"target": "multiply", "sig": ["x1", "x2"], "args": ["x", "y"],
                 "rename": {"x": "x1", "y": "x2"}, "aliases": ["math.multiply"]},
    "divide": {"target": "divide", "sig": ["x1", "x2"], "args": ["x", "y"],
               "rename": {"x": "x1", "y": "x2"}, "aliases": ["math.divide"]},
    "pow": {"target": "power", "sig": ["x1", "x2"], "args": ["x", "y"],
            "rename": {"x": "x1", "y": "x2"}, "aliases": ["math.pow"]},
    "maximum": {"target": "maximum", "sig": ["x1", "x2"], "args": ["x", "y"],
                "rename": {"x": "x1", "y": "x2"}, "aliases": ["math.maximum"]},
    "minimum": {"target": "minimum", "sig": ["x1", "x2"], "args": ["x", "y"],
                "rename": {"x": "x1", "y": "x2"}, "aliases": ["math.minimum"]},
    "equal": {"target": "equal", "sig": ["x1", "x2"], "args": ["x", "y"],
              "rename": {"x": "x1", "y": "x2"}, "aliases": ["math.equal"]},
    "not_equal": {"target": "not_equal", "sig": ["x1", "x2"], "args": ["x", "y"],
                  "rename": {"x": "x1", "y": "x2"}, "aliases": ["math.not_equal"]},
    "greater": {"target": "greater", "sig": ["x1", "x2"], "args": ["x", "y"],
                "rename": {"x": "x1", "y": "x2"}, "aliases": ["math.greater"]},
    "greater_equal": {"target": "greater_equal", "sig": ["x1", "x2"], "args": ["x", "y"],
                      "rename": {"x": "x1", "y": "x2"}, "aliases": ["math.greater_equal"]},
    "less": {"target": "less", "sig": ["x1", "x2"], "args": ["x", "y"],
             "rename": {"x": "x1", "y": "x2"}, "aliases": ["math.less"]},
    "less_equal": {"target": "less_equal", "sig": ["x1", "x2"], "args": ["x", "y"],
                   "rename": {"x": "x1", "y": "x2"}, "aliases": ["math.less_equal"]},
    "logical_and": {"target": "logical_and", "sig": ["x1", "x2"], "args": ["x", "y"],
                    "rename": {"x": "x1", "y": "x2"}, "aliases": ["math.logical_and"]},
    "logical_or": {"target": "logical_or", "sig": ["x1", "x2"], "args": ["x", "y"],
                   "rename": {"x": "x1", "y": "x2"}, "aliases": ["math.logical_or"]},
    "logical_not": {"target": "logical_not", "sig": ["x"], "args": ["x"],
                    "aliases": ["math.logical_not"]},
}

# TensorFlow keyword spellings accepted as another name of the same parameter.
KEYWORD_ALIASES: dict[str, str] = {"keep_dims": "keepdims"}

# Keywords that only name the TensorFlow graph op: dropping them changes no value.
DROPPABLE_KEYWORDS: frozenset[str] = frozenset({"name"})

# TensorFlow dtype objects that Keras accepts spelled as a string (``tf.float32`` ->
# ``"float32"``) wherever a ``dtype`` is expected.
TF_DTYPES: frozenset[str] = frozenset({
    "float16", "bfloat16", "float32", "float64",
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "bool", "complex64", "complex128",
})

# TensorFlow names that remain allowed in backend-agnostic code (guide 001: Keras has no
# GradientTape of its own).
TF_ALLOWED: frozenset[str] = frozenset({"GradientTape", "autodiff.GradientTape"})

# Calls whose argument may receive the tuple ``keras.ops.shape`` returns in place of the
# tensor ``tf.shape`` returns (qualified names, TensorFlow and Keras spellings).
SHAPE_CONSUMERS: frozenset[str] = frozenset({
    "tensorflow.reshape", "tensorflow.zeros", "tensorflow.ones", "tensorflow.broadcast_to",
    "keras.ops.reshape", "keras.ops.zeros", "keras.ops.ones", "keras.ops.broadcast_to",
    "keras.ops.full", "keras.random.normal", "keras.random.uniform",
})

# DLT303: private ``keras.src`` names whose public name refers to the same object. Only these
# get a fix; other private imports are reported without one.
KERAS_PRIVATE_TO_PUBLIC: dict[str, str] = {
    # Objects only: a private *module* (``keras.src.ops``) has more members than its public
    # counterpart (``keras.ops``), so ``from keras.src import ops`` gets no fix.
    "keras.src.layers.Layer": "keras.layers.Layer",
    "keras.src.layers.layer.Layer": "keras.layers.Layer",
    "keras.src.layers.InputSpec": "keras.layers.InputSpec",
    "keras.src.layers.input_spec.InputSpec": "keras.layers.InputSpec",
    "keras.src.layers.Dense": "keras.layers.Dense",
    "keras.src.layers.Dropout": "keras.layers.Dropout",
    "keras.src.layers.Embedding": "keras.layers.Embedding",
    "keras.src.layers.LayerNormalization": "keras.layers.LayerNormalization",
    "keras.src.layers.BatchNormalization": "keras.layers.BatchNormalization",
    "keras.src.layers.MultiHeadAttention": "keras.layers.MultiHeadAttention",
    "keras.src.layers.Conv1D": "keras.layers.Conv1D",
    "keras.src.layers.Conv2D": "keras.layers.Conv2D",
    "keras.src.layers.Activation": "keras.layers.Activation",
    "keras.src.models.Model": "keras.models.Model",
    "keras.src.models.Sequential": "keras.models.Sequential",
    "keras.src.saving.register_keras_serializable": "keras.saving.register_keras_serializable",
    "keras.src.saving.serialize_keras_object": "keras.saving.serialize_keras_object",
    "keras.src.saving.deserialize_keras_object": "keras.saving.deserialize_keras_object",
    "keras.src.backend.KerasTensor": "keras.KerasTensor",
    "keras.src.backend.Variable": "keras.Variable",
}


def _build_lookup() -> dict[str, dict[str, Any]]:
    lookup: dict[str, dict[str, Any]] = {}
    for path, spec in TF_TO_OPS.items():
        lookup[path] = spec
        for alias in spec.get("aliases", ()):
            lookup[alias] = spec
    return lookup


# Every TensorFlow spelling (aliases included) -> its entry.
TF_LOOKUP: dict[str, dict[str, Any]] = _build_lookup()
