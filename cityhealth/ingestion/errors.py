"""The one error type of ingestion: a delivery that cannot be loaded as it is.

Its message always names the source and the file, and, where the problem sits in a
cell, the row and column, so that the department can fix its file without asking.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

MAX_SHOWN = 10
SHOWN_CHARS = 60  # delivered text quoted in a message is cut after this many characters
VISIBLE_SPACE = " "


def _escaped(char: str) -> str:
    """A character as the clerk can see it: invisible ones as <U+XXXX>."""
    if char == VISIBLE_SPACE:
        return char
    if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"):
        return f"<U+{ord(char):04X}>"
    return char


def shown(text: object, limit: int = SHOWN_CHARS) -> str:
    """Delivered text for a message: invisible characters (zero-width spaces, BOMs,
    control characters, no-break and ideographic spaces) written as ``<U+200B>``, a space
    at either end as ``<U+0020>``, and a long text cut with its length said."""
    text = str(text)
    cut = text[:limit]
    body = "".join(_escaped(c) for c in cut)
    if cut.startswith(VISIBLE_SPACE):
        body = "<U+0020>" + body[1:]
    if cut.endswith(VISIBLE_SPACE) and len(cut) > 1:
        body = body[:-1] + "<U+0020>"
    if len(text) > limit:
        body += f"… ({len(text):,} characters)"
    return body


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a delivery; ``where`` is e.g. 'data row 5 (line 6)'."""

    message: str
    where: str = ""
    column: str = ""

    def __str__(self) -> str:
        column = f"column {shown(self.column, 200)}" if self.column else ""
        place = ", ".join(p for p in (self.where, column) if p)
        return f"{place}: {self.message}" if place else self.message


class DeliveryError(ValueError):
    """A delivery that cannot be loaded; the batch goes to quarantine, the others go on."""

    def __init__(self, source_id: str, file: str, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.source_id = source_id
        self.file = file
        self.problems = problems
        super().__init__(self._text())

    def _text(self) -> str:
        head = f"{self.source_id}: {self.file}"
        if len(self.problems) == 1:
            return f"{head}: {self.problems[0]}"
        shown = "; ".join(str(p) for p in self.problems[:MAX_SHOWN])
        more = f"; and {len(self.problems) - MAX_SHOWN} more" if len(self.problems) > MAX_SHOWN \
            else ""
        return f"{head}: {len(self.problems)} problems: {shown}{more}"
