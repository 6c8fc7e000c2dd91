"""Department figures against the third-party sample on the demo, and quality flags.

The assertions read the marts and published views of the session's demo platform
(``tests/demo_platform.py``), as BI tools and reports do."""

from __future__ import annotations

import pytest

from tests.demo_platform import DemoPlatform


@pytest.mark.slow
def test_reconciliation_and_quality_flags(demo: DemoPlatform) -> None:
    statuses = dict(demo.query(
        "select reconciliation_status, count(*) from published.pub_reconciliation group by 1"))
    assert statuses.get("within_tolerance", 0) > 0
    assert statuses.get("over_tolerance", 0) > 0
    gaps = demo.query(
        "select count(*) from published.pub_reconciliation "
        "where abs(gap_abs - (self_check_value - third_party_value)) > 1e-9")
    assert gaps == [(0,)]
    flagged = demo.query(
        "select count(*) from published.pub_indicator_value "
        "where list_contains(quality_flags, 'third_party_gap') and source = 'self_check'")
    assert flagged[0][0] > 0
