"""The periods of the plan's rhythm, parsed once into one type.

A period label is what names a release folder, a report folder and a landing folder:

=============  ===============  ========================================
kind           label            covers
=============  ===============  ========================================
``annual``     ``2025``         a check year (一年一体检)
``monthly``    ``2025-07``      a month of dispatch (每月调度)
``quarterly``  ``2025-Q3``      a quarter of the bulletin (每季度通报)
``five_year``  ``plan-2021-2025``  a plan period (五年一评估)
``appraisal``  ``appraisal-2025``  the annual appraisal of a check year (每年度考核)
=============  ===============  ========================================

Everything else (the check year dbt builds for, the plan years, the order of two
releases of one kind) is read from the parsed :class:`Period`, never re-parsed
from the label.

The plan periods themselves are reference data (``dbt_project/seeds/ref_plan_periods.csv``,
read through :func:`cityhealth.core.reference.plan_periods`): :meth:`Period.plan_of` gives
the plan period of a check year, and a dbt build for any period receives that plan
period's years (:meth:`Period.dbt_vars`), so Python and dbt read the same one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import pendulum

from cityhealth.core.reference import plan_period_of, plan_periods

TIMEZONE = "Asia/Shanghai"

KINDS = ("annual", "monthly", "quarterly", "five_year", "appraisal")

_PATTERNS = {
    "annual": re.compile(r"(?P<year>\d{4})"),
    "monthly": re.compile(r"(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])"),
    "quarterly": re.compile(r"(?P<year>\d{4})-Q(?P<quarter>[1-4])"),
    "five_year": re.compile(r"plan-(?P<start>\d{4})-(?P<end>\d{4})"),
    "appraisal": re.compile(r"appraisal-(?P<year>\d{4})"),
}


class PeriodError(ValueError):
    """A label that is not a period of the plan's rhythm."""


@dataclass(frozen=True, order=True)
class Period:
    """One period: its kind and the years (and month or quarter) it covers."""

    kind: str
    first_year: int
    last_year: int
    month: int | None = None
    quarter: int | None = None

    @classmethod
    def parse(cls, label: str | int | Period) -> Period:
        """``'2025'``, ``'2025-07'``, ``'2025-Q3'``, ``'plan-2021-2025'``, ``'appraisal-2025'``."""
        if isinstance(label, Period):
            return label
        text = str(label).strip()
        for kind, pattern in _PATTERNS.items():
            match = pattern.fullmatch(text)
            if not match:
                continue
            parts = match.groupdict()
            if kind == "five_year":
                start, end = int(parts["start"]), int(parts["end"])
                if end < start:
                    raise PeriodError(f"plan period {text!r} ends before it starts")
                return cls(kind, start, end)
            year = int(parts["year"])
            return cls(kind, year, year,
                       month=int(parts["month"]) if parts.get("month") else None,
                       quarter=int(parts["quarter"]) if parts.get("quarter") else None)
        raise PeriodError(
            f"{text!r} is not a period: expected a check year (2025), a month (2025-07), "
            f"a quarter (2025-Q3), a plan period (plan-2021-2025) or appraisal-<year>"
        )

    @classmethod
    def of_interval(cls, kind: str, data_interval_start: datetime) -> Period:
        """The period a scheduled run covers, from its data interval's start (China time)."""
        start = pendulum.instance(data_interval_start).in_timezone(TIMEZONE)
        if kind == "annual":
            return cls.annual(start.year)
        if kind == "monthly":
            return cls("monthly", start.year, start.year, month=start.month)
        if kind == "quarterly":
            return cls("quarterly", start.year, start.year, quarter=(start.month - 1) // 3 + 1)
        raise PeriodError(f"no data interval defines a {kind!r} period")

    @classmethod
    def last_complete(cls, kind: str, moment: datetime) -> Period:
        """The newest period of a kind that has ended by ``moment`` (China time).

        What a manual run without a logical date covers: on 2026-03-10 the check
        year 2025, the month 2026-02, the quarter 2025-Q4.
        """
        at = pendulum.instance(moment).in_timezone(TIMEZONE)
        if kind == "annual":
            return cls.annual(at.year - 1)
        if kind == "monthly":
            previous = at.start_of("month").subtract(months=1)
            return cls("monthly", previous.year, previous.year, month=previous.month)
        if kind == "quarterly":
            quarter_start = at.start_of("month").subtract(months=(at.month - 1) % 3)
            previous = quarter_start.subtract(months=3)
            return cls("quarterly", previous.year, previous.year,
                       quarter=(previous.month - 1) // 3 + 1)
        raise PeriodError(f"no manual default for a {kind!r} period")

    @classmethod
    def annual(cls, year: int) -> Period:
        return cls("annual", int(year), int(year))

    @classmethod
    def plan(cls, start: int, end: int) -> Period:
        return cls("five_year", int(start), int(end))

    @classmethod
    def plan_of(cls, year: int) -> Period:
        """The plan period of a check year (ref_plan_periods): the one that contains it,
        else the one whose baseline year it is (2020 → plan-2021-2025)."""
        found = plan_period_of(int(year))
        if found is None:
            known = ", ".join(f"{p.name_zh} {p.start_year}–{p.end_year}" for p in plan_periods())
            raise PeriodError(f"no plan period in dbt_project/seeds/ref_plan_periods.csv "
                              f"covers {year} (known: {known or 'none'})")
        return cls.plan(found.start_year, found.end_year)

    @classmethod
    def appraisal_of(cls, year: int) -> Period:
        return cls("appraisal", int(year), int(year))

    @property
    def label(self) -> str:
        if self.kind == "annual":
            return str(self.first_year)
        if self.kind == "monthly":
            return f"{self.first_year}-{self.month:02d}"
        if self.kind == "quarterly":
            return f"{self.first_year}-Q{self.quarter}"
        if self.kind == "five_year":
            return f"plan-{self.first_year}-{self.last_year}"
        return f"appraisal-{self.first_year}"

    @property
    def check_year(self) -> int:
        """The check year whose data a build for this period reads up to."""
        return self.last_year

    @property
    def label_zh(self) -> str:
        """The period in Chinese, for report titles."""
        if self.kind == "annual":
            return f"{self.first_year}年"
        if self.kind == "monthly":
            return f"{self.first_year}年{self.month}月"
        if self.kind == "quarterly":
            return f"{self.first_year}年第{'一二三四'[self.quarter - 1]}季度"
        if self.kind == "five_year":
            return f"{self.first_year}—{self.last_year}年"
        return f"{self.first_year}年度考核"

    def dbt_vars(self, plan: Period | None = None) -> dict[str, int]:
        """The vars a dbt build for this period receives: the check year and the plan years.

        A five-year assessment runs on its own plan period; every other period on
        ``plan``, by default the plan period of its check year (:meth:`plan_of`), so that
        the plan-period marts of an annual release agree with the assessment's.
        """
        if self.kind == "five_year":
            plan = self
        elif plan is None:
            plan = Period.plan_of(self.check_year)
        return {"check_year": self.check_year, "plan_start": plan.first_year,
                "plan_end": plan.last_year}

    def __str__(self) -> str:
        return self.label
