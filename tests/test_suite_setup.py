"""The test suite's own set-up: the files handed out first to the test processes, and the
demo platform they share."""

from __future__ import annotations

from pathlib import Path

from cityhealth.core.settings import REPO_ROOT
from tests.conftest import LONGEST_FIRST
from tests.demo_platform import DemoPlatform


def test_the_files_handed_out_first_exist() -> None:
    """A renamed file would silently lose its place at the front (and the run its balance)."""
    missing = [path for path in LONGEST_FIRST if not (REPO_ROOT / path).is_file()]
    assert missing == [], missing
    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)


def test_a_copy_of_the_demo_platform_points_into_its_own_home(tmp_path: Path) -> None:
    built = tmp_path / "built"
    platform = DemoPlatform(built, built / "warehouse" / "cityhealth.duckdb", (2024, 2025), 2025,
                            (2021, 2025), ["360100"], {}, 1.0,
                            {"2025": built / "releases" / "2025" / "2025-abc"})
    copy = platform.moved_to(tmp_path / "copy")
    assert copy.home == tmp_path / "copy"
    assert copy.warehouse == tmp_path / "copy" / "warehouse" / "cityhealth.duckdb"
    assert copy.releases == {"2025": tmp_path / "copy" / "releases" / "2025" / "2025-abc"}
    assert (copy.years, copy.cities) == (platform.years, platform.cities)
