from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from connectors.advisory_data import sync_advisories
from connectors.checks.advisories import (
    Advisory,
    advisory_data_age,
    advisory_severity,
    find_advisories,
    match_advisory,
    source_label,
)

from .conftest import ADVISORIES as FIXTURES


def _fixture(advisory_id: str) -> Advisory:
    return Advisory.from_osv(json.loads((FIXTURES / f"{advisory_id}.json").read_text()))


def _fixed(advisory: Advisory, ecosystem: str, name: str, version: str) -> str | None | bool:
    """The fix for an affected version; False when the version is not affected."""
    match = match_advisory(advisory, (ecosystem, name, version))
    return False if match is None else match.fixed


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("4.17.20", "4.17.21"),
        ("4.9.0", "4.17.21"),  # 4.9 < 4.17 numerically though not as text
        ("4.17.21-rc.1", "4.17.21"),  # a pre-release comes before its release
        ("0.1.0", "4.17.21"),
        ("4.17.21", False),
        ("4.17.22", False),
        ("5.0.0-alpha.1", False),
        ("not-a-version", False),
    ],
)
def test_lodash_command_injection_follows_npm_semver_order(version, expected):
    advisory = _fixture("GHSA-35jh-r3h4-6jhm")

    assert _fixed(advisory, "npm", "lodash", version) == expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [("0.0.8", "0.2.4"), ("0.2.3", "0.2.4"), ("0.2.4", False), ("0.5.0", False)]
    + [("1.0.0", "1.2.6"), ("1.2.5", "1.2.6"), ("1.2.6", False), ("1.2.8", False)],
)
def test_minimist_is_affected_on_two_separate_lines(version, expected):
    advisory = _fixture("GHSA-xvch-5gv4-984h")

    assert _fixed(advisory, "npm", "minimist", version) == expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("2.0-beta8", False),
        ("2.0-beta9", "2.3.1"),
        ("2.0", "2.3.1"),
        ("2.3", "2.3.1"),
        ("2.3.1", False),
        ("2.4", "2.12.2"),
        ("2.9.1", "2.12.2"),  # 2.9 < 2.12 in Maven order
        ("2.12.2", False),
        ("2.14.1", "2.15.0"),
        ("2.15.0", False),
        ("2.17.1", False),
    ],
)
def test_log4shell_follows_maven_version_order(version, expected):
    advisory = _fixture("GHSA-jfh8-c2jp-5v3q")

    assert _fixed(advisory, "Maven", "org.apache.logging.log4j:log4j-core", version) == expected


def test_last_affected_includes_that_version_and_has_no_fix():
    advisory = _fixture("GHSA-p8p7-x288-28g6")

    assert _fixed(advisory, "npm", "request", "2.88.2") is None
    assert _fixed(advisory, "npm", "request", "2.88.3") is False


def test_advisory_only_matches_the_packages_it_names_in_their_ecosystem():
    advisory = _fixture("GHSA-35jh-r3h4-6jhm")

    assert _fixed(advisory, "npm", "lodash-es", "4.17.20") == "4.17.21"
    assert _fixed(advisory, "npm", "lodash.template", "4.5.0") is None  # last_affected
    assert match_advisory(advisory, ("npm", "lodash.merge", "4.17.20")) is None
    assert match_advisory(advisory, ("Maven", "lodash", "4.17.20")) is None


def test_explicit_versions_list_matches_exact_versions_only():
    advisory = Advisory.from_osv(
        {
            "id": "TEST-versions-list",
            "affected": [
                {
                    "package": {"ecosystem": "npm", "name": "left-pad"},
                    "versions": ["1.1.0", "1.1.1"],
                }
            ],
        }
    )

    assert _fixed(advisory, "npm", "left-pad", "1.1.1") is None
    assert _fixed(advisory, "npm", "left-pad", "1.1.2") is False


def test_events_are_sorted_before_they_are_walked():
    advisory = Advisory.from_osv(
        {
            "id": "TEST-unsorted-events",
            "affected": [
                {
                    "package": {"ecosystem": "npm", "name": "pkg"},
                    "ranges": [
                        {
                            "type": "SEMVER",
                            "events": [
                                {"fixed": "2.5.0"},
                                {"introduced": "2.0.0"},
                                {"fixed": "1.10.0"},
                                {"introduced": "1.2.0"},
                            ],
                        }
                    ],
                }
            ],
        }
    )

    assert _fixed(advisory, "npm", "pkg", "1.9.0") == "1.10.0"
    assert _fixed(advisory, "npm", "pkg", "1.10.0") is False
    assert _fixed(advisory, "npm", "pkg", "2.1.0") == "2.5.0"
    assert _fixed(advisory, "npm", "pkg", "1.1.0") is False


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"database_specific": {"severity": "MODERATE"}}, ("MODERATE", True)),
        ({"database_specific": {"severity": "medium"}}, ("MODERATE", True)),
        (
            {
                "severity": [
                    {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}
                ]
            },
            ("CRITICAL", True),
        ),
        (
            {
                "severity": [
                    {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"}
                ]
            },
            ("HIGH", True),
        ),
        (
            {
                "severity": [
                    {
                        "type": "CVSS_V4",
                        "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
                    }
                ]
            },
            ("MODERATE", True),
        ),
        ({"severity": [{"type": "CVSS_V3", "score": "garbage"}]}, ("MODERATE", False)),
        ({}, ("MODERATE", False)),
    ],
)
def test_severity_comes_from_the_rating_then_from_cvss_then_defaults(data, expected):
    assert advisory_severity(data) == expected


def test_synced_advisories_are_found_for_the_affected_versions_only(advisory_data):
    found = find_advisories(
        [
            ("npm", "lodash", "4.17.20"),
            ("npm", "lodash", "4.17.21"),
            ("npm", "minimist", "1.2.5"),
            ("npm", "flatmap-stream", "0.1.1"),
            ("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"),
            ("Maven", "io.netty:netty-handler", "4.1.94.Final"),  # its advisory is withdrawn
            ("PyPI", "SafeURL-Python", "1.2"),  # not an ecosystem connectors use
        ]
    )

    assert {key: sorted(m.advisory.id for m in matches) for key, matches in found.items()} == {
        ("npm", "lodash", "4.17.20"): ["GHSA-29mw-wpgm-hmr9", "GHSA-35jh-r3h4-6jhm"],
        ("npm", "minimist", "1.2.5"): ["GHSA-xvch-5gv4-984h"],
        ("npm", "flatmap-stream", "0.1.1"): ["MAL-2025-20690"],
        ("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"): ["GHSA-jfh8-c2jp-5v3q"],
    }
    (malicious,) = found[("npm", "flatmap-stream", "0.1.1")]
    assert malicious.advisory.malicious
    assert (malicious.advisory.severity_known, malicious.fixed) == (False, None)
    injection = {m.advisory.id: m for m in found[("npm", "lodash", "4.17.20")]}[
        "GHSA-35jh-r3h4-6jhm"
    ]
    assert (injection.advisory.severity, injection.fixed) == ("HIGH", "4.17.21")


def test_finding_advisories_for_many_packages_is_one_query(
    advisory_data, django_assert_num_queries
):
    packages = [("npm", f"package-{i}", "1.0.0") for i in range(2000)]
    packages += [
        ("npm", "lodash", "4.17.20"),
        ("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"),
    ]

    with django_assert_num_queries(1):
        found = find_advisories(packages)

    assert len(found) == 2


def test_without_a_sync_there_is_no_advisory_data_and_no_match(db):
    assert advisory_data_age() is None
    assert find_advisories([("npm", "lodash", "4.17.20")]) == {}


def test_the_data_is_as_old_as_the_newest_record_it_was_synced_with(advisory_data):
    newest = datetime(2025, 8, 14, 18, 52, 4, tzinfo=UTC)  # MAL-2025-20690's "modified"
    assert advisory_data.newest_modified == newest

    age = advisory_data_age(now=newest + timedelta(days=1, hours=2))

    assert (age.as_of, age.days) == (newest, 1)
    assert str(age) == "advisory data from 2025-08-14, 1 day old"
    today = timezone.now().date()
    assert advisory_data_age().days == (today - date(2025, 8, 14)).days


def test_the_data_is_as_old_as_its_oldest_source_and_a_failed_sync_does_not_refresh_it(
    tmp_path, db, settings
):
    older = tmp_path / "older"
    older.mkdir()
    (older / "GHSA-35jh-r3h4-6jhm.json").write_bytes(
        (FIXTURES.parent / "advisories-earlier" / "GHSA-35jh-r3h4-6jhm.json").read_bytes()
    )
    settings.CONNECTORS_ADVISORY_SOURCE = f"{FIXTURES} {older}"
    sync_advisories([str(FIXTURES), str(older)])
    assert str(advisory_data_age()).startswith("advisory data from 2022-02-08,")

    # The older source fails now: its last good sync still counts.
    older.rename(tmp_path / "gone")
    (failed,) = sync_advisories([str(older)])
    assert failed.error == f"{older}: no such file or folder"
    assert str(advisory_data_age()).startswith("advisory data from 2022-02-08,")

    # A source no longer configured does not count once a configured one was synced; a
    # configured one never synced is named.
    settings.CONNECTORS_ADVISORY_SOURCE = f"{FIXTURES} https://osv.example.org/Maven/all.zip"
    age = advisory_data_age()
    assert str(age).startswith("advisory data from 2025-08-14,")
    assert age.never_synced == ("https://osv.example.org/Maven/all.zip",)

    # None of the configured sources was ever synced: every synced one counts.
    settings.CONNECTORS_ADVISORY_SOURCE = "https://osv.example.org/npm/all.zip"
    age = advisory_data_age()
    assert str(age).startswith("advisory data from 2022-02-08,")
    assert age.never_synced == ()


def test_sources_are_recorded_as_urls_or_absolute_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = "https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip"

    assert source_label(url) == url
    assert source_label("npm-all.zip") == str(tmp_path / "npm-all.zip")
    assert source_label(f"file://{tmp_path}/osv") == str(tmp_path / "osv")
