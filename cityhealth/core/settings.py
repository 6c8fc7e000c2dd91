"""All configuration in one place.

Everything a deployment may change is read here, from environment variables
(the same names in the embedded default, in docker-compose and in CI) and from
one run profile (``config/<profile>.yaml``). Other modules import ``settings()``
and never read the environment themselves.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO_ROOT / "config"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
# The models dbt builds with the seeds, in the reference step: views of the seeds alone,
# reading no run var (check year, plan period), so that they come out the same while the
# seeds and their own files do (a folder below the dbt project, selected as ``path:``;
# cityhealth.warehouse.dbt_state).
REFERENCE_MODELS = "models/staging/reference"
SOURCES_FILE = REPO_ROOT / "cityhealth" / "ingestion" / "sources.yaml"


LOCK_TIMEOUT_ENV = "CITYHEALTH_WAREHOUSE_LOCK_TIMEOUT"
QUERY_TIMEOUT_ENV = "CITYHEALTH_QUERY_TIMEOUT_SECONDS"
TASK_TIMEOUT_ENV = "CITYHEALTH_TASK_TIMEOUT_SECONDS"
# DuckDB's resources, for every connection of the platform and for dbt (profiles.yml
# reads the same names through env_var; cityhealth.warehouse.dbt sets them from here).
MEMORY_LIMIT_ENV = "CITYHEALTH_DUCKDB_MEMORY_LIMIT"
THREADS_ENV = "CITYHEALTH_DUCKDB_THREADS"
TEMP_DIRECTORY_ENV = "CITYHEALTH_DUCKDB_TEMP_DIRECTORY"
# dbt's threads: nodes built and tested at the same time, each on its own cursor of the
# one DuckDB instance (profiles.yml reads it through env_var, like the three above).
DBT_THREADS_ENV = "CITYHEALTH_DBT_THREADS"
DBT_THREADS_DEFAULT = 4
# What a dbt command writes while it runs. "results" (the default): dbt's console says
# warnings and errors only, and the platform logs each model's result and the tests'
# counts from the command's results when it ends. "debug": dbt's own log besides, a line
# per node as it starts and ends, and its debug log <home>/dbt/logs/dbt.log (the SQL of
# every node): for finding out what dbt did, at about 10 % of the build's time.
DBT_LOG_ENV = "CITYHEALTH_DBT_LOG"
DBT_LOGS = ("results", "debug")
# The documents written beside each report page (Word, PDF), or none.
REPORT_DOCUMENTS_ENV = "CITYHEALTH_REPORT_DOCUMENTS"
REPORT_DOCUMENT_FORMATS = ("docx", "pdf")
# Processes writing those documents at the same time.
REPORT_WORKERS_ENV = "CITYHEALTH_REPORT_WORKERS"


class SettingsError(ValueError):
    """A setting the platform cannot use; the message names it, its value and what is expected."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _year(value: object) -> bool:
    return _is_int(value) and 1900 <= value <= 2100


# Every key of a run profile: (what it must be, in words; the check).
_PROFILE_KEYS: dict[str, tuple[str, Callable[[object], bool]]] = {
    "profile": ("a name", lambda v: isinstance(v, str) and bool(v.strip())),
    "seed": ("an integer", _is_int),
    "years": ("a list of years in ascending order, e.g. [2020, 2021]",
              lambda v: isinstance(v, list) and bool(v) and all(_year(y) for y in v)
              and v == sorted(set(v))),
    "check_year": ("a year", _year),
    "county_multiplier": ("a whole number of at least 1", lambda v: _is_int(v) and v >= 1),
    "survey_respondents_per_county": ("a whole number of at least 1",
                                      lambda v: _is_int(v) and v >= 1),
    "third_party_sample_share": ("a share between 0 and 1",
                                 lambda v: (_is_int(v) or isinstance(v, float)) and 0 <= v <= 1),
}
# Keys that moved out of the run profiles, and where they are now.
_MOVED_KEYS = {
    "plan_period": "the plan periods are reference data: dbt_project/seeds/ref_plan_periods.csv",
    "baseline_year": "a plan period's baseline year is the year before its first "
                     "(dbt_project/seeds/ref_plan_periods.csv)",
}


def profile_names() -> list[str]:
    """The run profiles there are (``config/<name>.yaml``)."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


@dataclass(frozen=True)
class Profile:
    """The size of a demo run: the fast demo (tests) or the province scale (benchmarks).

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
        """``config/<name>.yaml``, checked: ``SettingsError`` naming the file and the key
        for an unknown profile, a missing, unknown or wrongly typed key."""
        path = CONFIG_DIR / f"{name}.yaml"
        shown = f"config/{name}.yaml"
        if not path.is_file():
            raise SettingsError(f"unknown run profile {name!r}: there is no {shown}; "
                                f"known profiles: {', '.join(profile_names()) or 'none'}")
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise SettingsError(f"{shown} is not valid YAML: {error}") from error
        if not isinstance(raw, dict):
            raise SettingsError(f"{shown} must be a mapping of keys to values, "
                                f"got {type(raw).__name__}")
        for key in raw:
            if key in _MOVED_KEYS:
                raise SettingsError(f"{shown}: {key} is no longer a profile key; "
                                    f"{_MOVED_KEYS[key]}")
            if key not in _PROFILE_KEYS:
                raise SettingsError(f"{shown}: unknown key {key!r}; "
                                    f"the keys are {', '.join(_PROFILE_KEYS)}")
        for key, (expected, check) in _PROFILE_KEYS.items():
            if key not in raw:
                raise SettingsError(f"{shown}: missing key {key!r} ({expected})")
            if not check(raw[key]):
                raise SettingsError(f"{shown}: {key} must be {expected}, got {raw[key]!r}")
        if raw["check_year"] not in raw["years"]:
            raise SettingsError(f"{shown}: check_year must be one of years {raw['years']}, "
                                f"got {raw['check_year']!r}")
        return cls(
            name=raw["profile"],
            seed=raw["seed"],
            years=tuple(raw["years"]),
            check_year=raw["check_year"],
            county_multiplier=raw["county_multiplier"],
            survey_respondents_per_county=raw["survey_respondents_per_county"],
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
    # Seconds a warehouse writer waits for readers to let go of the file.
    warehouse_lock_timeout: float = 120.0
    # Seconds one warehouse query may run before it is interrupted (0: no limit).
    query_timeout: float = 1800.0
    # Seconds one Airflow task may run before Airflow stops it (0: no limit).
    task_timeout: float = 10800.0
    # DuckDB's memory limit (beyond it DuckDB spills to duckdb_temp_directory), its
    # worker threads, and the folder of its spill files and of ingestion's scratch copies.
    duckdb_memory_limit: str = "4GB"
    duckdb_threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    duckdb_temp_directory: Path | None = None  # settings(): <home>/tmp/duckdb unless set
    # dbt nodes run at the same time. DuckDB runs writes to different tables in parallel
    # within a process, and most nodes are small: while one waits on DuckDB, another's
    # SQL is rendered (an annual build on 2 cores: 43 s with 2 or 4, 52 s with 1).
    dbt_threads: int = DBT_THREADS_DEFAULT
    # What dbt logs while it runs (DBT_LOGS): the results, or its own debug log besides.
    dbt_log: str = DBT_LOGS[0]
    # Formats written beside each HTML report page (Word for editing, PDF for filing);
    # () = HTML only, e.g. where reports are read on screen.
    report_documents: tuple[str, ...] = REPORT_DOCUMENT_FORMATS
    # Processes writing them at the same time (one per core unless set).
    report_workers: int = field(default_factory=lambda: os.cpu_count() or 1)

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

    @property
    def cache_dir(self) -> Path:
        """What is made once and used by every later process, and made again when lost
        (the reports' base cut of the Chinese font)."""
        return self.home / "cache"

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


def _bad(name: str, expected: str, value: str) -> SettingsError:
    return SettingsError(f"{name} must be {expected}, got {value!r}")


def _port(name: str, default: int) -> int:
    value = _env(name)
    if value is None:
        return default
    if not re.fullmatch(r"\s*[0-9]{1,5}\s*", value) or not 1 <= int(value) <= 65535:
        raise _bad(name, "a port number 1–65535", value)
    return int(value)


# name@host, optionally with a display name: 城市体检平台 <cityhealth@example.org>
_BARE = r"[^@\s,<>]+@[^@\s,<>]+"
_ADDRESS = re.compile(rf"{_BARE}|[^<>,]*<{_BARE}>")


def _address(name: str, default: str) -> str:
    value = (_env(name) or default).strip()
    if not _ADDRESS.fullmatch(value):
        raise _bad(name, "an e-mail address (name@host)", value)
    return value


def _addresses(name: str) -> tuple[str, ...]:
    value = _env(name, "") or ""
    addresses = tuple(a.strip() for a in value.split(",") if a.strip())
    if not all(_ADDRESS.fullmatch(a) for a in addresses):
        raise _bad(name, "e-mail addresses separated by commas", value)
    return addresses


def _url(name: str) -> str | None:
    value = _env(name)
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _bad(name, "an http:// or https:// address, e.g. http://127.0.0.1:8765", value)
    return value.strip()


def _seconds(name: str, default: float) -> float:
    value = _env(name)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise _bad(name, "a number of seconds (0 or more)", value) from None
    if not seconds >= 0:
        raise _bad(name, "a number of seconds (0 or more)", value)
    return seconds


# DuckDB's memory sizes: a number and a unit, e.g. 4GB, 512MB, 1.5GiB
_MEMORY = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*",
                     re.IGNORECASE)


def _memory(name: str, default: str) -> str:
    value = _env(name)
    if value is None:
        return default
    size = _MEMORY.fullmatch(value)
    if not size or float(size.group(1)) <= 0:
        raise _bad(name, "an amount of memory with its unit, e.g. 4GB or 512MB", value)
    return "".join(value.split())


def _count(name: str, default: int) -> int:
    value = _env(name)
    if value is None:
        return default
    if not re.fullmatch(r"\s*[0-9]{1,4}\s*", value) or int(value) < 1:
        raise _bad(name, "a whole number of at least 1", value)
    return int(value)


def _folder(name: str) -> Path | None:
    value = _env(name)
    if value is None:
        return None
    path = Path(value.strip())
    if not path.is_absolute():
        raise _bad(name, "an absolute path, e.g. /data/tmp/duckdb", value)
    return path


def _formats(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = _env(name)
    if value is None:
        return default
    if value.strip().lower() == "none":
        return ()
    formats = [part.strip().lower() for part in value.split(",") if part.strip()]
    if not formats or set(formats) - set(REPORT_DOCUMENT_FORMATS):
        raise _bad(name, f"a comma-separated list of {', '.join(REPORT_DOCUMENT_FORMATS)}, "
                   "or none", value)
    return tuple(f for f in REPORT_DOCUMENT_FORMATS if f in formats)


def _choice(name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (the first unless set)."""
    value = (_env(name) or choices[0]).strip().lower()
    if value not in choices:
        raise _bad(name, " or ".join(choices), value)
    return value


def _profile_name(name: str, default: str) -> str:
    value = (_env(name) or default).strip()
    if value not in profile_names():
        known = ", ".join(profile_names()) or "none"
        raise _bad(name, f"the name of a run profile in config/ ({known})", value)
    return value


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The deployment's settings, read once per process from the environment.

    A value the platform cannot use raises :class:`SettingsError` naming the variable,
    the value and what it must be (the same for a profile file and its key).
    """
    home = Path(_env("CITYHEALTH_HOME", str(REPO_ROOT / "var"))).resolve()
    return Settings(
        home=home,
        profile=Profile.load(_profile_name("CITYHEALTH_PROFILE", "demo")),
        # Key of the keyed hash that replaces personal identifiers at ingestion.
        # The demo key is public; a deployment must set its own.
        pii_hash_key=_env("CITYHEALTH_PII_HASH_KEY", "demo-only-not-secret"),
        notify_log_file=Path(
            _env("CITYHEALTH_NOTIFY_LOG", str(home / "logs" / "notifications.log"))
        ),
        smtp_host=_env("CITYHEALTH_SMTP_HOST"),
        smtp_port=_port("CITYHEALTH_SMTP_PORT", 25),
        smtp_sender=_address("CITYHEALTH_SMTP_SENDER", "cityhealth@localhost"),
        smtp_recipients=_addresses("CITYHEALTH_SMTP_RECIPIENTS"),
        feed_base_url=_url("CITYHEALTH_FEED_BASE_URL"),
        feed_token=_env("CITYHEALTH_FEED_TOKEN"),
        warehouse_lock_timeout=_seconds(LOCK_TIMEOUT_ENV, 120.0),
        query_timeout=_seconds(QUERY_TIMEOUT_ENV, 1800.0),
        task_timeout=_seconds(TASK_TIMEOUT_ENV, 10800.0),
        duckdb_memory_limit=_memory(MEMORY_LIMIT_ENV, "4GB"),
        duckdb_threads=_count(THREADS_ENV, os.cpu_count() or 1),
        duckdb_temp_directory=_folder(TEMP_DIRECTORY_ENV) or home / "tmp" / "duckdb",
        dbt_threads=_count(DBT_THREADS_ENV, DBT_THREADS_DEFAULT),
        dbt_log=_choice(DBT_LOG_ENV, DBT_LOGS),
        report_documents=_formats(REPORT_DOCUMENTS_ENV, REPORT_DOCUMENT_FORMATS),
        report_workers=_count(REPORT_WORKERS_ENV, os.cpu_count() or 1),
    )
