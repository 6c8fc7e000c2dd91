"""All configuration in one place.

Everything a deployment may change is read here, from environment variables
(the same names in the embedded default, in docker-compose and in CI) and from
one run profile (``config/<profile>.yaml``). Other modules import ``settings()``
and never read the environment themselves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO_ROOT / "config"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
SOURCES_FILE = REPO_ROOT / "cityhealth" / "ingestion" / "sources.yaml"


@dataclass(frozen=True)
class Profile:
    """The size of a run: the demo (fast, for tests) or the full province scale.

    Sizes only: the plan periods are reference data (``ref_plan_periods``); the demo's
    plan period is the one of its ``check_year``.
    """

    name: str
    seed: int
    years: tuple[int, ...]
    check_year: int
    county_multiplier: int
    survey_respondents_per_county: int
    third_party_sample_share: float

    @classmethod
    def load(cls, name: str) -> Profile:
        path = CONFIG_DIR / f"{name}.yaml"
        if not path.exists():
            known = sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))
            raise ValueError(f"unknown run profile {name!r}; known profiles: {known}")
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(
            name=raw["profile"],
            seed=int(raw["seed"]),
            years=tuple(int(y) for y in raw["years"]),
            check_year=int(raw["check_year"]),
            county_multiplier=int(raw["county_multiplier"]),
            survey_respondents_per_county=int(raw["survey_respondents_per_county"]),
            third_party_sample_share=float(raw["third_party_sample_share"]),
        )


@dataclass(frozen=True)
class Settings:
    """Paths and switches of one deployment. Build it with :func:`settings`."""

    home: Path
    profile: Profile
    pii_hash_key: str
    notify_log_file: Path
    smtp_host: str | None
    smtp_port: int
    smtp_sender: str
    smtp_recipients: tuple[str, ...]
    feed_base_url: str | None
    feed_token: str | None
    extra: dict[str, str] = field(default_factory=dict)

    # Where things live. All under one home so that a backup is one folder.
    @property
    def landing_dir(self) -> Path:
        """Deliveries as departments drop them: landing/<source>/<period>/<file>."""
        return self.home / "landing"

    @property
    def archive_dir(self) -> Path:
        """Every delivery kept byte for byte as received, named by its sha256."""
        return self.home / "archive"

    @property
    def quarantine_dir(self) -> Path:
        """Batches that failed parsing or validation, with an error report beside each."""
        return self.home / "quarantine"

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse" / "cityhealth.duckdb"

    @property
    def quality_dir(self) -> Path:
        """Great Expectations results and Data Docs (static HTML)."""
        return self.home / "quality"

    @property
    def releases_dir(self) -> Path:
        return self.home / "releases"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def dbt_target_dir(self) -> Path:
        return self.home / "dbt" / "target"

    def ensure_dirs(self) -> None:
        for path in (
            self.landing_dir,
            self.archive_dir,
            self.quarantine_dir,
            self.warehouse_path.parent,
            self.quality_dir,
            self.releases_dir,
            self.reports_dir,
        ):
            path.mkdir(parents=True, exist_ok=True)


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The deployment's settings, read once per process from the environment."""
    home = Path(_env("CITYHEALTH_HOME", str(REPO_ROOT / "var"))).resolve()
    recipients = _env("CITYHEALTH_SMTP_RECIPIENTS", "") or ""
    return Settings(
        home=home,
        profile=Profile.load(_env("CITYHEALTH_PROFILE", "demo")),
        # Key of the keyed hash that replaces personal identifiers at ingestion.
        # The demo key is public; a deployment must set its own.
        pii_hash_key=_env("CITYHEALTH_PII_HASH_KEY", "demo-only-not-secret"),
        notify_log_file=Path(
            _env("CITYHEALTH_NOTIFY_LOG", str(home / "logs" / "notifications.log"))
        ),
        smtp_host=_env("CITYHEALTH_SMTP_HOST"),
        smtp_port=int(_env("CITYHEALTH_SMTP_PORT", "25")),
        smtp_sender=_env("CITYHEALTH_SMTP_SENDER", "cityhealth@localhost"),
        smtp_recipients=tuple(r.strip() for r in recipients.split(",") if r.strip()),
        feed_base_url=_env("CITYHEALTH_FEED_BASE_URL"),
        feed_token=_env("CITYHEALTH_FEED_TOKEN"),
    )
