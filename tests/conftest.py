"""Shared fixtures. Every test that writes gets its own CITYHEALTH_HOME."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cityhealth import settings as settings_module

# Airflow reads its home at import: never let a test touch ~/airflow or the demo's var/.
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="cityhealth-test-airflow-")
os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(settings_module.REPO_ROOT / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@pytest.fixture
def cityhealth_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, empty platform home for one test; settings() re-read against it."""
    home = tmp_path / "home"
    monkeypatch.setenv("CITYHEALTH_HOME", str(home))
    settings_module.settings.cache_clear()
    settings_module.settings().ensure_dirs()
    yield home
    settings_module.settings.cache_clear()


@pytest.fixture(scope="session")
def demo_platform(tmp_path_factory: pytest.TempPathFactory):
    """The whole demo built once (minutes): deliveries, ingestion, dbt, releases."""
    from tests.demo_platform import build_demo_platform

    return build_demo_platform(tmp_path_factory.mktemp("demo_platform") / "home")
