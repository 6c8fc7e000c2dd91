"""The demo's marts, read by subject: one file per part of the method (the index,
diagnosis and warnings, the five-year assessment, satisfaction, reconciliation,
supervision). They share the session's demo platform (tests/demo_platform.py): the
demo generator writes every delivery of the profile's years, the annual sources are
ingested and validated year by year, the monthly and quarterly feeds are pulled from
the project's feed server (on loopback) and the registers ingested for every month of
the check year; then one ``cityhealth.warehouse.dbt.build``."""

from __future__ import annotations

import pytest

from tests.demo_platform import DemoPlatform

DIMENSIONS = ("el", "hc", "sr", "tr", "tc", "to", "di", "iv")


@pytest.fixture(scope="module")
def demo(demo_platform: DemoPlatform) -> DemoPlatform:
    """The session's demo platform, built once for every reader."""
    return demo_platform
