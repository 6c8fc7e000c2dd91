"""A small demo world (two years, few respondents) shared by the ingestion tests."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from cityhealth.core.settings import Profile

YEAR = 2025


@pytest.fixture(scope="session")
def small_profile() -> Profile:
    return dataclasses.replace(Profile.load("demo"), years=(2024, 2025),
                               survey_respondents_per_county=3)


@pytest.fixture(scope="session")
def demo_landing(tmp_path_factory: pytest.TempPathFactory, small_profile: Profile) -> Path:
    """Demo deliveries written once per session (copied into each test's home)."""
    from cityhealth.demo.generator import generate

    landing = tmp_path_factory.mktemp("demo_landing")
    generate(landing, small_profile)
    return landing


@pytest.fixture
def landed(cityhealth_home: Path, demo_landing: Path) -> Path:
    """A fresh platform home whose landing folder holds the demo deliveries."""
    target = cityhealth_home / "landing"
    shutil.rmtree(target)
    shutil.copytree(demo_landing, target)
    return target
