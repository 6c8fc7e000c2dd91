"""Settings: a value the platform cannot use is refused with a message that names the
variable (or the profile file and key), the value and what it must be."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from cityhealth.core import settings as settings_module
from cityhealth.core.settings import Profile, SettingsError, settings

DEMO = yaml.safe_load((settings_module.CONFIG_DIR / "demo.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """settings() read again from the environment the test sets."""
    monkeypatch.setenv("CITYHEALTH_HOME", str(tmp_path / "home"))
    for name in ("CITYHEALTH_PROFILE", "CITYHEALTH_SMTP_PORT", "CITYHEALTH_SMTP_SENDER",
                 "CITYHEALTH_SMTP_RECIPIENTS", "CITYHEALTH_FEED_BASE_URL",
                 "CITYHEALTH_DUCKDB_MEMORY_LIMIT", "CITYHEALTH_DUCKDB_THREADS",
                 "CITYHEALTH_DUCKDB_TEMP_DIRECTORY", "CITYHEALTH_QUERY_TIMEOUT_SECONDS",
                 "CITYHEALTH_TASK_TIMEOUT_SECONDS", "CITYHEALTH_REPORT_DOCUMENTS",
                 "CITYHEALTH_REPORT_WORKERS", "CITYHEALTH_DBT_THREADS", "CITYHEALTH_DBT_LOG"):
        monkeypatch.delenv(name, raising=False)
    settings.cache_clear()
    yield monkeypatch
    settings.cache_clear()


@pytest.fixture
def config_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty config/ folder the profiles are read from."""
    folder = tmp_path / "config"
    folder.mkdir()
    monkeypatch.setattr(settings_module, "CONFIG_DIR", folder)
    return folder


def write_profile(folder: Path, name: str, **changes) -> None:
    raw = {**DEMO, "profile": name, **changes}
    raw = {key: value for key, value in raw.items() if value is not None}
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")


def test_the_defaults_read_the_demo_profile(fresh: pytest.MonkeyPatch) -> None:
    cfg = settings()
    assert cfg.profile.name == "demo" and cfg.profile.check_year in cfg.profile.years
    assert (cfg.smtp_port, cfg.smtp_sender, cfg.smtp_recipients, cfg.feed_base_url) == \
        (25, "cityhealth@localhost", (), None)


def test_valid_values_are_typed(fresh: pytest.MonkeyPatch) -> None:
    fresh.setenv("CITYHEALTH_PROFILE", "full")
    fresh.setenv("CITYHEALTH_SMTP_PORT", " 587 ")
    fresh.setenv("CITYHEALTH_SMTP_SENDER", "城市体检平台 <cityhealth@example.org>")
    fresh.setenv("CITYHEALTH_SMTP_RECIPIENTS", "ops@example.org, 值班 <duty@example.org>,")
    fresh.setenv("CITYHEALTH_FEED_BASE_URL", "https://feeds.example.org/dept")
    cfg = settings()
    assert cfg.profile.name == "full"
    assert cfg.smtp_port == 587
    assert cfg.smtp_recipients == ("ops@example.org", "值班 <duty@example.org>")
    assert cfg.feed_base_url == "https://feeds.example.org/dept"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("CITYHEALTH_SMTP_PORT", "abc",
     "CITYHEALTH_SMTP_PORT must be a port number 1–65535, got 'abc'"),
    ("CITYHEALTH_SMTP_PORT", "0",
     "CITYHEALTH_SMTP_PORT must be a port number 1–65535, got '0'"),
    ("CITYHEALTH_SMTP_PORT", "70000",
     "CITYHEALTH_SMTP_PORT must be a port number 1–65535, got '70000'"),
    ("CITYHEALTH_SMTP_SENDER", "cityhealth",
     "CITYHEALTH_SMTP_SENDER must be an e-mail address (name@host), got 'cityhealth'"),
    ("CITYHEALTH_SMTP_RECIPIENTS", "ops@example.org; duty@example.org",
     "CITYHEALTH_SMTP_RECIPIENTS must be e-mail addresses separated by commas, "
     "got 'ops@example.org; duty@example.org'"),
    ("CITYHEALTH_FEED_BASE_URL", "127.0.0.1:8765",
     "CITYHEALTH_FEED_BASE_URL must be an http:// or https:// address, "
     "e.g. http://127.0.0.1:8765, got '127.0.0.1:8765'"),
    ("CITYHEALTH_PROFILE", "fast",
     "CITYHEALTH_PROFILE must be the name of a run profile in config/ (demo, full), got 'fast'"),
    ("CITYHEALTH_PROFILE", "../config/demo",
     "CITYHEALTH_PROFILE must be the name of a run profile in config/ (demo, full), "
     "got '../config/demo'"),
    ("CITYHEALTH_QUERY_TIMEOUT_SECONDS", "30m",
     "CITYHEALTH_QUERY_TIMEOUT_SECONDS must be a number of seconds (0 or more), got '30m'"),
    ("CITYHEALTH_TASK_TIMEOUT_SECONDS", "-1",
     "CITYHEALTH_TASK_TIMEOUT_SECONDS must be a number of seconds (0 or more), got '-1'"),
    ("CITYHEALTH_DUCKDB_MEMORY_LIMIT", "4",
     "CITYHEALTH_DUCKDB_MEMORY_LIMIT must be an amount of memory with its unit, "
     "e.g. 4GB or 512MB, got '4'"),
    ("CITYHEALTH_DUCKDB_MEMORY_LIMIT", "80%",
     "CITYHEALTH_DUCKDB_MEMORY_LIMIT must be an amount of memory with its unit, "
     "e.g. 4GB or 512MB, got '80%'"),
    ("CITYHEALTH_DUCKDB_THREADS", "0",
     "CITYHEALTH_DUCKDB_THREADS must be a whole number of at least 1, got '0'"),
    ("CITYHEALTH_DBT_THREADS", "four",
     "CITYHEALTH_DBT_THREADS must be a whole number of at least 1, got 'four'"),
    ("CITYHEALTH_DBT_LOG", "verbose",
     "CITYHEALTH_DBT_LOG must be results or debug, got 'verbose'"),
    ("CITYHEALTH_REPORT_WORKERS", "none",
     "CITYHEALTH_REPORT_WORKERS must be a whole number of at least 1, got 'none'"),
    ("CITYHEALTH_REPORT_DOCUMENTS", "docx,odt",
     "CITYHEALTH_REPORT_DOCUMENTS must be a comma-separated list of docx, pdf, or none, "
     "got 'docx,odt'"),
    ("CITYHEALTH_DUCKDB_TEMP_DIRECTORY", "tmp/duckdb",
     "CITYHEALTH_DUCKDB_TEMP_DIRECTORY must be an absolute path, e.g. /data/tmp/duckdb, "
     "got 'tmp/duckdb'"),
])
def test_a_bad_variable_is_named_with_its_value_and_what_it_must_be(
        fresh: pytest.MonkeyPatch, name: str, value: str, message: str) -> None:
    fresh.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        settings()
    assert str(raised.value) == message


def test_duckdb_resources_and_time_limits_are_typed(fresh: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    fresh.setenv("CITYHEALTH_DUCKDB_MEMORY_LIMIT", " 1.5 GiB ")
    fresh.setenv("CITYHEALTH_DUCKDB_THREADS", "2")
    fresh.setenv("CITYHEALTH_DUCKDB_TEMP_DIRECTORY", str(tmp_path / "spill"))
    fresh.setenv("CITYHEALTH_QUERY_TIMEOUT_SECONDS", "600")
    fresh.setenv("CITYHEALTH_TASK_TIMEOUT_SECONDS", "0")
    assert settings().dbt_threads == 4
    fresh.setenv("CITYHEALTH_DBT_THREADS", " 2 ")
    settings.cache_clear()
    cfg = settings()
    assert (cfg.duckdb_memory_limit, cfg.duckdb_threads, cfg.duckdb_temp_directory) == \
        ("1.5GiB", 2, tmp_path / "spill")
    assert cfg.dbt_threads == 2
    assert (cfg.query_timeout, cfg.task_timeout) == (600.0, 0.0)


def test_an_unknown_profile_names_the_known_ones(config_dir: Path) -> None:
    write_profile(config_dir, "small")
    with pytest.raises(SettingsError, match=r"unknown run profile 'big': there is no "
                                            r"config/big.yaml; known profiles: small"):
        Profile.load("big")


@pytest.mark.parametrize(("changes", "message"), [
    ({"seed": None}, "config/p.yaml: missing key 'seed' (an integer)"),
    ({"seed": "abc"}, "config/p.yaml: seed must be an integer, got 'abc'"),
    ({"years": "2020-2025"}, "config/p.yaml: years must be a list of years in ascending "
                             "order, e.g. [2020, 2021], got '2020-2025'"),
    ({"years": [2025, 2024]}, "years must be a list of years in ascending order"),
    ({"check_year": True}, "config/p.yaml: check_year must be a year, got True"),
    ({"check_year": 2026}, "config/p.yaml: check_year must be one of years "
                           "[2020, 2021, 2022, 2023, 2024, 2025], got 2026"),
    ({"county_multiplier": 0},
     "config/p.yaml: county_multiplier must be a whole number of at least 1, got 0"),
    ({"survey_respondents_per_county": 2.5}, "survey_respondents_per_county must be a whole "
                                             "number of at least 1, got 2.5"),
    ({"third_party_sample_share": 1.5},
     "config/p.yaml: third_party_sample_share must be a share between 0 and 1, got 1.5"),
    ({"sede": 1}, "config/p.yaml: unknown key 'sede'; the keys are profile, seed, years"),
    ({"plan_period": [2021, 2025]}, "config/p.yaml: plan_period is no longer a profile key; "
                                    "the plan periods are reference data: "
                                    "dbt_project/seeds/ref_plan_periods.csv"),
    ({"baseline_year": 2020}, "config/p.yaml: baseline_year is no longer a profile key"),
])
def test_a_bad_profile_key_is_named_with_its_file(config_dir: Path, changes: dict,
                                                  message: str) -> None:
    write_profile(config_dir, "p", **changes)
    with pytest.raises(SettingsError, match=re.escape(message)):
        Profile.load("p")


def test_a_profile_that_is_no_mapping_is_refused(config_dir: Path) -> None:
    (config_dir / "p.yaml").write_text("- 2025\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="config/p.yaml must be a mapping of keys to "
                                            "values, got list"):
        Profile.load("p")


def test_the_shipped_profiles_load() -> None:
    for name in settings_module.profile_names():
        profile = Profile.load(name)
        assert profile.check_year in profile.years


@pytest.mark.parametrize(("value", "formats"), [
    (None, ("docx", "pdf")), ("pdf", ("pdf",)), (" PDF, docx ", ("docx", "pdf")),
    ("none", ()), ("None", ()),
])
def test_the_documents_beside_each_report_are_a_setting(
        fresh: pytest.MonkeyPatch, value: str | None, formats: tuple[str, ...]) -> None:
    if value is not None:
        fresh.setenv("CITYHEALTH_REPORT_DOCUMENTS", value)
    assert settings().report_documents == formats
