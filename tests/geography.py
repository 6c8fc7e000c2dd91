"""The demo province's geography as the tests expect it: read from the seeds
(ref_areas.csv through cityhealth.core.reference), never written into a test, so the
tests hold for any province's seeds."""

from __future__ import annotations

from cityhealth.core.reference import areas, province

PROVINCE = province()
CITIES = areas("city")
COUNTIES = areas("county")
FIRST_CITY, SECOND_CITY = CITIES[0], CITIES[1]
FIRST_COUNTY = COUNTIES[0]


def unknown_county_code() -> str:
    """A six-digit code inside the province's GB/T 2260 prefix that is no area of it."""
    known = {a["area_code"] for a in areas()}
    prefix = PROVINCE["area_code"][:2]
    return next(code for n in range(9999, 0, -1)
                if (code := f"{prefix}{n:04d}") not in known)
