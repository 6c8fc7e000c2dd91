"""The one error type of ingestion: a delivery that cannot be loaded as it is.

Its message always names the source and the file, and, where the problem sits in a
cell, the row and column, so that the department can fix its file without asking.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_SHOWN = 10


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a delivery; ``where`` is e.g. 'data row 5 (line 6)'."""

    message: str
    where: str = ""
    column: str = ""

    def __str__(self) -> str:
        place = ", ".join(p for p in (self.where, f"column {self.column}" if self.column else "")
                          if p)
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
