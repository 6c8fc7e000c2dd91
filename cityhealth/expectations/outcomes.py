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

    def describe(self, shown: int = 3) -> str:
        """The rule in words, then where it failed: 'rule (2 rows): data row 3, column
        X: value ...; ...'. The expectation's technical name stays in the stored results."""
        text = self.rule or f"{self.expectation_type}({self.column or ''})"
        if self.unexpected_count:
            rows = "row" if self.unexpected_count == 1 else "rows"
            text += f" ({self.unexpected_count} {rows})"
        if self.examples:
            text += ": " + "; ".join(self.examples[:shown])
            more = max(int(self.unexpected_count or 0), len(self.examples)) - shown
            if more > 0:
                text += f"; and {more} more"
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
        """Source and file first, then each failed rule in words with where it failed,
        e.g. 'dept_ct: 文化局.csv: 1 of 6 checks failed (period 2025, batch ...):
        - 数值低于该项的最小合理值…: data row 5, column 文化设施建筑面积(平方米): -124515…'."""
        head = f"{self.source_id}: {self.file or self.batch_id}"
        where = f"period {self.period}, batch {self.batch_id}"
        if self.success:
            warn = f", {len(self.warnings)} warnings" if self.warnings else ""
            return f"{head}: {len(self.outcomes)} checks passed{warn} ({where})"
        failed = "".join(f"\n- {o.describe()}" for o in self.errors)
        return (f"{head}: {len(self.errors)} of {len(self.outcomes)} checks failed ({where}):"
                f"{failed}")

    def error_text(self) -> str:
        """What ``error.txt`` in the quarantine folder says: the summary, then every
        example kept of each failed rule (a correction lists each value it would erase)."""
        lines = [self.summary()]
        for outcome in self.errors:
            if len(outcome.examples) > 3:
                lines += ["", outcome.rule or outcome.expectation_type]
                lines += [f"  {example}" for example in outcome.examples]
        for outcome in self.warnings:
            lines.append(f"warning: {outcome.describe()}")
        return "\n".join(lines) + "\n"
