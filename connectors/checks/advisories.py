"""Vulnerability advisories in the OSV format, and whether they affect a package version.

Two sources: the OSV API (``/v1/querybatch`` then ``/v1/vulns/{id}``) or a local folder of
OSV JSON files, for air-gapped installs and tests. Whatever the source, whether a version is
affected, and by which fix it is cured, is decided here with the ecosystem's own version
ordering (npm semver, Maven) from ``univers``.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError
from univers.versions import MavenVersion, SemverVersion, Version

logger = logging.getLogger(__name__)

SEVERITIES = ("LOW", "MODERATE", "HIGH", "CRITICAL")
UNKNOWN_SEVERITY_MEANS = "MODERATE"
_SEVERITY_NAMES = {
    "LOW": "LOW",
    "MODERATE": "MODERATE",
    "MEDIUM": "MODERATE",
    "HIGH": "HIGH",
    "CRITICAL": "CRITICAL",
}
_VERSION_CLASSES: dict[str, type[Version]] = {"npm": SemverVersion, "Maven": MavenVersion}
QUERY_BATCH_SIZE = 1000  # the OSV API's limit for one querybatch request
FETCH_THREADS = 8


class TransientCheckError(Exception):
    """The advisory source could not be reached or answered badly: worth retrying later."""


class AdvisorySourceError(Exception):
    """The advisory source is misconfigured (bad URL, missing folder): retrying won't help."""


PackageKey = tuple[str, str, str]  # (OSV ecosystem, package name, version)


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    summary: str
    severity: str  # one of SEVERITIES
    severity_known: bool  # False when no source gave one and UNKNOWN_SEVERITY_MEANS stands in
    affected: tuple[dict[str, Any], ...]  # OSV "affected" entries as given

    @classmethod
    def from_osv(cls, data: dict[str, Any]) -> Advisory:
        severity, known = advisory_severity(data)
        summary = str(data.get("summary") or "").strip()
        if not summary:
            details = str(data.get("details") or "").strip()
            summary = details.splitlines()[0][:200] if details else "no summary given"
        return cls(
            id=str(data["id"]),
            aliases=tuple(str(a) for a in data.get("aliases") or ()),
            summary=summary,
            severity=severity,
            severity_known=known,
            affected=tuple(a for a in data.get("affected") or () if isinstance(a, dict)),
        )

    def packages(self) -> set[tuple[str, str]]:
        return {
            (_ecosystem(a.get("package", {}).get("ecosystem", "")), a["package"].get("name", ""))
            for a in self.affected
            if isinstance(a.get("package"), dict)
        }


@dataclass(frozen=True)
class AdvisoryMatch:
    advisory: Advisory
    fixed: str | None  # the first version that fixes it for the installed one, if known


class AdvisorySource(Protocol):
    def find(self, packages: Iterable[PackageKey]) -> dict[PackageKey, list[AdvisoryMatch]]:
        """Advisories affecting each package version; versions affected by none are left out."""
        ...


def open_advisory_source(source: str, *, timeout: float = 30.0) -> AdvisorySource:
    """The advisory source named by a setting: an https URL of the OSV API, or a folder.

    Raises ``AdvisorySourceError`` when it names neither.
    """
    if "://" in source:
        return OsvApi(source, timeout=timeout)
    return LocalAdvisoryFolder(Path(source))


# --- matching --------------------------------------------------------------------------------


def _ecosystem(name: str) -> str:
    # "Maven:https://repo.example/..." names a Maven repository; the ordering is Maven's.
    return name.split(":", 1)[0]


def parse_version(ecosystem: str, version: str) -> Version | None:
    version_class = _VERSION_CLASSES.get(ecosystem)
    if version_class is None or not version:
        return None
    try:
        return version_class(version)
    except ValueError:
        return None


def match_advisory(advisory: Advisory, key: PackageKey) -> AdvisoryMatch | None:
    """Whether ``advisory`` affects the package version ``key``, and the fix if one exists.

    Follows the OSV evaluation: a version listed in ``versions`` is affected; for SEMVER and
    ECOSYSTEM ranges the events are sorted and walked, ``introduced`` opening an affected
    interval, ``fixed`` (exclusive) and ``last_affected`` (inclusive) closing it.
    """
    ecosystem, name, raw_version = key
    version = parse_version(ecosystem, raw_version)
    if version is None:
        return None
    listed = False
    for affected in advisory.affected:
        package = affected.get("package") or {}
        if _ecosystem(str(package.get("ecosystem", ""))) != ecosystem:
            continue
        if package.get("name") != name:
            continue
        for osv_range in affected.get("ranges") or ():
            if osv_range.get("type") not in ("SEMVER", "ECOSYSTEM"):
                continue
            hit, fixed = _in_range(ecosystem, version, osv_range.get("events") or ())
            if hit:
                return AdvisoryMatch(advisory=advisory, fixed=fixed)
        if raw_version in (affected.get("versions") or ()):
            listed = True
    if listed:
        return AdvisoryMatch(advisory=advisory, fixed=None)
    return None


def _in_range(ecosystem: str, version: Version, events: Iterable[Any]) -> tuple[bool, str | None]:
    parsed: list[tuple[int, Version | None, str, str]] = []
    for event in events:
        if not isinstance(event, dict) or len(event) != 1:
            continue
        ((kind, raw),) = event.items()
        if kind not in ("introduced", "fixed", "last_affected"):
            continue  # "limit" only bounds git ranges
        raw = str(raw)
        if kind == "introduced" and raw == "0":
            parsed.append((0, None, kind, raw))  # before every version, pre-releases included
            continue
        event_version = parse_version(ecosystem, raw)
        if event_version is not None:
            parsed.append((1, event_version, kind, raw))
    parsed.sort(key=lambda item: (item[0], item[1]) if item[1] is not None else (0,))

    affected = False
    fixed_by: str | None = None
    for _, event_version, kind, raw in parsed:
        if kind == "introduced":
            if event_version is None or version >= event_version:
                affected, fixed_by = True, None
        elif kind == "fixed":
            if event_version is not None and version >= event_version:
                affected = False
            elif affected and fixed_by is None:
                fixed_by = raw
        elif kind == "last_affected" and event_version is not None and version > event_version:
            affected = False
    return affected, fixed_by if affected else None


# --- severity --------------------------------------------------------------------------------


def advisory_severity(data: dict[str, Any]) -> tuple[str, bool]:
    """The advisory's severity and whether it was known.

    The database's own rating first (GitHub's LOW/MODERATE/HIGH/CRITICAL), then one computed
    from a CVSS vector; with neither, ``UNKNOWN_SEVERITY_MEANS``.
    """
    rated = _named_severity((data.get("database_specific") or {}).get("severity"))
    if rated:
        return rated, True
    for affected in data.get("affected") or ():
        if not isinstance(affected, dict):
            continue
        for section in ("ecosystem_specific", "database_specific"):
            rated = _named_severity((affected.get(section) or {}).get("severity"))
            if rated:
                return rated, True
    scores = {
        entry.get("type"): str(entry.get("score", ""))
        for entry in data.get("severity") or ()
        if isinstance(entry, dict)
    }
    for kind in ("CVSS_V3", "CVSS_V4", "CVSS_V2"):
        if kind in scores:
            rated = _cvss_severity(kind, scores[kind])
            if rated:
                return rated, True
    return UNKNOWN_SEVERITY_MEANS, False


def _named_severity(value: Any) -> str | None:
    if isinstance(value, str):
        return _SEVERITY_NAMES.get(value.strip().upper())
    return None


def _cvss_severity(kind: str, vector: str) -> str | None:
    try:
        if kind == "CVSS_V3":
            name = CVSS3(vector).severities()[0]
        elif kind == "CVSS_V4":
            name = CVSS4(vector).severity
        else:
            name = _cvss2_name(CVSS2(vector).scores()[0])
    except (CVSSError, ValueError, KeyError, IndexError):
        return None
    if str(name).upper() == "NONE":
        return "LOW"
    return _named_severity(str(name))


def _cvss2_name(score: Any) -> str:
    # CVSS v2 has no severity names of its own; these are NVD's bands.
    value = float(score)
    if value >= 7.0:
        return "HIGH"
    return "MODERATE" if value >= 4.0 else "LOW"


# --- a local folder of OSV files -------------------------------------------------------------


class LocalAdvisoryFolder:
    """OSV JSON files in a folder (any depth), indexed once by ecosystem and package name."""

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise AdvisorySourceError(f"advisory folder {folder} does not exist")
        self.folder = folder
        self._index: dict[tuple[str, str], list[Advisory]] = defaultdict(list)
        for path in sorted(folder.rglob("*.json")):
            for record in _records(path):
                if record.get("withdrawn") or "id" not in record:
                    continue
                advisory = Advisory.from_osv(record)
                for package in advisory.packages():
                    self._index[package].append(advisory)

    def find(self, packages: Iterable[PackageKey]) -> dict[PackageKey, list[AdvisoryMatch]]:
        found: dict[PackageKey, list[AdvisoryMatch]] = {}
        for key in set(packages):
            ecosystem, name, _ = key
            matches = [
                match
                for advisory in self._index.get((ecosystem, name), ())
                if (match := match_advisory(advisory, key)) is not None
            ]
            if matches:
                found[key] = matches
        return found


def _records(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        logger.warning("Skipping unreadable advisory file %s: %s", path, error)
        return []
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        return [item for item in data if isinstance(item, dict)]
    return []


# --- the OSV API -----------------------------------------------------------------------------


class OsvApi:
    """The OSV API: one querybatch for all packages, then each advisory fetched once."""

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme == "http" and not _is_loopback(parsed.hostname or ""):
            raise AdvisorySourceError("the OSV API must be reached over https")
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise AdvisorySourceError(f"advisory source {base_url!r} is not an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def find(self, packages: Iterable[PackageKey]) -> dict[PackageKey, list[AdvisoryMatch]]:
        keys = sorted(set(packages))
        ids_by_key = self._query(keys)
        advisories = self._fetch({i for ids in ids_by_key.values() for i in ids})
        found: dict[PackageKey, list[AdvisoryMatch]] = {}
        for key, ids in ids_by_key.items():
            matches = []
            for advisory_id in sorted(ids):
                advisory = advisories.get(advisory_id)
                if advisory is None:
                    continue
                # The API decided it is affected; the local evaluation finds the fix.
                matches.append(
                    match_advisory(advisory, key) or AdvisoryMatch(advisory=advisory, fixed=None)
                )
            if matches:
                found[key] = matches
        return found

    def _query(self, keys: list[PackageKey]) -> dict[PackageKey, set[str]]:
        ids: dict[PackageKey, set[str]] = defaultdict(set)
        pending: list[tuple[PackageKey, str | None]] = [(key, None) for key in keys]
        while pending:
            batch, pending = pending[:QUERY_BATCH_SIZE], pending[QUERY_BATCH_SIZE:]
            queries = []
            for (ecosystem, name, version), page_token in batch:
                query: dict[str, Any] = {
                    "package": {"ecosystem": ecosystem, "name": name},
                    "version": version,
                }
                if page_token:
                    query["page_token"] = page_token
                queries.append(query)
            answer = self._request("/v1/querybatch", {"queries": queries})
            results = answer.get("results") if isinstance(answer, dict) else None
            if not isinstance(results, list) or len(results) != len(batch):
                raise TransientCheckError("the OSV API answered querybatch with a wrong shape")
            for (key, _), result in zip(batch, results, strict=True):
                for vuln in (result or {}).get("vulns") or ():
                    if isinstance(vuln, dict) and vuln.get("id"):
                        ids[key].add(str(vuln["id"]))
                if (result or {}).get("next_page_token"):
                    pending.append((key, str(result["next_page_token"])))
        return ids

    def _fetch(self, advisory_ids: set[str]) -> dict[str, Advisory]:
        def fetch_one(advisory_id: str) -> Advisory | None:
            quoted = urllib.parse.quote(advisory_id, safe="")
            data = self._request(f"/v1/vulns/{quoted}", None, missing_ok=True)
            if not isinstance(data, dict) or "id" not in data:
                return None
            return Advisory.from_osv(data)

        if not advisory_ids:
            return {}
        with ThreadPoolExecutor(max_workers=FETCH_THREADS) as pool:
            fetched = list(pool.map(fetch_one, sorted(advisory_ids)))
        return {advisory.id: advisory for advisory in fetched if advisory is not None}

    def _request(self, path: str, body: dict[str, Any] | None, *, missing_ok: bool = False) -> Any:
        url = self.base_url + path
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            url,
            data=data,
            method="POST" if body is not None else "GET",
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            if missing_ok and error.code == 404:
                return None
            problem = f"the OSV API answered {error.code} for {path}"
            if error.code == 429 or error.code >= 500:
                raise TransientCheckError(problem) from error
            raise AdvisorySourceError(problem) from error
        except (
            urllib.error.URLError,
            http.client.HTTPException,
            TimeoutError,
            ConnectionError,
        ) as error:
            raise TransientCheckError(f"the OSV API could not be reached: {error}") from error
        except ValueError as error:
            problem = f"the OSV API answered with invalid JSON for {path}"
            raise TransientCheckError(problem) from error


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
