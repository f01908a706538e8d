"""DLT601: every attention class of the attention package is registered in its factory."""

from __future__ import annotations

import ast
from typing import Any

from dlt_lint import registries as regs
from dlt_lint.astwalk import walk
from dlt_lint.rule import Invalid, Rule, Valid
from dlt_lint.rules.dlt201_register import module_level_classes


class UnregisteredAttentionClass(Rule):
    """
    ## What it does
    Reports a public, concrete attention class defined in the attention package (the package
    of the attention factory module: the module named by the option
    `factories.attention-module`, by default any module whose dotted name ends in
    `attention.factory`) that the factory's registry does not list. Exempt: abstract classes,
    private classes (`_Name`), classes that registered classes inherit from (shared bases),
    and building blocks that another Keras class of the same module creates as sub-layers.
    A registry entry may name a function of the factory module; the classes it returns count
    as registered. Nothing is reported while no attention registry is known (the factory module is
    not part of the linted files).

    ## Why
    The factory is how configurations, the agent and `TransformerLayer` find attention
    mechanisms: an unregistered class cannot be selected by `attention_type`, is not covered
    by the factory's round-trip tests, and its parameters are never validated.

    ## Example
    ```python
    # dl_techniques/layers/attention/ring_attention.py
    class RingAttention(keras.layers.Layer):
        ...
    # ... and no "ring" entry in attention/factory.py
    ```

    ## Use instead
    Add the type to `AttentionType`, `_ATTENTION_LAYER_REGISTRY` and `_ATTENTION_PARAMS`
    (with its `required` and `optional` parameters) in `attention/factory.py`.

    ## Fix safety
    No fix: a registry entry needs a type name and a description.
    """

    code = "DLT601"
    name = "unregistered-attention-class"
    summary = "Attention class in the attention package is not registered in the attention factory"
    keras_only = True
    collect_key = regs.COLLECT_KEY

    @classmethod
    def collect(cls, tree: ast.Module, ctx: Any) -> Any:
        """Factory registries of the file (see :func:`dlt_lint.registries.collect`)."""
        return regs.collect(tree, ctx)

    def visit_Module(self, node: ast.Module) -> None:
        """Check the module."""
        module = self.ctx.module
        for reg in regs.attention_registries(self.ctx):
            package = reg.package
            if not package or not (module == package or module.startswith(package + ".")):
                continue
            registered = {self._canonical(q) for q in reg.classes()}
            shared_bases = {info.qualname for q in reg.classes()
                            for info in self.ctx.project.ancestors(self._canonical(q))[1:]}
            for cls in module_level_classes(node.body):
                if cls.name.startswith("_") or not self.ctx.keras_class(cls):
                    continue
                if self.ctx.abstract_class(cls):
                    continue  # every Keras class of the attention package is an attention class
                q = self.ctx.sem.qualify_local(cls.name)
                if q in registered or q in shared_bases:
                    continue
                local_bases = {self.ctx.sem.qualify_local(c.name) for c in module_level_classes(node.body)
                               if self._is_local_base_of_registered(c, registered)}
                if q in local_bases or self._component_of_another_class(cls):
                    continue
                self.report(self.ctx.name_range(cls),
                            f"attention class `{cls.name}` is not registered in the attention factory "
                            f"(`{reg.module}`)")
            return

    def _canonical(self, qualname: str) -> str:
        info = self.ctx.project.find_class(qualname)
        return info.qualname if info is not None else qualname

    def _component_of_another_class(self, cls: ast.ClassDef) -> bool:
        """Another Keras class of this file creates ``cls`` as a sub-layer: it is a building
        block of that class (a branch, a per-window core), not a mechanism to select."""
        me = self.ctx.sem.qualify_local(cls.name)
        for other in module_level_classes(self.ctx.tree.body):
            if other is cls or not self.ctx.keras_class(other):
                continue
            for sub in walk(other):
                if isinstance(sub, ast.Call) and self.ctx.sem.resolve_call(sub) == me:
                    return True
        return False

    def _is_local_base_of_registered(self, cls: ast.ClassDef, registered: set[str]) -> bool:
        """``cls`` (in this file) is a base of a registered class defined in this file."""
        name = self.ctx.sem.qualify_local(cls.name)
        for other in module_level_classes(self.ctx.tree.body):
            if self.ctx.sem.qualify_local(other.name) in registered and other is not cls:
                for base in other.bases:
                    if self.ctx.sem.resolve(base) == name:
                        return True
        return False

    VALID = [
        # Registered, an abstract base, a private helper, a shared (concrete) base class.
        Valid(
            """
            import abc
            import keras

            class BaseAttention(keras.layers.Layer):
                def project(self, x):
                    return x

            class DotAttention(BaseAttention):
                pass

            class _ScoreHelper(keras.layers.Layer):
                pass

            class AbstractAttention(keras.layers.Layer, abc.ABC):
                pass

            ATTENTION_REGISTRY = {
                "dot": {"class": DotAttention, "required_params": [], "optional_params": {}},
            }
            """,
            path="pkg/layers/attention/factory.py",
        ),
        # Outside the attention package: not this rule's business.
        Valid(
            """
            import keras

            class StrayAttention(keras.layers.Layer):
                pass

            _ATTENTION_LAYER_REGISTRY = {"dot": StrayAttention}
            _ATTENTION_PARAMS = {"dot": {"required": [], "optional": {}}}
            """,
            path="pkg/blocks/factory.py",
        ),
        # No attention registry known: nothing is reported.
        Valid(
            """
            import keras

            class LonelyAttention(keras.layers.Layer):
                pass
            """,
            path="pkg/layers/attention/lonely.py",
        ),
        # A building block created by a registered class, and a class a registered
        # function builds.
        Valid(
            """
            import keras

            class GateBranch(keras.layers.Layer):
                def call(self, x):
                    return x * keras.ops.sigmoid(x)

            class TriGateAttention(keras.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.branches = [GateBranch() for _ in range(3)]

            class WindowAttention(keras.layers.Layer):
                def __init__(self, dim, mode="grid", **kwargs):
                    super().__init__(**kwargs)

            def create_grid_window(dim, **kwargs):
                return WindowAttention(dim=dim, mode="grid", **kwargs)

            ATTENTION_REGISTRY = {
                "tri": {"class": TriGateAttention, "required_params": [], "optional_params": {}},
                "window": {"class": create_grid_window, "required_params": ["dim"], "optional_params": {}},
            }
            """,
            path="dl_techniques/layers/attention/factory.py",
        ),
    ]
    INVALID = [
        # Guide-000 spelling; an unregistered class next to the factory.
        Invalid(
            """
            import keras
            from typing import Literal

            class DotAttention(keras.layers.Layer):
                pass

            class RingAttention(keras.layers.Layer):
                pass

            AttentionType = Literal["dot"]
            _ATTENTION_LAYER_REGISTRY = {"dot": DotAttention}
            _ATTENTION_PARAMS = {"dot": {"required": [], "optional": {}}}
            """,
            path="pkg/layers/attention/factory.py",
            message_contains="`RingAttention` is not registered",
        ),
        # Configured registry module; base imported by name, `from keras import layers as L`.
        Invalid(
            """
            from keras import layers as L
            from keras.layers import Layer

            class Known(L.Layer):
                pass

            class Unknown(Layer):
                pass

            REGISTRY = {"known": {"class": Known, "required": [], "optional": {}}}
            """,
            path="lib/attn/registry.py",
            options={"factories": {"attention-module": "lib.attn.registry"}},
            message_contains="`Unknown` is not registered",
        ),
    ]
