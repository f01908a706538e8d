"""DLT602: a factory registry entry agrees with its class's constructor."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from dlt_lint import keras_facts as kf
from dlt_lint import registries as regs
from dlt_lint.index import ClassInfo, ProjectIndex
from dlt_lint.rule import Invalid, Rule, Valid
from dlt_lint.semantic import canonical

# Keywords keras.layers.Layer.__init__ accepts (Keras 3); defaults are not compared.
LAYER_KWARGS = frozenset({"name", "dtype", "trainable", "autocast", "activity_regularizer",
                          "input_shape", "input_dim", "batch_input_shape", "batch_size", "weights"})
CLOSED_BASES = frozenset({"keras.layers.Layer", "keras.Layer"})


@dataclass
class Signature:
    """What a class's constructor accepts, following ``**kwargs`` into project base classes."""

    params: dict[str, kf.Param]  # by name, nearest definition wins (variadics excluded)
    open: bool  # True: unknown names may be accepted (unknown base, *args-only, ...)
    layer_kwargs: bool  # the chain ends in keras.layers.Layer (its keywords are accepted)

    def accepts(self, name: str) -> bool:
        """Whether the constructor accepts keyword ``name``."""
        return self.open or name in self.params or (self.layer_kwargs and name in LAYER_KWARGS)


def signature(project: ProjectIndex, info: ClassInfo, _seen: frozenset[str] = frozenset()) -> Signature:
    """Constructor parameters of ``info``, following ``**kwargs`` into its bases."""
    if info.qualname in _seen:
        return Signature({}, True, False)
    seen = _seen | {info.qualname}
    if info.params is None:
        return _from_bases(project, info, seen)
    own = {p.name: p for p in info.params if not p.is_variadic}
    if not any(p.kind == "var_keyword" for p in info.params):
        return Signature(own, False, False)
    inherited = _from_bases(project, info, seen)
    return Signature({**inherited.params, **own}, inherited.open, inherited.layer_kwargs)


def _from_bases(project: ProjectIndex, info: ClassInfo, seen: frozenset[str]) -> Signature:
    params: dict[str, kf.Param] = {}
    open_ = False
    layer = False
    for base in info.bases:
        base = canonical(base)
        if base is None or base in ("object", "builtins.object"):
            open_ = open_ or base is None
            continue
        binfo = project.find_class(base)
        if binfo is not None:
            sig = signature(project, binfo, seen)
            params = {**sig.params, **params}
            open_ = open_ or sig.open
            layer = layer or sig.layer_kwargs
        elif base in CLOSED_BASES:
            layer = True
        else:
            open_ = True  # a Keras layer with its own parameters, or an unknown class
    return Signature(params, open_, layer)


class RegistrySignatureMismatch(Rule):
    """
    ## What it does
    Compares each entry of a factory registry (any `factory` module, and the configured
    attention registry module) with the `__init__` of the class it registers, and reports on
    the entry: a `required` name the constructor does not accept, an `optional` name it does
    not accept, an `optional` default that differs from the constructor's default (compared
    as literal values: `1e-6` equals `0.000001`), an `optional` name that has no default in
    the constructor, and a constructor parameter without default that is not `required`
    (`*args` / `**kwargs` ignored). When one class is registered under several keys, the
    entries are presets of it (`glu`, `reglu`, `bilinear`) and their defaults are not compared
    with the constructor's. A constructor with `**kwargs` accepts what its project
    base classes and `keras.layers.Layer` accept. With the guide-000 spelling (a class map
    plus a parameter table) a type present in only one of the two dicts is reported too.
    Entries may name their class under `class` or `cls`, and give the optional parameters with
    defaults (a dict) or by name only (a list; then only the names are checked).
    Classes outside the linted project (Keras' own layers) are not checked.

    ## Why
    The registry is what the factory validates against and what the agent reads to know how
    to create a layer. When it drifts from the constructor, the factory rejects valid
    arguments, accepts ones that then crash, or documents wrong defaults.

    ## Example
    ```python
    "window": {"class": WindowAttention, "required": ["dim", "num_heads"],
               "optional": {"dropout_rate": 0.1}}
    # but: WindowAttention.__init__(self, dim, num_heads, window_size, dropout_rate=0.0)
    ```

    ## Use instead
    ```python
    "window": {"class": WindowAttention, "required": ["dim", "num_heads", "window_size"],
               "optional": {"dropout_rate": 0.0}}
    ```

    ## Fix safety
    No fix: whether the registry or the class is wrong is a human decision.
    """

    code = "DLT602"
    name = "registry-signature-mismatch"
    summary = "Factory registry entry disagrees with the class __init__"
    collect_key = regs.COLLECT_KEY

    @classmethod
    def collect(cls, tree: ast.Module, ctx: Any) -> Any:
        """Factory registries of the file (see :func:`dlt_lint.registries.collect`)."""
        return regs.collect(tree, ctx)

    def visit_Module(self, node: ast.Module) -> None:
        """Check the module."""
        for reg in regs.registries_of_file(self.ctx):
            membership = self._membership(reg)
            # One class under several keys: the entries are presets of it, and their
            # defaults differ from the constructor's on purpose.
            classes = [e.cls for e in reg.entries.values() if e.cls]
            presets = {c for c in classes if classes.count(c) > 1}
            for entry in reg.entries.values():
                messages = [f"registry entry '{entry.key}' is {m}" for m in membership.get(entry.key, [])]
                info = self.ctx.project.find_class(entry.cls) if entry.cls else None
                problems = self._problems(entry, info, entry.cls in presets) if info is not None else []
                if problems:
                    assert info is not None
                    messages.append(f"registry entry '{entry.key}' disagrees with `{info.name}.__init__`: "
                                    + "; ".join(problems))
                if messages and entry.key_node is not None:
                    self.report(entry.key_node, "; ".join(messages))

    @staticmethod
    def _membership(reg: regs.FactoryRegistry) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        if len(reg.keys_by_name) < 2:
            return out
        for key in reg.entries:
            absent = [name for name, keys in reg.keys_by_name.items() if key not in keys]
            if absent:
                out.setdefault(key, []).append(f"missing from {', '.join(f'`{a}`' for a in absent)}")
        return out

    def _problems(self, entry: regs.RegistryEntry, info: ClassInfo, preset: bool = False) -> list[str]:
        sig = signature(self.ctx.project, info)
        problems: list[str] = []
        required = entry.required or []
        optional = entry.optional or {}
        for name in required:
            if not sig.accepts(name):
                problems.append(f"required `{name}` is not a constructor parameter")
        for name, default in optional.items():
            if not sig.accepts(name):
                problems.append(f"optional `{name}` is not a constructor parameter")
                continue
            param = sig.params.get(name)
            if param is None:
                continue  # accepted through **kwargs of an unknown or Keras base
            if param.default is None:
                problems.append(f"optional `{name}` has no default in the constructor")
            elif not preset and regs.same_default(default, param.default) is False:
                problems.append(f"optional `{name}` defaults to {default} in the registry but "
                                f"{param.default} in the constructor")
        if entry.required is not None:
            for name, param in sig.params.items():
                if param.default is None and name not in required and name not in optional:
                    problems.append(f"constructor parameter `{name}` has no default but is not required")
        return problems

    VALID = [
        Valid(
            """
            import keras
            from typing import Literal

            class DotAttention(keras.layers.Layer):
                def __init__(self, dim, num_heads, dropout_rate=0.0, epsilon=1e-6, **kwargs):
                    super().__init__(**kwargs)

            class WideAttention(DotAttention):
                def __init__(self, width=2, **kwargs):
                    super().__init__(**kwargs)

            AttentionType = Literal["dot", "wide"]
            _ATTENTION_LAYER_REGISTRY = {"dot": DotAttention, "wide": WideAttention}
            _ATTENTION_PARAMS = {
                "dot": {"required": ["dim", "num_heads"],
                        "optional": {"dropout_rate": 0.0, "epsilon": 0.000001}},
                "wide": {"required": ["dim", "num_heads"],
                         "optional": {"width": 2, "dropout_rate": 0.0, "name": None}},
            }
            """,
            path="pkg/layers/attention/factory.py",
        ),
        # Keras' own classes are not checked; non-literal defaults are not compared.
        Valid(
            """
            import keras

            class Scaled(keras.layers.Layer):
                def __init__(self, initializer=keras.initializers.Ones(), **kwargs):
                    super().__init__(**kwargs)

            NORM_REGISTRY = {
                "layer_norm": {"class": keras.layers.LayerNormalization, "required": [],
                               "optional": {"epsilon": 1e-6, "anything": 1}},
                "scaled": {"class": Scaled, "required": [], "optional": {"initializer": "ones"}},
            }
            """,
            path="pkg/layers/norms/factory.py",
        ),
        # Presets: one class under several keys with different defaults.
        Valid(
            """
            import keras

            class GLUFFN(keras.layers.Layer):
                def __init__(self, hidden_dim, activation="swish", **kwargs):
                    super().__init__(**kwargs)

            FFN_REGISTRY = {
                "glu": {"class": GLUFFN, "required_params": ["hidden_dim"],
                        "optional_params": {"activation": "swish"}},
                "reglu": {"class": GLUFFN, "required_params": ["hidden_dim"],
                          "optional_params": {"activation": "relu"}},
            }
            """,
            path="mylib/layers/ffn/factory.py",
        ),
    ]
    INVALID = [
        Invalid(
            """
            import keras

            class WindowAttention(keras.layers.Layer):
                def __init__(self, dim, num_heads, window_size, dropout_rate=0.0, **kwargs):
                    super().__init__(**kwargs)

            ATTENTION_REGISTRY = {
                "window": {
                    "class": WindowAttention,
                    "required_params": ["dim", "num_heads", "heads"],
                    "optional_params": {"dropout_rate": 0.1, "use_bias": False},
                },
            }
            """,
            path="pkg/layers/attention/factory.py",
            message_contains=(
                "registry entry 'window' disagrees with `WindowAttention.__init__`: required `heads` "
                "is not a constructor parameter; optional `dropout_rate` defaults to 0.1 in the "
                "registry but 0.0 in the constructor; optional `use_bias` is not a constructor "
                "parameter; constructor parameter `window_size` has no default but is not required"),
        ),
        # Guide-000 spelling: a type missing from the parameter table; an optional without default.
        Invalid(
            """
            from keras import layers as L

            class DotAttention(L.Layer):
                def __init__(self, dim, scale, **kwargs):
                    super().__init__(**kwargs)

            class RingAttention(L.Layer):
                pass

            _ATTENTION_LAYER_REGISTRY = {"dot": DotAttention, "ring": RingAttention}
            _ATTENTION_PARAMS = {"dot": {"required": ["dim"], "optional": {"scale": 1.0}}}
            """,
            path="pkg/layers/attention/factory.py",
            count=2,
        ),
        # An FFN-style registry; the class does not take **kwargs (closed signature).
        Invalid(
            """
            import keras

            class Mlp(keras.layers.Layer):
                def __init__(self, hidden_dim, output_dim, activation="gelu"):
                    super().__init__()

            FFN_REGISTRY = {
                "mlp": {"class": Mlp, "required": ["hidden_dim", "output_dim"],
                        "optional": {"activation": "relu", "name": None}},
            }
            """,
            path="pkg/layers/ffn/factory.py",
            message_contains='optional `activation` defaults to "relu" in the registry but "gelu"',
        ),
        # The "cls" key with names-only optional parameters.
        Invalid(
            """
            import keras

            class TransformerLayer(keras.layers.Layer):
                def __init__(self, hidden_size, num_heads, dropout_rate=0.0, **kwargs):
                    super().__init__(**kwargs)

            TRANSFORMER_REGISTRY = {
                "transformer": {"cls": TransformerLayer, "required_params": ["dim", "num_heads"],
                                "optional_params": ["dropout_rate"]},
            }
            """,
            path="mylib/layers/transformers/factory.py",
            message_contains="required `dim` is not a constructor parameter",
        ),
    ]
