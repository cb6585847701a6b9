"""Advisory data for the checks: real OSV records synced into the tables, as a sync would."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.advisory_data import SyncResult, sync_advisories

ADVISORIES = Path(__file__).parent / "advisories"  # real records, as OSV exports them
EARLIER = Path(__file__).parent / "advisories-earlier"  # earlier versions of some of them


@pytest.fixture
def advisory_data(db, settings) -> SyncResult:
    """The real records of ``advisories/`` synced into the tables."""
    # They are real and some years old: their age is not what these tests are about.
    settings.CONNECTORS_ADVISORY_MAX_AGE_DAYS = 100 * 365
    (result,) = sync_advisories([str(ADVISORIES)])
    assert not result.error, result.error
    return result
