"""The source registry (``sources.yaml`` beside this file): what each source is, where it
lands, whether the platform pulls it (``transport``) and how its ingest task retries."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from cityhealth.core.settings import SOURCES_FILE, settings

TRANSPORTS = ("file", "http")


@dataclass(frozen=True)
class RetryPolicy:
    """How often an ingest task is retried, and how long it first waits."""

    retries: int = 0
    delay_seconds: float = 0.0
    exponential_backoff: bool = False


@dataclass(frozen=True)
class Source:
    source_id: str
    kind: str
    cadence: str
    name_zh: str
    delivery: str = ""
    department: str | None = None
    options: dict = field(default_factory=dict)  # kind-specific settings (sources.yaml kinds)
    transport: str = "file"  # file: dropped by the sender; http: pulled before loading
    retry: RetryPolicy = RetryPolicy()
    after: tuple[str, ...] = ()  # sources validated first (their rows are referred to)

    @property
    def is_pulled(self) -> bool:
        """The platform fetches this source's deliveries itself (over HTTP)."""
        return self.transport == "http"

    def setting(self, name: str) -> object:
        """A setting of the source's kind (``sources.yaml``: ``kinds``, or the source's own)."""
        try:
            return self.options[name]
        except KeyError:
            raise KeyError(f"{self.source_id}: no setting {name!r} in {SOURCES_FILE.name} "
                           f"(kinds: {self.kind}:)") from None

    @property
    def max_pages(self) -> int:
        """The most pages one pull of a paginated source follows (``max_pages``)."""
        return int(self.setting("max_pages"))

    def landing_dir(self, period: str) -> Path:
        """Where deliveries for one period are dropped: landing/<source>/<period>/."""
        return settings().landing_dir / self.source_id / str(period)


def _retry_policies(document: dict) -> dict[str, RetryPolicy]:
    return {transport: RetryPolicy(retries=int(policy.get("retries", 0)),
                                   delay_seconds=float(policy.get("retry_delay_seconds", 0)),
                                   exponential_backoff=bool(policy.get("exponential_backoff")))
            for transport, policy in (document.get("task_retries") or {}).items()}


def _source(source_id: str, spec: dict, kinds: dict, retries: dict[str, RetryPolicy]) -> Source:
    settings_of_kind = {**kinds.get(spec["kind"], {}), **spec}
    transport = settings_of_kind.get("transport", "file")
    if transport not in TRANSPORTS:
        raise ValueError(f"{SOURCES_FILE.name}: source {source_id} has transport "
                         f"{transport!r}; known: {', '.join(TRANSPORTS)}")
    known = {"kind", "cadence", "name_zh", "delivery", "department", "transport", "after"}
    max_pages = settings_of_kind.get("max_pages", 1)
    if isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1:
        raise ValueError(f"{SOURCES_FILE.name}: source {source_id} has max_pages "
                         f"{max_pages!r}; a whole number of at least 1")
    return Source(source_id=source_id, kind=spec["kind"], cadence=spec["cadence"],
                  name_zh=spec["name_zh"], delivery=spec.get("delivery", ""),
                  department=spec.get("department"),
                  options={k: v for k, v in settings_of_kind.items() if k not in known},
                  transport=transport, retry=retries.get(transport, RetryPolicy()),
                  after=tuple(spec.get("after") or ()))


@cache
def sources() -> dict[str, Source]:
    document = yaml.safe_load(SOURCES_FILE.read_text(encoding="utf-8"))
    kinds = document.get("kinds") or {}
    retries = _retry_policies(document)
    found = {source_id: _source(source_id, spec, kinds, retries)
             for source_id, spec in document["sources"].items()}
    for spec in found.values():
        for earlier in spec.after:
            if earlier not in found or list(found).index(earlier) > list(found).index(
                    spec.source_id) or found[earlier].cadence != spec.cadence:
                raise ValueError(f"{SOURCES_FILE.name}: source {spec.source_id} comes after "
                                 f"{earlier!r}, which must be a source of the same cadence "
                                 "listed before it")
    return found



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
