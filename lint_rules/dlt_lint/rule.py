"""The rule base class and the embedded VALID / INVALID examples every rule carries.

A rule is one small class: documentation in its docstring, examples on the class, and
``visit_<NodeType>`` methods that the engine calls during ONE traversal shared by all
enabled rules. A rule reads the tree and reports; discovery, parallelism, caching,
suppression, fixing and output belong to the engine.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, Literal

from dlt_lint.context import FileContext
from dlt_lint.diagnostics import Diagnostic, Edit, Fix, Position

FixAvailability = Literal["none", "safe", "unsafe", "sometimes"]


@dataclass(frozen=True)
class Valid:
    """Code the rule must not report."""

    code: str
    path: str = "example.py"  # pretend file path (module name is derived from it)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Invalid:
    """Code the rule must report; ``expected_fixed`` is the exact result of fixing it
    (``None``: the rule offers no fix for this example)."""

    code: str
    expected_fixed: str | None = None
    unsafe_fixes: bool = False  # apply unsafe fixes when checking expected_fixed
    count: int = 1  # number of diagnostics of this rule expected
    path: str = "example.py"
    options: dict[str, Any] = field(default_factory=dict)
    message_contains: str | None = None


_REGISTRY: dict[str, type["Rule"]] = {}


class Rule:
    """Base class of every dlt-lint rule."""

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""  # kebab-case, e.g. "missing-get-config"
    summary: ClassVar[str] = ""  # one line, shown by ``dlt-lint rules``
    fix_availability: ClassVar[FixAvailability] = "none"
    preview: ClassVar[bool] = False
    # Text prefilter: the rule can only fire on a file containing at least one of these
    # substrings. Empty: no prefilter.
    needles: ClassVar[tuple[str, ...]] = ()
    # The rule only looks inside Keras classes: skip the file when it defines none.
    keras_only: ClassVar[bool] = False
    # What a fix of this rule may depend on. "class": the enclosing top-level class (renames,
    # generated methods): no other fix inside that class is applied in the same pass.
    # "edit": only the replaced text itself (a call or decorator rewritten in place).
    fix_scope: ClassVar[Literal["class", "edit"]] = "class"
    VALID: ClassVar[list[str | Valid]] = []
    INVALID: ClassVar[list[Invalid]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.code:
            if cls.code in _REGISTRY and _REGISTRY[cls.code] is not cls:
                raise RuntimeError(f"rule code {cls.code} defined twice")
            _REGISTRY[cls.code] = cls

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.diagnostics: list[Diagnostic] = []

    # ------------------------------------------------------------ reporting
    def report(self, node: ast.AST | tuple[Position, Position], message: str,
               fix: Fix | None = None) -> None:
        if isinstance(node, tuple):
            start, end = node
        else:
            start, end = self.ctx.start(node), self.ctx.end(node)
        self.diagnostics.append(Diagnostic(self.code, message, self.ctx.filename, start, end, fix,
                                           self.url()))

    def fix(self, message: str, edits: Iterable[Edit], unsafe: bool | None = None) -> Fix:
        """Build a fix; applicability defaults from ``fix_availability``."""
        if unsafe is None:
            unsafe = self.fix_availability == "unsafe"
        return Fix("unsafe" if unsafe else "safe", message, tuple(edits))

    # ------------------------------------------------------------ cross-file facts
    @classmethod
    def collect(cls, tree: ast.Module, ctx: FileContext) -> Any:
        """Facts this rule needs from every project file (stored in the project index under
        the rule's ``collect_key``). Return None when the file has none."""
        return None

    collect_key: ClassVar[str | None] = None

    # ------------------------------------------------------------ documentation
    @classmethod
    def url(cls) -> str | None:
        return None

    @classmethod
    def documentation(cls) -> str:
        return textwrap.dedent(inspect.getdoc(cls) or "").strip()


def all_rules() -> dict[str, type[Rule]]:
    """Every rule, by code (imports the rule modules on first use)."""
    import dlt_lint.rules  # noqa: F401  (registers the rules)

    return dict(sorted(_REGISTRY.items()))


_RULE_MODULE = re.compile(r"(dlt\d{3})_\w+\.py", re.IGNORECASE)


def known_codes() -> list[str]:
    """The code of every rule, without importing a rule module (a warm run that lints nothing
    should not pay for them): a built-in rule's module is named after its code
    (``rules/dlt201_register.py``); rules defined elsewhere are in the registry already."""
    codes = set(_REGISTRY)
    try:
        names = os.listdir(os.path.join(os.path.dirname(__file__), "rules"))
    except OSError:
        names = []
    codes.update(m.group(1).upper() for name in names if (m := _RULE_MODULE.fullmatch(name)))
    return sorted(codes)


def external_rule_codes() -> list[str]:
    """Codes of the registered rules that are not built in (defined by a test or a plugin)."""
    return sorted(code for code, rule in _REGISTRY.items()
                  if not rule.__module__.startswith("dlt_lint.rules."))
