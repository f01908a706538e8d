"""Value types a lint run produces: positions, text edits, fixes and diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Applicability = Literal["safe", "unsafe"]


@dataclass(frozen=True, order=True)
class Position:
    """A place in a file: ``row`` is 1-based, ``column`` is a 0-based character offset.

    Output formats add 1 to the column (RULES.md: rows and columns are 1-based).
    """

    row: int
    column: int

    def to_json(self) -> dict[str, int]:
        return {"row": self.row, "column": self.column + 1}


@dataclass(frozen=True)
class Edit:
    """Replace the text between ``start`` and ``end`` with ``content`` (insert when equal)."""

    start: Position
    end: Position
    content: str

    def to_json(self) -> dict[str, Any]:
        return {"content": self.content, "location": self.start.to_json(),
                "end_location": self.end.to_json()}


@dataclass(frozen=True)
class Fix:
    """A set of edits that together repair one diagnostic."""

    applicability: Applicability
    message: str
    edits: tuple[Edit, ...]

    def to_json(self) -> dict[str, Any]:
        return {"applicability": self.applicability, "message": self.message,
                "edits": [e.to_json() for e in self.edits]}


@dataclass(frozen=True)
class Diagnostic:
    """One finding of one rule in one file."""

    code: str
    message: str
    filename: str
    start: Position
    end: Position
    fix: Fix | None = None
    url: str | None = field(default=None, compare=False)

    def sort_key(self) -> tuple:
        return (self.filename, self.start.row, self.start.column, self.code)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "filename": self.filename,
            "location": self.start.to_json(),
            "end_location": self.end.to_json(),
            "fix": self.fix.to_json() if self.fix else None,
            "url": self.url,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Diagnostic":
        def pos(d: dict[str, int]) -> Position:
            return Position(d["row"], d["column"] - 1)

        fix = None
        if data.get("fix"):
            f = data["fix"]
            fix = Fix(f["applicability"], f["message"],
                      tuple(Edit(pos(e["location"]), pos(e["end_location"]), e["content"])
                            for e in f["edits"]))
        return cls(data["code"], data["message"], data["filename"], pos(data["location"]),
                   pos(data["end_location"]), fix, data.get("url"))
