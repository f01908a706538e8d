"""Registration of a new layer by LibCST codemods that keep the rest of the file untouched.

Two files change:

* the factory module (``<package>/factory.py``): the type ``Literal`` gets the new key, every
  registry dict gets an entry, and the class is imported. Both registry spellings are
  understood: guide 000's ``_ATTENTION_LAYER_REGISTRY`` (type -> class) plus
  ``_ATTENTION_PARAMS`` (type -> ``class`` / ``required`` / ``optional`` / ``description``),
  and single-dict registries such as ``ATTENTION_REGISTRY`` with ``class`` /
  ``required_params`` / ``optional_params``, or ``FFN_REGISTRY`` with ``required`` /
  ``optional``. New entries copy the keys, quotes and layout of the existing ones.
* the package ``__init__``: the class is imported and added to ``__all__`` (when present).

Every edit is idempotent: what is already there is left alone, so a second run changes
nothing. A factory without the expected shape raises :class:`RegistrationError` naming what
is missing.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

__all__ = [
    "RegistrationError",
    "CollisionError",
    "RegistryEntry",
    "CodemodResult",
    "FactoryShape",
    "entry_from_source",
    "analyze_factory",
    "register_in_factory",
    "export_from_package",
    "new_package_init",
]

MAX_LINE = 99  # a nested dict longer than this on one line is written one key per line


class RegistrationError(ValueError):
    """The factory or package ``__init__`` does not have a shape the codemod understands."""


class CollisionError(RegistrationError):
    """The key or name is already registered for something else (use ``--force``)."""


@dataclass(frozen=True)
class RegistryEntry:
    """What gets registered: type key, class, where it lives and its parameters."""

    key: str
    class_name: str
    module: str  # dotted module of the class, e.g. dl_techniques.layers.attention.my_attn
    required: tuple[str, ...]
    optional: tuple[tuple[str, str], ...]  # (name, default source text)
    description: str


@dataclass
class CodemodResult:
    """The new source and a human-readable list of what changed (empty: nothing)."""

    source: str
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


# --------------------------------------------------------------------------- the new class
def entry_from_source(source: str, class_name: str, key: str, module: str,
                      description: str | None = None) -> RegistryEntry:
    """Read the required / optional parameters of ``class_name.__init__`` from its source.

    :raises RegistrationError: the class or its ``__init__`` is missing, or a default is not
        a literal (registries are literals, read statically).
    """
    tree = ast.parse(source)
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name), None)
    if cls is None:
        raise RegistrationError(f"class {class_name} not found in the generated module")
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    if init is None:
        raise RegistrationError(f"class {class_name} has no __init__ to read parameters from")
    args = init.args
    positional = args.posonlyargs + args.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = list(zip(positional, defaults))[1:]  # drop self
    pairs += list(zip(args.kwonlyargs, args.kw_defaults))
    required: list[str] = []
    optional: list[tuple[str, str]] = []
    for arg, default in pairs:
        if default is None:
            required.append(arg.arg)
            continue
        text = ast.get_source_segment(source, default) or ast.unparse(default)
        try:
            ast.literal_eval(default)
        except ValueError as exc:
            raise RegistrationError(
                f"default of {class_name}.__init__ parameter {arg.arg!r} ({text}) is not a literal; "
                "registries store defaults as literals"
            ) from exc
        optional.append((arg.arg, " ".join(text.split())))
    if description is None:
        doc = ast.get_docstring(cls) or ""
        description = doc.strip().splitlines()[0].strip() if doc.strip() else class_name
    return RegistryEntry(key, class_name, module, tuple(required), tuple(optional), description)


# --------------------------------------------------------------------------- factory shape
@dataclass
class _Target:
    """A top-level assignment the codemod edits."""

    name: str
    index: int  # position in module.body
    value: cst.BaseExpression


@dataclass
class FactoryShape:
    """The registries and type literal found in a factory module."""

    class_maps: list[_Target]  # type -> class
    spec_maps: list[_Target]  # type -> {class, required, optional, description}
    literal: _Target | None
    keys: list[str]  # registry keys (union, in order)

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.class_maps + self.spec_maps]


def _assigned(stmt: cst.BaseStatement) -> tuple[str, cst.BaseExpression] | None:
    """``NAME = value`` / ``NAME: T = value`` at top level."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        if isinstance(target, cst.Name):
            return target.value, small.value
    if isinstance(small, cst.AnnAssign) and small.value is not None and isinstance(small.target, cst.Name):
        return small.target.value, small.value
    return None


def _string(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _dict_keys(node: cst.Dict) -> list[str]:
    return [k for el in node.elements if isinstance(el, cst.DictElement)
            for k in [_string(el.key)] if k is not None]


def _is_literal_subscript(node: cst.BaseExpression) -> bool:
    if not isinstance(node, cst.Subscript):
        return False
    base = node.value
    if isinstance(base, cst.Name):
        return base.value == "Literal"
    return isinstance(base, cst.Attribute) and base.attr.value == "Literal"


def _literal_values(node: cst.Subscript) -> list[str]:
    out = []
    for el in node.slice:
        if isinstance(el.slice, cst.Index):
            s = _string(el.slice.value)
            if s is not None:
                out.append(s)
    return out


_REGISTRY_NAME = re.compile(r"(REGISTRY|_PARAMS|_TYPES)$")


def analyze_factory(module: cst.Module, kind: str = "", path: str = "factory.py") -> FactoryShape:
    """Find the registries and the type literal of a factory module.

    :raises RegistrationError: no registry dict literal, a registry that is not a literal,
        or guide 000's class registry without its parameter registry (or the reverse).
    """
    class_maps: list[_Target] = []
    spec_maps: list[_Target] = []
    literals: list[_Target] = []
    not_literal: list[str] = []
    for index, stmt in enumerate(module.body):
        found = _assigned(stmt)
        if found is None:
            continue
        name, value = found
        if _is_literal_subscript(value):
            literals.append(_Target(name, index, value))
            continue
        if not _REGISTRY_NAME.search(name.upper()) or name.upper() != name:
            continue
        if not isinstance(value, cst.Dict):
            not_literal.append(name)
            continue
        values = [el.value for el in value.elements if isinstance(el, cst.DictElement)]
        if len(values) != len(value.elements):
            not_literal.append(name)  # ``**other`` inside the literal
            continue
        if values and all(isinstance(v, cst.Dict) for v in values):
            # A dict of dicts is a spec map only if its entries describe classes / params.
            sample = _dict_keys(values[-1])
            if any(_field_role(k) is not None for k in sample):
                spec_maps.append(_Target(name, index, value))
        elif values and all(isinstance(v, (cst.Name, cst.Attribute)) for v in values):
            class_maps.append(_Target(name, index, value))
        elif not values:
            target = _Target(name, index, value)
            (spec_maps if ("PARAMS" in name or not name.startswith("_")) else class_maps).append(target)
    upper = kind.upper()
    if kind == "attention":
        names = {t.name for t in class_maps + spec_maps}
        if "_ATTENTION_LAYER_REGISTRY" in names and "_ATTENTION_PARAMS" not in names:
            raise RegistrationError(
                f"{path}: found _ATTENTION_LAYER_REGISTRY but no _ATTENTION_PARAMS dict literal "
                "(guide 000 factories need both)"
            )
        if "_ATTENTION_PARAMS" in names and "_ATTENTION_LAYER_REGISTRY" not in names and not class_maps:
            pass  # a params dict carrying "class" is enough
    if not spec_maps and not class_maps:
        hint = ""
        if not_literal:
            hint = f"; {', '.join(not_literal)} is not a plain dict literal"
        expected = {
            "attention": "_ATTENTION_LAYER_REGISTRY + _ATTENTION_PARAMS, or ATTENTION_REGISTRY",
        }.get(kind, f"{upper or 'X'}_REGISTRY")
        raise RegistrationError(
            f"{path}: no registry found (expected a module-level dict literal {expected}){hint}"
        )
    if not spec_maps:
        raise RegistrationError(
            f"{path}: registry {', '.join(t.name for t in class_maps)} maps types to classes but there "
            "is no parameter registry (type -> {required, optional, ...}) to record the new "
            "type's parameters"
        )
    keys: list[str] = []
    for target in class_maps + spec_maps:
        for k in _dict_keys(target.value):  # type: ignore[arg-type]
            if k not in keys:
                keys.append(k)
    literal = None
    if literals:
        # The literal whose values overlap the registry keys most (ties: the first).
        literal = max(literals, key=lambda t: len(set(_literal_values(t.value)) & set(keys)))  # type: ignore[arg-type]
        if keys and not set(_literal_values(literal.value)) & set(keys):  # type: ignore[arg-type]
            literal = None
    return FactoryShape(class_maps, spec_maps, literal, keys)


def _field_role(key: str) -> str | None:
    k = key.lower()
    if k in ("class", "cls", "klass", "layer_class", "layer_cls", "class_"):
        return "class"
    if "required" in k:
        return "required"
    if "optional" in k or k in ("defaults", "default_params"):
        return "optional"
    if k in ("description", "desc", "doc", "help", "summary"):
        return "description"
    return None


# --------------------------------------------------------------------------- sequence edits
def _is_multiline(ws: cst.BaseParenthesizableWhitespace | None) -> bool:
    return isinstance(ws, cst.ParenthesizedWhitespace)


def _separator(elements: Sequence, open_ws: cst.BaseParenthesizableWhitespace) -> cst.Comma:
    """The comma (with whitespace, without comments) that separates two elements."""
    candidates = [el.comma.whitespace_after for el in elements[:-1] if isinstance(el.comma, cst.Comma)]
    candidates.append(open_ws)
    for ws in candidates:
        if isinstance(ws, cst.ParenthesizedWhitespace):
            return cst.Comma(
                whitespace_before=cst.SimpleWhitespace(""),
                whitespace_after=cst.ParenthesizedWhitespace(
                    first_line=cst.TrailingWhitespace(),
                    empty_lines=[],
                    indent=ws.indent,
                    last_line=ws.last_line,
                ),
            )
    return cst.Comma(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(" "))


def _insert(elements: Sequence, index: int, new, open_ws: cst.BaseParenthesizableWhitespace,
            close_ws: cst.BaseParenthesizableWhitespace) -> tuple[list, cst.BaseParenthesizableWhitespace]:
    """Insert ``new`` at ``index`` keeping the separators, the trailing-comma style and a
    comment after the (previously) last element where it was.

    :return: the new elements and the new whitespace before the closing bracket.
    """
    elements = list(elements)
    if not elements:
        return [new.with_changes(comma=cst.MaybeSentinel.DEFAULT)], close_ws
    sep = _separator(elements, open_ws)
    if index < len(elements):
        return elements[:index] + [new.with_changes(comma=sep)] + elements[index:], close_ws
    last = elements[-1]
    trailing = last.comma
    has_trailing = isinstance(trailing, cst.Comma)
    sep_ws = sep.whitespace_after
    comma_ws = trailing.whitespace_after if has_trailing else None
    if isinstance(sep_ws, cst.ParenthesizedWhitespace) and isinstance(comma_ws, cst.ParenthesizedWhitespace):
        # "last,  # comment\n]": the comment stays with ``last``; ``new`` closes the list.
        last = last.with_changes(comma=trailing.with_changes(whitespace_after=comma_ws.with_changes(
            empty_lines=[], indent=sep_ws.indent, last_line=sep_ws.last_line)))
        new = new.with_changes(comma=cst.Comma(
            whitespace_before=cst.SimpleWhitespace(""),
            whitespace_after=cst.ParenthesizedWhitespace(
                first_line=cst.TrailingWhitespace(), empty_lines=comma_ws.empty_lines,
                indent=comma_ws.indent, last_line=comma_ws.last_line)))
        return elements[:-1] + [last, new], close_ws
    if isinstance(sep_ws, cst.ParenthesizedWhitespace) and isinstance(close_ws, cst.ParenthesizedWhitespace):
        # The line break (and maybe a comment) after ``last`` belongs to the closing bracket.
        before = trailing.whitespace_before if has_trailing else cst.SimpleWhitespace("")
        last = last.with_changes(comma=cst.Comma(
            whitespace_before=before,
            whitespace_after=cst.ParenthesizedWhitespace(
                first_line=close_ws.first_line, empty_lines=[], indent=sep_ws.indent,
                last_line=sep_ws.last_line)))
        new = new.with_changes(comma=cst.Comma(whitespace_before=cst.SimpleWhitespace(""),
                                               whitespace_after=cst.SimpleWhitespace(""))
                               if has_trailing else cst.MaybeSentinel.DEFAULT)
        close_ws = cst.ParenthesizedWhitespace(
            first_line=cst.TrailingWhitespace(), empty_lines=close_ws.empty_lines,
            indent=close_ws.indent, last_line=close_ws.last_line)
        return elements[:-1] + [last, new], close_ws
    last = last.with_changes(comma=sep)
    new = new.with_changes(comma=trailing if has_trailing else cst.MaybeSentinel.DEFAULT)
    return elements[:-1] + [last, new], close_ws


def _quote_of(elements: Sequence) -> str:
    for el in elements:
        node = getattr(el, "key", None) or getattr(el, "value", None)
        if isinstance(node, cst.Index):
            node = node.value
        if isinstance(getattr(el, "slice", None), cst.Index):
            node = el.slice.value
        if isinstance(node, cst.SimpleString):
            return "'" if node.value.lstrip("rbuRBU").startswith("'") else '"'
    return '"'


def _str(value: str, quote: str) -> str:
    text = repr(value)
    if quote == '"' and text.startswith("'") and '"' not in value:
        text = '"' + text[1:-1].replace("\\'", "'") + '"'
    return text


# --------------------------------------------------------------------------- factory codemod
def _entry_fields(entry: RegistryEntry, template_keys: list[str], quote: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(key, value source) pairs of a spec entry modelled on ``template_keys``."""
    fields: list[tuple[str, str]] = []
    skipped: list[str] = []
    for key in template_keys:
        role = _field_role(key)
        if role == "class":
            fields.append((key, entry.class_name))
        elif role == "required":
            fields.append((key, "[" + ", ".join(_str(r, quote) for r in entry.required) + "]"))
        elif role == "optional":
            fields.append((key, "{" + ", ".join(f"{_str(n, quote)}: {d}" for n, d in entry.optional) + "}"))
        elif role == "description":
            fields.append((key, _str(entry.description, quote)))
        else:
            skipped.append(key)
    return fields, skipped


def _spec_value_text(entry: RegistryEntry, model: cst.Dict | None, model_multiline: bool,
                     nested_multiline: bool, key_col: int, inner_col: int, quote: str,
                     template_keys: list[str]) -> tuple[str, list[str]]:
    fields, skipped = _entry_fields(entry, template_keys, quote)
    if not model_multiline:
        return "{" + ", ".join(f"{_str(k, quote)}: {v}" for k, v in fields) + "}", skipped
    pad = " " * inner_col
    lines = ["{"]
    for k, v in fields:
        line = f"{pad}{_str(k, quote)}: {v},"
        if _field_role(k) == "optional" and entry.optional and (nested_multiline or len(line) > MAX_LINE):
            lines.append(f"{pad}{_str(k, quote)}: {{")
            step = inner_col - key_col if inner_col > key_col else 4
            for n, d in entry.optional:
                lines.append(f"{pad}{' ' * step}{_str(n, quote)}: {d},")
            lines.append(f"{pad}}},")
        else:
            lines.append(line)
    lines.append(" " * key_col + "}")
    return "\n".join(lines), skipped


def register_in_factory(source: str, entry: RegistryEntry, kind: str = "", force: bool = False,
                        path: str = "factory.py", relative_import: bool | None = None) -> CodemodResult:
    """Add ``entry`` to every registry (and the type literal) of a factory; import the class.

    :param source: the factory module's text.
    :param entry: the new registration.
    :param kind: the layer kind (sharper error messages for attention factories).
    :param force: replace an existing entry of the same key instead of refusing.
    :param path: file name used in messages.
    :param relative_import: force ``from .mod import X`` (``True``) or absolute; ``None``
        follows the style of the factory's other imports.
    :raises RegistrationError: the factory has no registry of the expected shape.
    :raises CollisionError: the key is registered for another class and ``force`` is false.
    """
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise RegistrationError(f"{path}: cannot parse: {exc}") from exc
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    shape = analyze_factory(module, kind, path)
    result = CodemodResult(source)
    body = list(module.body)

    for target in shape.class_maps:
        body[target.index] = _edit_dict_statement(
            body[target.index], target, entry.key, entry.class_name, force, path, result,
            lambda model, quote: entry.class_name)

    for target in shape.spec_maps:
        def make_value(model: cst.DictElement | None, quote: str, _t=target) -> str:
            template_keys = _dict_keys(model.value) if model is not None and isinstance(model.value, cst.Dict) else []
            if not template_keys:
                spelled_b = _t.name == f"{kind.upper()}_REGISTRY" and kind == "attention"
                template_keys = (["class", "required_params", "optional_params", "description"] if spelled_b
                                 else ["class", "required", "optional", "description"])
            multiline = model is not None and isinstance(model.value, cst.Dict) and _is_multiline(model.value.lbrace.whitespace_after)
            nested = False
            key_col = inner_col = 0
            if model is not None and isinstance(model.value, cst.Dict):
                key_col = positions[model.key].start.column
                inner = [el for el in model.value.elements if isinstance(el, cst.DictElement)]
                inner_col = positions[inner[0].key].start.column if inner else key_col + 4
                for el in inner:
                    if _field_role(_string(el.key) or "") == "optional" and isinstance(el.value, cst.Dict):
                        nested = _is_multiline(el.value.lbrace.whitespace_after)
            text, skipped = _spec_value_text(entry, model.value if model else None, multiline, nested,
                                             key_col, inner_col, quote, template_keys)
            for key in skipped:
                note = f"{_t.name}: left out the unknown entry key {key!r} (fill it in by hand)"
                if note not in result.notes:
                    result.notes.append(note)
            return text

        body[target.index] = _edit_dict_statement(body[target.index], target, entry.key, entry.class_name,
                                                  force, path, result, make_value)

    if shape.literal is not None:
        body[shape.literal.index] = _edit_literal_statement(body[shape.literal.index], shape.literal, entry.key, result)

    module = module.with_changes(body=body)
    module, changed = _add_import(module, entry.module, entry.class_name, relative_import)
    if changed:
        result.changes.append(f"import {entry.class_name} from {entry.module}")
    result.source = module.code
    return result


def _replace_value(stmt: cst.SimpleStatementLine, new_value: cst.BaseExpression) -> cst.SimpleStatementLine:
    small = stmt.body[0]
    return stmt.with_changes(body=[small.with_changes(value=new_value)])


def _edit_dict_statement(stmt: cst.BaseStatement, target: _Target, key: str, class_name: str, force: bool,
                         path: str, result: CodemodResult,
                         make_value: Callable[[cst.DictElement | None, str], str]) -> cst.BaseStatement:
    node = target.value
    assert isinstance(node, cst.Dict) and isinstance(stmt, cst.SimpleStatementLine)
    elements = list(node.elements)
    dict_elements = [el for el in elements if isinstance(el, cst.DictElement)]
    quote = _quote_of(dict_elements)
    model = dict_elements[-1] if dict_elements else None
    value_text = make_value(model, quote)
    new_value = cst.parse_expression(value_text)
    for i, el in enumerate(elements):
        if isinstance(el, cst.DictElement) and _string(el.key) == key:
            if _same_registration(el.value, class_name):
                if force and _normalize(cst.Module([]).code_for_node(el.value)) != _normalize(value_text):
                    elements[i] = el.with_changes(value=new_value)
                    result.changes.append(f"{target.name}[{key!r}] replaced (--force)")
                    return _replace_value(stmt, node.with_changes(elements=elements))
                return stmt  # already registered: idempotent
            if not force:
                raise CollisionError(
                    f"{path}: {target.name} already has the key {key!r} for another class "
                    "(choose another name or pass --force)"
                )
            elements[i] = el.with_changes(value=new_value)
            result.changes.append(f"{target.name}[{key!r}] replaced (--force)")
            return _replace_value(stmt, node.with_changes(elements=elements))
    new_el = cst.DictElement(
        key=cst.SimpleString(_str(key, quote)),
        value=new_value,
        whitespace_before_colon=model.whitespace_before_colon if model else cst.SimpleWhitespace(""),
        whitespace_after_colon=model.whitespace_after_colon if model else cst.SimpleWhitespace(" "),
    )
    elements, close = _insert(elements, len(elements), new_el, node.lbrace.whitespace_after,
                              node.rbrace.whitespace_before)
    result.changes.append(f"{target.name}[{key!r}] added")
    new_node = node.with_changes(elements=elements, rbrace=node.rbrace.with_changes(whitespace_before=close))
    return _replace_value(stmt, new_node)


def _normalize(text: str) -> str:
    return re.sub(r"\s+", "", text).replace("'", '"').replace(",}", "}").replace(",]", "]")


def _same_registration(value: cst.BaseExpression, class_name: str) -> bool:
    """The existing registry value points at ``class_name``."""
    if isinstance(value, cst.Name):
        return value.value == class_name
    if isinstance(value, cst.Attribute):
        return value.attr.value == class_name
    if isinstance(value, cst.Dict):
        for el in value.elements:
            if isinstance(el, cst.DictElement) and _field_role(_string(el.key) or "") == "class":
                return _same_registration(el.value, class_name)
        return True  # no class field: a params-only entry cannot disagree on the class
    return False


def _edit_literal_statement(stmt: cst.BaseStatement, target: _Target, key: str,
                            result: CodemodResult) -> cst.BaseStatement:
    node = target.value
    assert isinstance(node, cst.Subscript) and isinstance(stmt, cst.SimpleStatementLine)
    if key in _literal_values(node):
        return stmt
    quote = _quote_of(node.slice)
    new_el = cst.SubscriptElement(slice=cst.Index(value=cst.SimpleString(_str(key, quote))))
    elements, close = _insert(node.slice, len(node.slice), new_el, node.lbracket.whitespace_after,
                              node.rbracket.whitespace_before)
    result.changes.append(f"{target.name} Literal gets {key!r}")
    new_node = node.with_changes(slice=elements, rbracket=node.rbracket.with_changes(whitespace_before=close))
    return _replace_value(stmt, new_node)


# --------------------------------------------------------------------------- imports
def _module_of(node: cst.ImportFrom) -> str:
    dots = "." * len(node.relative)
    if node.module is None:
        return dots
    return dots + cst.Module([]).code_for_node(node.module)


def _import_froms(module: cst.Module) -> list[tuple[int, cst.ImportFrom]]:
    out = []
    for i, stmt in enumerate(module.body):
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.ImportFrom):
                    out.append((i, small))
    return out


def _imports_name(node: cst.ImportFrom, name: str) -> bool:
    if isinstance(node.names, cst.ImportStar):
        return False
    return any(
        (alias.asname is None and cst.Module([]).code_for_node(alias.name) == name)
        or (alias.asname is not None and isinstance(alias.asname.name, cst.Name) and alias.asname.name.value == name)
        for alias in node.names
    )


def _add_import(module: cst.Module, dotted: str, name: str,
                relative: bool | None = None) -> tuple[cst.Module, bool]:
    """Add ``from <dotted> import <name>`` next to the imports of sibling modules (sorted)."""
    package, _, leaf = dotted.rpartition(".")
    relative_name = "." + leaf
    froms = _import_froms(module)
    for _, node in froms:
        mod = _module_of(node)
        if mod in (dotted, relative_name) and _imports_name(node, name):
            return module, False
    siblings = [(i, _module_of(n)) for i, n in froms
                if (package and _module_of(n).startswith(package + ".") and _module_of(n).count(".") == dotted.count("."))
                or (_module_of(n).startswith(".") and not _module_of(n).startswith(".."))]
    if relative is None:
        relative = bool(siblings) and all(m.startswith(".") for _, m in siblings)
    target_module = relative_name if relative else dotted
    stmt = cst.parse_statement(f"from {target_module} import {name}\n")
    body = list(module.body)
    if siblings:
        index = next((i for i, m in siblings if m.lstrip(".") > target_module.lstrip(".")), None)
        if index is None:
            index = siblings[-1][0] + 1
        else:
            # Take over the blank lines / comments above the sibling we insert before.
            old = body[index]
            stmt = stmt.with_changes(leading_lines=old.leading_lines)
            body[index] = old.with_changes(leading_lines=[])
    else:
        last_import = None
        for i, s in enumerate(body):
            if isinstance(s, cst.SimpleStatementLine) and any(isinstance(x, (cst.Import, cst.ImportFrom)) for x in s.body):
                last_import = i
        if last_import is not None:
            index = last_import + 1
        else:
            index = 0
            if body and _is_docstring(body[0]):
                index = 1
            stmt = stmt.with_changes(leading_lines=[cst.EmptyLine()] if index else [])
    body.insert(index, stmt)
    return module.with_changes(body=body), True


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    return (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
            and isinstance(stmt.body[0], cst.Expr) and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))


# --------------------------------------------------------------------------- package export
def export_from_package(source: str, module_dotted: str, class_name: str,
                        path: str = "__init__.py") -> CodemodResult:
    """Import ``class_name`` in a package ``__init__`` and add it to ``__all__`` if present."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise RegistrationError(f"{path}: cannot parse: {exc}") from exc
    result = CodemodResult(source)
    module, changed = _add_import(module, module_dotted, class_name)
    if changed:
        result.changes.append(f"import {class_name} from {module_dotted}")
    body = list(module.body)
    found_all = False
    for i, stmt in enumerate(body):
        found = _assigned(stmt)
        if found is None or found[0] != "__all__":
            continue
        found_all = True
        value = found[1]
        if isinstance(value, (cst.List, cst.Tuple)):
            names = [_string(el.value) for el in value.elements]
            if class_name in names:
                continue
            if isinstance(value, cst.List):
                open_ws, close_ws = value.lbracket.whitespace_after, value.rbracket.whitespace_before
            elif value.lpar:
                open_ws, close_ws = value.lpar[0].whitespace_after, value.rpar[-1].whitespace_before
            else:
                result.notes.append(f"{path}: __all__ is an unparenthesized tuple; add {class_name} by hand")
                continue
            plain = [n for n in names if n is not None]
            index = len(value.elements)
            if plain == sorted(plain) and len(plain) == len(names):
                index = next((j for j, n in enumerate(names) if n > class_name), len(names))
            quote = _quote_of(value.elements)
            new_el = cst.Element(value=cst.SimpleString(_str(class_name, quote)))
            elements, close = _insert(value.elements, index, new_el, open_ws, close_ws)
            if isinstance(value, cst.List):
                value = value.with_changes(elements=elements,
                                           rbracket=value.rbracket.with_changes(whitespace_before=close))
            else:
                value = value.with_changes(elements=elements, rpar=[
                    *value.rpar[:-1], value.rpar[-1].with_changes(whitespace_before=close)])
            body[i] = _replace_value(stmt, value)  # type: ignore[arg-type]
            result.changes.append(f"__all__ gets {class_name!r}")
        else:
            result.notes.append(f"{path}: __all__ is not a list literal; add {class_name} by hand")
    if not found_all:
        result.notes.append(f"{path}: no __all__; only the import was added")
    result.source = module.with_changes(body=body).code
    return result


def new_package_init(package: str, module_dotted: str, class_name: str) -> str:
    """Text of a new package ``__init__`` that exports one class."""
    return (
        f'"""The ``{package}`` package."""\n\n'
        f"from {module_dotted} import {class_name}\n\n"
        f'__all__ = ["{class_name}"]\n'
    )
