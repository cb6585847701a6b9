from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from connectors.checks.advisories import (
    Advisory,
    AdvisorySourceError,
    LocalAdvisoryFolder,
    OsvApi,
    TransientCheckError,
    advisory_severity,
    match_advisory,
    open_advisory_source,
)

FIXTURES = Path(__file__).parent / "advisories"


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


def test_advisory_only_matches_its_own_ecosystem_and_package():
    advisory = _fixture("GHSA-35jh-r3h4-6jhm")

    assert match_advisory(advisory, ("npm", "lodash-es", "4.17.20")) is None
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


def test_local_folder_indexes_the_fixtures_by_package():
    source = LocalAdvisoryFolder(FIXTURES)

    found = source.find(
        [
            ("npm", "lodash", "4.17.20"),
            ("npm", "lodash", "4.17.21"),
            ("npm", "minimist", "1.2.5"),
            ("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"),
        ]
    )

    assert {key: sorted(m.advisory.id for m in matches) for key, matches in found.items()} == {
        ("npm", "lodash", "4.17.20"): ["GHSA-29mw-wpgm-hmr9", "GHSA-35jh-r3h4-6jhm"],
        ("npm", "minimist", "1.2.5"): ["GHSA-xvch-5gv4-984h"],
        ("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"): ["GHSA-jfh8-c2jp-5v3q"],
    }


def test_local_folder_skips_withdrawn_advisories(tmp_path):
    record = json.loads((FIXTURES / "GHSA-35jh-r3h4-6jhm.json").read_text())
    record["withdrawn"] = "2024-01-01T00:00:00Z"
    (tmp_path / "withdrawn.json").write_text(json.dumps(record))

    assert LocalAdvisoryFolder(tmp_path).find([("npm", "lodash", "4.17.20")]) == {}


def test_missing_folder_is_a_configuration_error(tmp_path):
    with pytest.raises(AdvisorySourceError):
        open_advisory_source(str(tmp_path / "nowhere"))


def test_plain_http_is_refused_except_on_loopback():
    with pytest.raises(AdvisorySourceError):
        open_advisory_source("http://osv.example.org")
    assert isinstance(open_advisory_source("http://127.0.0.1:9"), OsvApi)


class _FakeOsv(BaseHTTPRequestHandler):
    """Answers like the OSV API, from the fixture files, and records what it was asked."""

    requests: list[tuple[str, object]]
    vulns_by_package: dict[tuple[str, str, str], list[str]]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append((self.path, body))
        results = []
        for query in body["queries"]:
            key = (query["package"]["ecosystem"], query["package"]["name"], query["version"])
            ids = self.vulns_by_package.get(key, [])
            results.append(
                {"vulns": [{"id": i, "modified": "2024-01-01T00:00:00Z"} for i in ids]}
                if ids
                else {}
            )
        self._answer(200, {"results": results})

    def do_GET(self) -> None:
        self.requests.append((self.path, None))
        advisory_id = self.path.rsplit("/", 1)[-1]
        path = FIXTURES / f"{advisory_id}.json"
        if path.is_file():
            self._answer(200, json.loads(path.read_text()))
        else:
            self._answer(404, {"code": 5, "message": "Bug not found."})

    def _answer(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_osv() -> Iterator[tuple[str, type[_FakeOsv]]]:
    handler = type("Handler", (_FakeOsv,), {"requests": [], "vulns_by_package": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def test_osv_api_is_asked_in_one_batch_then_once_per_advisory(fake_osv):
    url, handler = fake_osv
    handler.vulns_by_package = {
        ("npm", "lodash", "4.17.20"): ["GHSA-35jh-r3h4-6jhm", "GHSA-29mw-wpgm-hmr9"],
        ("npm", "lodash", "4.17.19"): ["GHSA-35jh-r3h4-6jhm", "GHSA-29mw-wpgm-hmr9"],
        ("npm", "ghost", "1.0.0"): ["GHSA-0000-0000-0000"],
    }

    found = OsvApi(url, timeout=5).find(
        [
            ("npm", "lodash", "4.17.20"),
            ("npm", "lodash", "4.17.19"),
            ("npm", "ghost", "1.0.0"),
            ("npm", "lodash", "4.17.21"),
        ]
    )

    assert sorted(m.advisory.id for m in found[("npm", "lodash", "4.17.20")]) == [
        "GHSA-29mw-wpgm-hmr9",
        "GHSA-35jh-r3h4-6jhm",
    ]
    assert {m.fixed for m in found[("npm", "lodash", "4.17.20")]} == {"4.17.21"}
    assert ("npm", "ghost", "1.0.0") not in found  # its advisory could not be fetched
    paths = [path for path, _ in handler.requests]
    assert paths.count("/v1/querybatch") == 1
    assert sorted(p for p in paths if p.startswith("/v1/vulns/")) == [
        "/v1/vulns/GHSA-0000-0000-0000",
        "/v1/vulns/GHSA-29mw-wpgm-hmr9",
        "/v1/vulns/GHSA-35jh-r3h4-6jhm",
    ]


def test_unreachable_osv_api_is_a_transient_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port once the probe is closed.
    with pytest.raises(TransientCheckError):
        OsvApi(f"http://127.0.0.1:{port}", timeout=2).find([("npm", "lodash", "4.17.20")])


def test_osv_api_server_error_is_a_transient_error(fake_osv):
    url, handler = fake_osv

    def fail(self: BaseHTTPRequestHandler) -> None:
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    handler.do_POST = fail  # type: ignore[method-assign]

    with pytest.raises(TransientCheckError):
        OsvApi(url, timeout=5).find([("npm", "lodash", "4.17.20")])
