"""The test suite's own set-up: the files handed out first to the test processes."""

from __future__ import annotations

from cityhealth.core.settings import REPO_ROOT
from tests.conftest import LONGEST_FIRST


def test_the_files_handed_out_first_exist() -> None:
    """A renamed file would silently lose its place at the front (and the run its balance)."""
    missing = [path for path in LONGEST_FIRST if not (REPO_ROOT / path).is_file()]
    assert missing == [], missing
    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)
