"""Turning a user-supplied name into a class name, a module name and a factory key.

``MyAttn``, ``my_attn``, ``HTTPAttention`` and ``Attn2D`` are all accepted. The name is split
into words (underscores, lower-to-upper case changes, the end of an acronym; a digit run
followed by a lone letter is its own word, ``2D``, other digits stay with the word before
them, ``v2``), then joined again:

* class name: PascalCase, acronyms and mixed-case words kept (``HTTPAttention``, ``Attn2D``);
* module name and factory key: snake_case (``http_attention``, ``attn_2d``).
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

__all__ = ["NameError_", "LayerNames", "map_name", "split_words"]

# Tokens: an acronym followed by a capitalised word (``HTTP`` in ``HTTPAttention``), a
# capitalised or lower-case word, a run of capitals, or a run of digits.
_TOKEN = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


class NameError_(ValueError):
    """The name cannot be used for a new layer (invalid identifier, keyword, ...)."""


@dataclass(frozen=True)
class LayerNames:
    """All spellings of one new layer's name."""

    given: str
    class_name: str
    module_name: str
    factory_key: str
    words: tuple[str, ...]


def _merge_digits(tokens: list[str]) -> list[str]:
    """Attach digit runs: ``2`` + a lone letter is a dimension unit (``2D``), otherwise the
    digits belong to the word before them (``v2``, ``GPT2``)."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.isdigit():
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt is not None and len(nxt) == 1 and nxt.isalpha():
                out.append(tok + nxt.upper())
                i += 2
                continue
            if out and not out[-1][0].isdigit():
                out[-1] += tok
            else:
                out.append(tok)
        else:
            out.append(tok)
        i += 1
    return out


def split_words(name: str) -> list[str]:
    """Split ``name`` into words (see the module docstring)."""
    words: list[str] = []
    for part in name.split("_"):
        if not part:
            continue
        found = _TOKEN.findall(part)
        if "".join(found) != part:  # something the pattern does not cover
            raise NameError_(f"cannot split {name!r} into words")
        words.extend(_merge_digits(found))
    return words


def _pascal(word: str) -> str:
    if word.islower():
        return word[0].upper() + word[1:]
    return word  # ACRONYM, Capitalised, 2D stay as they are


def map_name(name: str) -> LayerNames:
    """Validate ``name`` and derive the class name, module name and factory key.

    :param name: what the user typed, e.g. ``MyAttn`` or ``my_attn``.
    :return: the derived names.
    :raises NameError_: the name is not an ASCII Python identifier, is a keyword, or gives
        names that are not valid identifiers.
    """
    if not name:
        raise NameError_("the name is empty")
    if not name.isascii() or not name.isidentifier():
        raise NameError_(
            f"{name!r} is not a valid Python identifier (use letters, digits and underscores, "
            "not starting with a digit)"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise NameError_(f"{name!r} is a Python keyword")
    words = split_words(name)
    if not words:
        raise NameError_(f"{name!r} contains no letters")
    class_name = "".join(_pascal(w) for w in words)
    module_name = "_".join(w.lower() for w in words)
    for label, value in (("class name", class_name), ("module name", module_name)):
        if not value.isidentifier() or keyword.iskeyword(value) or keyword.issoftkeyword(value):
            raise NameError_(f"{name!r} gives the {label} {value!r}, which is not a valid identifier")
    if module_name.startswith("test"):
        raise NameError_(f"{name!r} gives the module name {module_name!r}; pytest would collect it")
    return LayerNames(name, class_name, module_name, module_name, tuple(words))
