"""What a validation found: one outcome per expectation, one result per batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ExpectationOutcome:
    expectation_type: str
    column: str | None
    kwargs: dict
    severity: str
    rule: str
    success: bool
    unexpected_count: int | None
    unexpected_percent: float | None
    examples: list[str] = field(default_factory=list)

    def describe(self) -> str:
        target = self.column or ",".join(str(v) for v in self.kwargs.values() if v)[:60]
        text = f"{self.expectation_type}({target}) {self.unexpected_count or 0} rows"
        if self.rule:  # the rule in plain words first: what the sender must put right
            text = f"{self.rule}: {text}"
        if self.examples:
            text += ", e.g. " + "; ".join(self.examples[:3])
        return text


@dataclass
class BatchValidation:
    run_id: str
    batch_id: str
    source_id: str
    period: str
    suite_name: str
    rows: int
    outcomes: list[ExpectationOutcome]
    data_docs_path: Path | None = None
    file: str = ""  # the delivery's file name as received

    @property
    def errors(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "error"]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "warning"]

    @property
    def success(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        head = f"{self.source_id} {self.period} (batch {self.batch_id})"
        if self.file:
            head += f": {self.file}"
        if self.success:
            warn = f", {len(self.warnings)} warnings" if self.warnings else ""
            return f"{head}: {len(self.outcomes)} expectations passed{warn}"
        failed = "; ".join(o.describe() for o in self.errors)
        return f"{head}: {len(self.errors)} of {len(self.outcomes)} expectations failed: {failed}"

