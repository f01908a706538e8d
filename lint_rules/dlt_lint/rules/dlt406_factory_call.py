"""DLT406: factory calls name a registered type and pass its required parameters."""

from __future__ import annotations

import ast
import difflib
import re
from typing import Any

from dlt_lint import registries as regs
from dlt_lint.rule import Invalid, Rule, Valid

_STRING_PREFIX = re.compile(r"^([rRuU]?)(['\"])")


def close_matches(value: str, keys: list[str]) -> list[str]:
    """Registered keys similar to ``value`` (difflib ratio >= 0.6), keeping only those within 0.1
    of the best one: ``swiglue`` -> ``swiglu`` (not also ``glu``). Ties keep registry order."""
    scored = []
    for index, key in enumerate(keys):
        matcher = difflib.SequenceMatcher(None, value, key)
        if matcher.real_quick_ratio() >= 0.6 and matcher.quick_ratio() >= 0.6:
            ratio = matcher.ratio()
            if ratio >= 0.6:
                scored.append((-ratio, index, key))
    if not scored:
        return []
    scored.sort()
    best = -scored[0][0]
    return [key for neg, _i, key in scored if best - (-neg) <= 0.1][:3]


def typo_distance(a: str, b: str) -> int:
    """Edits between ``a`` and ``b`` (insertions, deletions, substitutions and swaps of two
    neighbouring characters, each counting one)."""
    a, b = a.lower(), b.lower()
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[len(b)]


def is_typo_of(value: str, key: str) -> bool:
    """``value`` is ``key`` mistyped: at most two edits, and fewer than a third of its letters
    (``swiglue`` -> ``swiglu``; not ``sinusoidal`` -> ``scalar_sinusoidal``, another type)."""
    distance = typo_distance(value, key)
    return distance <= 2 and distance * 3 <= max(len(value), len(key))


class UnknownFactoryType(Rule):
    """
    ## What it does
    Checks calls of the framework's factory functions (`create_attention_layer`,
    `create_attention`, `create_ffn_layer`, `create_ffn`, `create_normalization_layer`,
    `create_embedding_layer`, and every other `create_*` function of a factory module whose
    first parameter is the type) against the factory's registry, read statically: the type
    string must be a registered key, and a `create_<kind>_layer` call without `**kwargs` must
    pass every required parameter of that type by keyword. The registries come from the
    linted project's own factory modules, else from the installed `dl_techniques` package;
    when neither is found nothing is reported.

    ## Why
    A misspelt type or a forgotten required argument only fails when the code runs, often
    deep into model construction; the registry already knows the answer.

    ## Example
    ```python
    ffn = create_ffn_layer("swiglue", output_dim=256)
    rope = create_embedding_layer("rope", head_dim=64)
    ```

    ## Use instead
    ```python
    ffn = create_ffn_layer("swiglu", output_dim=256)
    rope = create_embedding_layer("rope", head_dim=64, max_seq_len=2048)
    ```

    ## Fix safety
    Safe when exactly one registered type is close to the misspelt one (`difflib` ratio of at
    least 0.6, and no other candidate within 0.1 of the best: `swiglue` -> `swiglu`, not also
    `glu`) and the difference is a typo (at most two edits: `layernorm` -> `layer_norm`; a
    longer name that contains the given one, `sinusoidal` -> `scalar_sinusoidal`, is another
    type and only suggested): the string is replaced, keeping its quote style; the code could
    not have run before. Missing
    parameters are not fixed (their values are unknown). Wrapper factories that derive some
    parameters (`create_ffn` computes `hidden_dim`, `create_attention` computes `dim`) are
    checked for the type only.
    """

    code = "DLT406"

    fix_scope = "edit"
    name = "unknown-factory-type"
    summary = "Factory call with an unknown type string or missing required parameters"
    fix_availability = "sometimes"
    needles = ("create_",)
    collect_key = regs.COLLECT_KEY

    @classmethod
    def collect(cls, tree: ast.Module, ctx: Any) -> Any:
        """Factory registries of the file (see :func:`dlt_lint.registries.collect`)."""
        return regs.collect(tree, ctx)

    def visit_Call(self, node: ast.Call) -> None:
        """Check one call."""
        q = self.ctx.sem.resolve(node.func)
        if q is None or not q.rpartition(".")[2].startswith("create_"):
            return
        found = regs.find_factory(regs.framework_registries(self.ctx), q)
        if found is None:
            return
        registry, factory = found
        type_node = self._type_argument(node, factory)
        if type_node is None:
            return
        value = type_node.value  # type: ignore[attr-defined]
        keys = registry.keys
        if value not in registry.entries:
            matches = close_matches(value, keys)
            hint = ""
            if matches:
                hint = "; did you mean " + " or ".join(f"'{m}'" for m in matches) + "?"
            else:
                hint = f"; registered types: {', '.join(keys)}"
            fix = None
            if len(matches) == 1 and is_typo_of(value, matches[0]):
                fix = self._replace_string(type_node, matches[0])
            self.report(type_node, f"unknown {registry.kind} type '{value}'{hint}", fix)
            return
        if not factory.strict:
            return
        entry = registry.entries[value]
        if entry.required is None:
            return
        if any(kw.arg is None for kw in node.keywords) or any(isinstance(a, ast.Starred) for a in node.args):
            return
        if len(node.args) > 1:
            return  # further positional arguments may fill parameters of the function
        given = {kw.arg for kw in node.keywords}
        missing = [p for p in entry.required if p not in given]
        if missing:
            self.report(node, f"{factory.name}('{value}') is missing required parameter(s): "
                              f"{', '.join(missing)}")

    def _type_argument(self, call: ast.Call, factory: regs.FactoryFunction) -> ast.Constant | None:
        node: ast.AST | None = None
        if call.args and not isinstance(call.args[0], ast.Starred):
            node = call.args[0]
        else:
            for kw in call.keywords:
                if kw.arg == factory.type_param:
                    node = kw.value
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node
        return None

    def _replace_string(self, node: ast.Constant, new: str):
        text = self.ctx.text(node)
        m = _STRING_PREFIX.match(text)
        if not m or not text.endswith(m.group(2)) or text.startswith(m.group(1) + m.group(2) * 3):
            return None
        try:
            if ast.literal_eval(text) != node.value:
                return None  # implicit concatenation or escapes: leave it to a human
        except (ValueError, SyntaxError):
            return None
        quote = m.group(2)
        return self.fix(f"Replace with '{new}'", [self.ctx.replace(node, f"{m.group(1)}{quote}{new}{quote}")])

    VALID = [
        """
        from dl_techniques.layers.ffn import create_ffn_layer
        from dl_techniques.layers.norms import create_normalization_layer

        ffn = create_ffn_layer("swiglu", output_dim=64)
        norm = create_normalization_layer("rms_norm", epsilon=1e-6)
        """,
        # Not the framework's function.
        """
        def create_ffn_layer(kind, **kwargs):
            return kind

        ffn = create_ffn_layer("swiglue")
        """,
        # Type from a variable, **kwargs forwarding, wrappers that derive parameters.
        """
        from dl_techniques.layers.embedding import create_embedding_layer
        from dl_techniques.layers.ffn import create_ffn

        def make(kind, **params):
            a = create_embedding_layer(kind, head_dim=8)
            b = create_embedding_layer("rope", **params)
            c = create_ffn("mlp", output_dim=32)
            return a, b, c
        """,
        # A registry in the module itself (a project with its own factory).
        Valid(
            """
            import keras

            class Block(keras.layers.Layer):
                pass

            BLOCK_REGISTRY = {
                "block": {"class": Block, "required": ["dim"], "optional": {}},
            }

            def create_block_layer(block_type, **kwargs):
                return BLOCK_REGISTRY[block_type]["class"](**kwargs)

            layer = create_block_layer("block", dim=4)
            """,
            path="proj/blocks/factory.py",
        ),
    ]
    INVALID = [
        Invalid(
            """
            from dl_techniques.layers.ffn import create_ffn_layer

            ffn = create_ffn_layer("swiglue", output_dim=64)
            """,
            message_contains="unknown ffn type 'swiglue'; did you mean 'swiglu'?",
            expected_fixed="""
            from dl_techniques.layers.ffn import create_ffn_layer

            ffn = create_ffn_layer("swiglu", output_dim=64)
            """,
        ),
        # Module alias, keyword type argument, single quotes kept.
        Invalid(
            """
            import dl_techniques.layers.norms as norms

            n = norms.create_normalization_layer(normalization_type='layer_nrom', epsilon=1e-5)
            """,
            expected_fixed="""
            import dl_techniques.layers.norms as norms

            n = norms.create_normalization_layer(normalization_type='layer_norm', epsilon=1e-5)
            """,
        ),
        # Missing required parameters (no fix), the factory module imported directly.
        Invalid(
            """
            from dl_techniques.layers.embedding.factory import create_embedding_layer as make

            rope = make("rope", head_dim=64)
            """,
            message_contains="missing required parameter(s): max_seq_len",
        ),
        # A project factory in the same module; several close matches: no fix.
        Invalid(
            """
            import keras

            class Block(keras.layers.Layer):
                pass

            BLOCK_REGISTRY = {
                "conv_a": {"class": Block, "required": [], "optional": {}},
                "conv_b": {"class": Block, "required": [], "optional": {}},
            }

            def create_block_layer(block_type, **kwargs):
                return BLOCK_REGISTRY[block_type]["class"](**kwargs)

            layer = create_block_layer("conv_c")
            """,
            path="proj/blocks/factory.py",
            message_contains="did you mean 'conv_a' or 'conv_b'?",
        ),
    ]
