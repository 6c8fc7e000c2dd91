"""Shared fixtures. Every test that writes gets its own CITYHEALTH_HOME."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cityhealth import settings as settings_module


@pytest.fixture
def cityhealth_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, empty platform home for one test; settings() re-read against it."""
    home = tmp_path / "home"
    monkeypatch.setenv("CITYHEALTH_HOME", str(home))
    settings_module.settings.cache_clear()
    settings_module.settings().ensure_dirs()
    yield home
    settings_module.settings.cache_clear()
