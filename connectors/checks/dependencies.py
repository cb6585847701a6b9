"""Dependency (SCA) analysis: locked package versions against vulnerability advisories.

The rule is the one the hosted service applies with Trivy: a HIGH or CRITICAL advisory that
has a fixed version is an error and fails the check; every other advisory is a warning.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from connectors.checks.advisories import (
    AdvisoryMatch,
    AdvisorySourceError,
    PackageKey,
    open_advisory_source,
)
from connectors.checks.base import Application, CheckContext, CheckOutcome, Finding
from connectors.checks.lockfiles import (
    MAVEN,
    LockfileError,
    ResolvedPackage,
    find_manifests,
    manifest_dependency_line,
    read_lockfile,
)

BLOCKING_SEVERITIES = frozenset({"HIGH", "CRITICAL"})
MAX_ALIASES_SHOWN = 3


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
        """Raises ``TransientCheckError`` when the OSV API cannot be reached (retry later)."""
        if not context.applications:
            return CheckOutcome(status="skipped", summary="No application to analyse.")
        findings: list[Finding] = []
        located: list[_Located] = []
        lockfile_count = 0
        seen_lockfiles: set[Path] = set()
        for application in context.applications:
            folder = _folder(context.root, application)
            if not _inside(folder, context.root):
                continue
            scan = find_manifests(folder, context.root)
            for manifest in scan.unlocked_manifests:
                line = manifest_dependency_line(manifest)
                if line is not None:
                    findings.append(
                        _unlocked_finding(context.root, folder, application, manifest, line)
                    )
            for lockfile in scan.lockfiles:
                if lockfile in seen_lockfiles:
                    continue  # a workspace lockfile shared by several applications
                seen_lockfiles.add(lockfile)
                try:
                    packages = read_lockfile(lockfile, root=context.root)
                except (LockfileError, OSError) as error:
                    findings.append(
                        _unreadable_finding(context.root, folder, application, lockfile, error)
                    )
                    continue
                lockfile_count += 1
                located.extend(_Located(application.name, folder, lockfile, p) for p in packages)

        if not located and not findings:
            return CheckOutcome(
                status="skipped",
                summary="No lockfile or pom.xml found in any application: nothing to analyse.",
            )

        matches: dict[PackageKey, list[AdvisoryMatch]] = {}
        if located:
            source = context.options.get("advisory_source") or settings.CONNECTORS_ADVISORY_SOURCE
            timeout = float(context.options.get("advisory_timeout_seconds", 30))
            try:
                advisory_source = open_advisory_source(str(source), timeout=timeout)
                matches = advisory_source.find(_key(entry.package) for entry in located)
            except AdvisorySourceError as error:
                problem = f"Dependency analysis could not run: {error}."
                return CheckOutcome(
                    status="failed",
                    findings=[Finding(type="Error", message=problem)],
                    summary=problem,
                )

        advisory_findings = _advisory_findings(context.root, located, matches)
        findings.extend(advisory_findings)
        to_fix = sum(1 for f in advisory_findings if f.type == "Error")
        summary = (
            f"Analysed {len({_key(e.package) for e in located})} package versions from "
            f"{lockfile_count} lockfile(s): {to_fix} advisories to fix (HIGH or CRITICAL with "
            f"a fixed version), {len(advisory_findings) - to_fix} other advisories."
        )
        return CheckOutcome(
            status="failed" if to_fix else "succeeded", findings=findings, summary=summary
        )


def _folder(root: Path, application: Application) -> Path:
    return application.path if application.path.is_absolute() else root / application.path


def _inside(folder: Path, root: Path) -> bool:
    """An existing folder of the checkout; a link leading elsewhere is not followed."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    return folder.resolve().is_relative_to(root.resolve())


def _key(package: ResolvedPackage) -> PackageKey:
    return (package.ecosystem, package.name, package.version)


def _paths(root: Path, folder: Path, path: Path) -> tuple[str, str]:
    """The repository-relative path, and the label a message shows (relative to the app)."""
    relative = path.relative_to(root).as_posix()
    label = path.relative_to(folder).as_posix() if path.is_relative_to(folder) else relative
    return relative, label


def _unlocked_finding(
    root: Path, folder: Path, application: Application, manifest: Path, line: int
) -> Finding:
    relative, label = _paths(root, folder, manifest)
    return Finding(
        type="Warning",
        message=(
            f"{application.name}: {label}:{line}: no lockfile (package-lock.json, yarn.lock or "
            "pnpm-lock.yaml), dependencies not analysed. Commit the lockfile that your package "
            "manager writes, so that builds are reproducible and dependencies can be checked."
        ),
        application=application.name,
        file=relative,
        line=line,
    )


def _unreadable_finding(
    root: Path, folder: Path, application: Application, lockfile: Path, error: Exception
) -> Finding:
    relative, label = _paths(root, folder, lockfile)
    line = getattr(error, "line", None) or 1
    return Finding(
        type="Warning",
        message=(
            f"{application.name}: {label}:{line}: cannot be read ({error}), dependencies "
            "not analysed. Regenerate it with your package manager."
        ),
        application=application.name,
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
    blocking = advisory.severity in BLOCKING_SEVERITIES and match.fixed is not None
    aliases = ", ".join(advisory.aliases[:MAX_ALIASES_SHOWN])
    identity = f"{advisory.id} ({aliases})" if aliases else advisory.id
    severity = (
        advisory.severity
        if advisory.severity_known
        else f"unknown severity (treated as {advisory.severity})"
    )
    scope = " (test scope)" if package.ecosystem == MAVEN else " (dev dependency)"
    where = scope if package.dev else ""
    if match.fixed:
        remedy = f"Fixed in {match.fixed}: upgrade {package.name} to {match.fixed} or later."
    else:
        remedy = "No fixed version is known yet: consider replacing or removing it."
    summary = advisory.summary.rstrip(".")
    return Finding(
        type="Error" if blocking else "Warning",
        message=(
            f"{entry.application}: {label}:{package.line}: {package.name}@{package.version}{where}"
            f" is affected by {identity}, {severity}: {summary}. {remedy}"
        ),
        application=entry.application,
        file=relative,
        line=package.line,
    )
