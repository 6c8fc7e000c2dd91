"""The source registry (``sources.yaml`` beside this file): what each source is and where
it lands."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from cityhealth.core.settings import SOURCES_FILE, settings


@dataclass(frozen=True)
class Source:
    source_id: str
    kind: str
    cadence: str
    name_zh: str
    delivery: str = ""
    department: str | None = None
    options: dict = field(default_factory=dict)  # kind-specific settings (feed_defaults…)

    def landing_dir(self, period: str) -> Path:
        """Where deliveries for one period are dropped: landing/<source>/<period>/."""
        return settings().landing_dir / self.source_id / str(period)


@cache
def sources() -> dict[str, Source]:
    document = yaml.safe_load(SOURCES_FILE.read_text(encoding="utf-8"))
    defaults = {"department_feed": document.get("feed_defaults", {})}
    known = {"kind", "cadence", "name_zh", "delivery", "department"}
    return {
        source_id: Source(source_id=source_id, kind=spec["kind"], cadence=spec["cadence"],
                          name_zh=spec["name_zh"], delivery=spec.get("delivery", ""),
                          department=spec.get("department"),
                          options={**defaults.get(spec["kind"], {}),
                                   **{k: v for k, v in spec.items() if k not in known}})
        for source_id, spec in document["sources"].items()
    }


def source(source_id: str) -> Source:
    try:
        return sources()[source_id]
    except KeyError:
        known = ", ".join(sources())
        raise KeyError(f"unknown source {source_id!r}; {SOURCES_FILE.name} has: {known}") \
            from None


def department_source(department_code: str) -> Source:
    """The file source of one department."""
    for candidate in sources().values():
        if candidate.kind == "department_file" and candidate.department == department_code:
            return candidate
    raise KeyError(f"no department_file source for department {department_code!r}")
