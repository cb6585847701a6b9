"""Vulnerability advisories in the OSV format: whether they affect a package version, and
the synced copy of them that dependency analysis reads.

Advisories are imported ahead of time into the database (``connectors.advisory_data``,
``manage.py sync_advisories``); a pipeline run only reads those tables, so it never waits on
the network. Whether a version is affected, and by which fix it is cured, is decided here
with the ecosystem's own version ordering (npm semver, Maven) from ``univers``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError
from django.conf import settings
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from univers.versions import MavenVersion, SemverVersion, Version

from connectors.models import AdvisorySync, OsvAdvisory, OsvAdvisoryPackage

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
ECOSYSTEMS = tuple(_VERSION_CLASSES)  # the OSV ecosystems connectors are built with
MALICIOUS_PREFIX = "MAL-"  # OSV's identifiers for known-malicious packages

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

    @classmethod
    def from_row(cls, row: OsvAdvisory) -> Advisory:
        return cls(
            id=row.id,
            aliases=tuple(row.aliases),
            summary=row.summary,
            severity=row.severity,
            severity_known=row.severity_known,
            affected=tuple(row.affected),
        )

    @property
    def malicious(self) -> bool:
        """A known-malicious package (OSV's ``MAL-`` records), not a flaw in a real one."""
        return any(i.startswith(MALICIOUS_PREFIX) for i in (self.id, *self.aliases))

    def packages(self) -> set[tuple[str, str]]:
        """The (ecosystem, name) pairs it names, for the ecosystems we match."""
        found = set()
        for affected in self.affected:
            package = affected.get("package")
            if not isinstance(package, dict):
                continue
            ecosystem = osv_ecosystem(str(package.get("ecosystem", "")))
            name = package.get("name")
            if ecosystem in ECOSYSTEMS and isinstance(name, str) and name:
                found.add((ecosystem, name))
        return found


@dataclass(frozen=True)
class AdvisoryMatch:
    advisory: Advisory
    fixed: str | None  # the first version that fixes it for the installed one, if known


# --- matching --------------------------------------------------------------------------------


def osv_ecosystem(name: str) -> str:
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
        if osv_ecosystem(str(package.get("ecosystem", ""))) != ecosystem:
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


# --- the synced data -------------------------------------------------------------------------


def find_advisories(packages: Iterable[PackageKey]) -> dict[PackageKey, list[AdvisoryMatch]]:
    """Stored advisories affecting each package version; versions affected by none are left out.

    One query over the (ecosystem, name) index, whatever the number of packages.
    """
    keys = set(packages)
    names: dict[str, set[str]] = {}
    for ecosystem, name, _ in keys:
        if ecosystem in ECOSYSTEMS:
            names.setdefault(ecosystem, set()).add(name)
    if not names:
        return {}
    wanted = Q()
    for ecosystem, ecosystem_names in names.items():
        wanted |= Q(ecosystem=ecosystem, name__in=sorted(ecosystem_names))
    by_package: dict[tuple[str, str], list[Advisory]] = {}
    seen: dict[str, Advisory] = {}
    for row in OsvAdvisoryPackage.objects.filter(wanted).select_related("advisory"):
        advisory = seen.get(row.advisory_id)
        if advisory is None:
            advisory = seen[row.advisory_id] = Advisory.from_row(row.advisory)
        by_package.setdefault((row.ecosystem, row.name), []).append(advisory)
    found: dict[PackageKey, list[AdvisoryMatch]] = {}
    for key in keys:
        matches = [
            match
            for advisory in by_package.get((key[0], key[1]), ())
            if (match := match_advisory(advisory, key)) is not None
        ]
        if matches:
            found[key] = matches
    return found


@dataclass(frozen=True)
class DataAge:
    """How new the synced advisory data is: the newest record of its oldest source."""

    as_of: datetime
    days: int
    # Configured sources never synced, while others were: their advisories are missing.
    never_synced: tuple[str, ...] = ()

    def __str__(self) -> str:
        unit = "day" if self.days == 1 else "days"
        return f"advisory data from {self.as_of:%Y-%m-%d}, {self.days} {unit} old"


def advisory_sources(value: str) -> list[str]:
    """The sources a setting lists (separated by spaces or commas), each as ``source_label``."""
    return [source_label(item) for item in re.split(r"[\s,]+", value) if item]


def source_label(source: str) -> str:
    """How a source is recorded: a URL as given, a path made absolute."""
    if source.startswith("file://"):
        source = source.removeprefix("file://")
    elif "://" in source:
        return source
    return str(Path(source).expanduser().resolve())


def advisory_data_age(
    *, configured: Iterable[str] | None = None, now: datetime | None = None
) -> DataAge | None:
    """The age of the synced data; None when no sync ever succeeded.

    Each source counts with its latest successful sync, and the data is as old as the oldest
    of them (two ecosystems synced, one of them failing for a week: a week old). Only the
    configured sources (``CONNECTORS_ADVISORY_SOURCE`` unless given) count when any of them
    was synced, so a source that is no longer used does not keep the data "old" forever; the
    configured ones never synced are then named in ``never_synced``.
    """
    succeeded = AdvisorySync.objects.filter(
        finished_at__isnull=False, error="", newest_modified__isnull=False
    )
    latest = succeeded.filter(
        finished_at=Subquery(
            succeeded.filter(source=OuterRef("source"))
            .order_by("-finished_at")
            .values("finished_at")[:1]
        )
    )
    newest_by_source = {
        source: newest
        for source, newest in latest.values_list("source", "newest_modified")
        if newest is not None
    }
    if not newest_by_source:
        return None
    wanted = (
        advisory_sources(settings.CONNECTORS_ADVISORY_SOURCE)
        if configured is None
        else [*configured]
    )
    chosen = [newest_by_source[s] for s in wanted if s in newest_by_source]
    never_synced = tuple(s for s in wanted if s not in newest_by_source) if chosen else ()
    as_of = min(chosen or newest_by_source.values()).astimezone(UTC)
    today = (now or timezone.now()).astimezone(UTC).date()
    days = max((today - as_of.date()).days, 0)
    return DataAge(as_of=as_of, days=days, never_synced=never_synced)
