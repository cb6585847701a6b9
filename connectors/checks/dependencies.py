"""Dependency (SCA) analysis: locked package versions against vulnerability advisories.

The rule is the one the hosted service applies with Trivy: a HIGH or CRITICAL advisory that
has a fixed version is an error and fails the check; every other advisory is a warning. A
known-malicious package (an OSV ``MAL-`` record) is always an error.

Scoped as the hosted service scopes it (``checks.scope``): the lockfiles of each deployed
application, development dependencies included; Merchant Center custom applications and
views are not analysed, nor folders that no application deploys.

Advisories come from the synced tables only (``manage.py sync_advisories``): a run never
waits on the network. Missing or old data is a warning, never a failure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from connectors.checks.advisories import (
    AdvisoryMatch,
    DataAge,
    PackageKey,
    advisory_data_age,
    find_advisories,
)
from connectors.checks.base import CheckContext, CheckOutcome, Finding
from connectors.checks.lockfiles import (
    MAVEN,
    LockfileError,
    ResolvedPackage,
    find_manifests,
    manifest_dependency_line,
    read_lockfile,
)
from connectors.checks.scope import ScopedApplication, analysis_scope

BLOCKING_SEVERITIES = frozenset({"HIGH", "CRITICAL"})
MAX_ALIASES_SHOWN = 3
REFRESH_HINT = "An administrator refreshes it with `manage.py sync_advisories`."


@dataclass(frozen=True)
class _Located:
    """A lockfile entry, with where it is and whose it is."""

    application: str
    folder: Path  # the application's folder
    lockfile: Path
    package: ResolvedPackage


class DependencyCheck:
    name = "Dependency analysis"

    def run(self, context: CheckContext) -> CheckOutcome:
        scope = analysis_scope(context)
        if not scope.applications:
            return CheckOutcome(status="skipped", summary="No application to analyse.")
        findings = [_not_analysed_finding(a) for a in scope.not_analysed]
        if not scope.analysed:
            return CheckOutcome(
                status="skipped",
                findings=findings,
                summary="No application to analyse: Merchant Center custom applications and "
                "custom views are not analysed.",
            )
        located: list[_Located] = []
        lockfile_count = 0
        seen_lockfiles: set[Path] = set()
        for application in scope.analysed:
            folder = context.root / application.folder
            scan = find_manifests(folder, context.root)
            for manifest in scan.unlocked_manifests:
                line = manifest_dependency_line(manifest)
                if line is not None:
                    findings.append(
                        _unlocked_finding(context.root, folder, application.name, manifest, line)
                    )
            for lockfile in scan.lockfiles:
                if lockfile in seen_lockfiles:
                    continue  # a workspace lockfile shared by several applications
                seen_lockfiles.add(lockfile)
                try:
                    packages = read_lockfile(lockfile, root=context.root)
                except (LockfileError, OSError) as error:
                    findings.append(
                        _unreadable_finding(context.root, folder, application.name, lockfile, error)
                    )
                    continue
                lockfile_count += 1
                located.extend(_Located(application.name, folder, lockfile, p) for p in packages)

        if not located:
            unanalysed = len(findings) - len(scope.not_analysed)
            return CheckOutcome(
                status="succeeded" if unanalysed else "skipped",
                findings=findings,
                summary=f"No lockfile could be analysed ({unanalysed} warning(s))."
                if unanalysed
                else "No lockfile or pom.xml found in any application: nothing to analyse.",
            )

        versions = len({_key(entry.package) for entry in located})
        age = advisory_data_age()
        if age is None:
            findings.append(Finding(type="Warning", message=_no_data_message()))
            return CheckOutcome(
                status="skipped",
                findings=findings,
                summary=(
                    f"Found {versions} package versions in {lockfile_count} lockfile(s), not "
                    "matched: no advisory data has been synced yet."
                ),
            )
        if age.days > settings.CONNECTORS_ADVISORY_MAX_AGE_DAYS:
            findings.append(Finding(type="Warning", message=_stale_data_message(age)))
        if age.never_synced:
            findings.append(Finding(type="Warning", message=_never_synced_message(age)))

        matches = find_advisories(_key(entry.package) for entry in located)
        advisory_findings = _advisory_findings(context.root, located, matches)
        findings.extend(advisory_findings)
        to_fix = sum(1 for f in advisory_findings if f.type == "Error")
        summary = (
            f"Analysed {versions} package versions from {lockfile_count} lockfile(s): "
            f"{to_fix} advisories to fix (HIGH or CRITICAL with a fixed version, or a known "
            f"malicious package), {len(advisory_findings) - to_fix} other advisories; {age}."
        )
        return CheckOutcome(
            status="failed" if to_fix else "succeeded", findings=findings, summary=summary
        )


def _not_analysed_finding(application: ScopedApplication) -> Finding:
    return Finding(
        type="Information",
        message=(
            f"{application.name}: dependencies not analysed: Merchant Center custom "
            "applications and custom views are not eligible for dependency analysis."
        ),
        application=application.name,
    )


def _no_data_message() -> str:
    return (
        "No advisory data has been synced yet, so no dependency was matched against "
        f"advisories. {REFRESH_HINT}"
    )


def _never_synced_message(age: DataAge) -> str:
    return (
        "No advisory data has been synced yet from "
        f"{', '.join(age.never_synced)}: its advisories are not matched. {REFRESH_HINT}"
    )


def _stale_data_message(age: DataAge) -> str:
    return (
        f"The {age}: advisories published since then are not matched (the limit is "
        f"{settings.CONNECTORS_ADVISORY_MAX_AGE_DAYS} days). {REFRESH_HINT}"
    )


def _key(package: ResolvedPackage) -> PackageKey:
    return (package.ecosystem, package.name, package.version)


def _paths(root: Path, folder: Path, path: Path) -> tuple[str, str]:
    """The repository-relative path, and the label a message shows (relative to the app)."""
    relative = path.relative_to(root).as_posix()
    label = path.relative_to(folder).as_posix() if path.is_relative_to(folder) else relative
    return relative, label


def _unlocked_finding(
    root: Path, folder: Path, application: str, manifest: Path, line: int
) -> Finding:
    relative, label = _paths(root, folder, manifest)
    return Finding(
        type="Warning",
        message=(
            f"{application}: {label}:{line}: no lockfile (package-lock.json, yarn.lock or "
            "pnpm-lock.yaml), dependencies not analysed. Commit the lockfile that your package "
            "manager writes, so that builds are reproducible and dependencies can be checked."
        ),
        application=application,
        file=relative,
        line=line,
    )


def _unreadable_finding(
    root: Path, folder: Path, application: str, lockfile: Path, error: Exception
) -> Finding:
    relative, label = _paths(root, folder, lockfile)
    line = getattr(error, "line", None) or 1
    return Finding(
        type="Warning",
        message=(
            f"{application}: {label}:{line}: cannot be read ({error}), dependencies "
            "not analysed. Regenerate it with your package manager."
        ),
        application=application,
        file=relative,
        line=line,
    )


def _advisory_findings(
    root: Path, located: list[_Located], matches: dict[PackageKey, list[AdvisoryMatch]]
) -> list[Finding]:
    # The same package version may sit in several places of one lockfile (nested installs):
    # it is reported once, at its first line.
    first: dict[tuple[Path, PackageKey], _Located] = {}
    for entry in located:
        slot = (entry.lockfile, _key(entry.package))
        if slot not in first or entry.package.line < first[slot].package.line:
            first[slot] = entry
    by_lockfile: dict[Path, list[Finding]] = defaultdict(list)
    for (lockfile, key), entry in first.items():
        for match in sorted(matches.get(key, ()), key=lambda m: m.advisory.id):
            by_lockfile[lockfile].append(_advisory_finding(root, entry, match))
    findings: list[Finding] = []
    for lockfile in sorted(by_lockfile):
        findings.extend(sorted(by_lockfile[lockfile], key=lambda f: (f.line or 0, f.message)))
    return findings


def _advisory_finding(root: Path, entry: _Located, match: AdvisoryMatch) -> Finding:
    package, advisory = entry.package, match.advisory
    relative, label = _paths(root, entry.folder, entry.lockfile)
    aliases = ", ".join(advisory.aliases[:MAX_ALIASES_SHOWN])
    identity = f"{advisory.id} ({aliases})" if aliases else advisory.id
    scope = " (test scope)" if package.ecosystem == MAVEN else " (dev dependency)"
    where = f"{entry.application}: {label}:{package.line}: {package.name}@{package.version}"
    where += scope if package.dev else ""
    summary = advisory.summary.rstrip(".")
    if advisory.malicious:
        blocking = True
        message = (
            f"{where} is a known malicious package, {identity}: {summary}. Remove it, and treat "
            "every machine that installed it as compromised: rotate the secrets it could read."
        )
    else:
        blocking = advisory.severity in BLOCKING_SEVERITIES and match.fixed is not None
        severity = (
            advisory.severity
            if advisory.severity_known
            else f"unknown severity (treated as {advisory.severity})"
        )
        if match.fixed:
            remedy = f"Fixed in {match.fixed}: upgrade {package.name} to {match.fixed} or later."
        else:
            remedy = "No fixed version is known yet: consider replacing or removing it."
        message = f"{where} is affected by {identity}, {severity}: {summary}. {remedy}"
    return Finding(
        type="Error" if blocking else "Warning",
        message=message,
        application=entry.application,
        file=relative,
        line=package.line,
    )
