"""What each check looks at, scoped as the hosted service scopes its analyses.

- **Code analysis** reads the source of each deployed application, ``<app>/src`` (the whole
  application folder when it has no ``src``), plus the local modules the application depends
  on (``file:`` and ``link:`` dependencies in its ``package.json``), without tests.
- **Dependency analysis** reads the lockfiles of each deployed application folder,
  development dependencies included.
- Neither analyses Merchant Center custom applications or custom views, nor folders that no
  application deploys.
- **Secret scanning** reads the whole repository, but only a secret in what an application
  deploys fails a run; one in tests, fixtures, example environment files, documentation or a
  folder no application deploys is a warning.

Every check asks this module, so the three agree on what "deployed" means.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath

from connectors.checks.base import Application, CheckContext

SPECIFICATION_FILE = "connect.yaml"
MERCHANT_CENTER_TYPES = frozenset(
    {"merchant-center-custom-application", "mc-app", "merchant-center-custom-view"}
)

# Folders that hold installed packages or build output: never the creator's source.
GENERATED_FOLDERS = frozenset(
    {
        "node_modules",
        "bower_components",
        "dist",
        "build",
        "coverage",
        "target",
        ".git",
        ".yarn",
        ".pnpm-store",
        "vendor",
        ".next",
        ".turbo",
    }
)
# Folders that hold tests and their data.
TEST_FOLDERS = frozenset(
    {
        "test",
        "tests",
        "__tests__",
        "__mocks__",
        "__fixtures__",
        "fixtures",
        "mocks",
        "e2e",
        "cypress",
        "testing",
        "test-utils",
        "test-data",
        "testdata",
    }
)
TEST_FILE_PATTERNS = (
    "*.test.*",
    "*.spec.*",
    "*.tests.*",
    "*_test.*",
    "*.mock.*",
    "*.stories.*",
    "*Test.java",
    "*Tests.java",
    "*IT.java",
    "jest.setup.*",
    "vitest.setup.*",
    # Environment files of test runners.
    ".env.jest",
    ".env.vitest",
    ".env.e2e",
    ".env.ci",
    ".env.*test*",
)
# Environment files meant to be copied and filled in, or used only on a developer's machine.
EXAMPLE_ENVIRONMENT_PATTERNS = (
    ".env.example",
    ".env.*example*",
    ".env.sample",
    ".env.*sample*",
    ".env.template",
    ".env.dist",
    ".env.default*",
    ".env.local",
    ".env.*.local",
    ".env.test",
    ".env.development",
    ".env.dev",
    "*.env.example",
    "*.env.sample",
    "example.env",
    "sample.env",
)
DOCUMENTATION_SUFFIXES = frozenset({".md", ".mdx", ".markdown", ".rst", ".txt", ".adoc"})
MINIFIED_PATTERNS = ("*.min.js", "*.min.css", "*.map")


class Placement(StrEnum):
    """Where a file sits, as far as the checks care."""

    DEPLOYED = "deployed"  # part of what an application deploys
    TEST = "test"  # a test, fixture or mock of an application
    EXAMPLE = "example"  # an example environment file or documentation
    GENERATED = "generated"  # installed packages or build output
    OUTSIDE = "outside"  # in no application folder


@dataclass(frozen=True)
class ScopedApplication:
    name: str
    type: str
    folder: str  # relative to the repository root, posix; "." for the root itself
    analysed: bool  # dependency and code analysis apply (not a Merchant Center application)
    source_folders: tuple[str, ...]  # code analysis targets, relative to the root
    module_folders: tuple[str, ...] = ()  # local modules it depends on (file:/link:)

    @property
    def folders(self) -> tuple[str, ...]:
        """Every folder whose files this application deploys."""
        return (self.folder, *self.module_folders)


@dataclass(frozen=True)
class Located:
    placement: Placement
    application: str | None  # the application whose folder holds the file
    label: str  # the path inside that application's folder (or the repository)


@dataclass(frozen=True)
class AnalysisScope:
    root: Path
    applications: tuple[ScopedApplication, ...]

    @property
    def analysed(self) -> tuple[ScopedApplication, ...]:
        return tuple(a for a in self.applications if a.analysed)

    @property
    def not_analysed(self) -> tuple[ScopedApplication, ...]:
        return tuple(a for a in self.applications if not a.analysed)

    def code_targets(self) -> dict[str, str]:
        """Each folder code analysis reads, mapped to the application it belongs to."""
        targets: dict[str, str] = {}
        for application in self.analysed:
            for folder in application.source_folders:
                targets.setdefault(folder, application.name)
        return targets

    def locate(self, relative: str) -> Located:
        """Where ``relative`` (a repository path with forward slashes) sits."""
        if relative == SPECIFICATION_FILE:
            # Its standard configuration defaults become environment variables of every
            # deployment: what it holds is deployed.
            return Located(Placement.DEPLOYED, None, relative)
        path = PurePosixPath(relative)
        found = self._owner(relative)
        if found is None:
            kind = Placement.GENERATED if _is_generated(path.parts) else Placement.OUTSIDE
            return Located(kind, None, relative)
        owner, folder = found
        inside = relative if folder == "." else relative[len(folder) + 1 :]
        label = inside if folder == owner.folder else relative
        return Located(placement_inside_application(inside), owner.name, label)

    def _owner(self, relative: str) -> tuple[ScopedApplication, str] | None:
        """The application deploying ``relative``, and the folder that holds it (deepest wins)."""
        best: tuple[ScopedApplication, str] | None = None
        for application in self.applications:
            for folder in application.folders:
                if folder != "." and not relative.startswith(folder + "/"):
                    continue
                if best is None or best[1] == "." or (folder != "." and len(folder) > len(best[1])):
                    best = (application, folder)
        return best


def placement_inside_application(inside: str) -> Placement:
    """The placement of a path given relative to its application's folder."""
    path = PurePosixPath(inside)
    if _is_generated(path.parts[:-1]):
        return Placement.GENERATED
    if is_test_path(inside):
        return Placement.TEST
    name = path.name
    if any(fnmatch.fnmatch(name, p) for p in EXAMPLE_ENVIRONMENT_PATTERNS):
        return Placement.EXAMPLE
    if path.suffix.lower() in DOCUMENTATION_SUFFIXES or "docs" in path.parts[:-1]:
        return Placement.EXAMPLE
    return Placement.DEPLOYED


def is_test_path(relative: str) -> bool:
    path = PurePosixPath(relative)
    if not TEST_FOLDERS.isdisjoint(p.lower() for p in path.parts[:-1]):
        return True
    return any(fnmatch.fnmatch(path.name, p) for p in TEST_FILE_PATTERNS)


def _is_generated(parts: tuple[str, ...]) -> bool:
    return not GENERATED_FOLDERS.isdisjoint(parts)


def analysis_scope(context: CheckContext) -> AnalysisScope:
    """The scope of ``context``'s checkout, computed once per run and shared by the checks."""
    cached = context.options.get("_scope")
    if isinstance(cached, AnalysisScope):
        return cached
    scope = build_scope(context.root, context.applications)
    context.options["_scope"] = scope
    return scope


def build_scope(root: Path, applications: list[Application]) -> AnalysisScope:
    resolved_root = root.resolve()
    scoped: list[ScopedApplication] = []
    for application in applications:
        folder = _inside_folder(root, application.path, resolved_root)
        if folder is None:
            continue  # the structure check reports a missing folder
        relative = _relative(folder, resolved_root)
        analysed = application.type not in MERCHANT_CENTER_TYPES
        modules = _local_modules(folder, resolved_root)
        scoped.append(
            ScopedApplication(
                name=application.name,
                type=application.type,
                folder=relative,
                analysed=analysed,
                source_folders=_source_folders([folder, *modules], resolved_root)
                if analysed
                else (),
                module_folders=tuple(_relative(m, resolved_root) for m in modules),
            )
        )
    return AnalysisScope(root=root, applications=tuple(scoped))


def _source_folders(folders: list[Path], root: Path) -> tuple[str, ...]:
    """Each folder's ``src`` (or the folder itself), without repeats."""
    found: list[str] = []
    for candidate in folders:
        source = candidate / "src"
        target = source if source.is_dir() and not source.is_symlink() else candidate
        relative = _relative(target, root)
        if relative not in found:
            found.append(relative)
    return tuple(found)


def _local_modules(folder: Path, root: Path) -> list[Path]:
    """Folders inside the repository that ``folder``'s package.json names as file:/link:."""
    manifest = folder / "package.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict):
        return []
    modules: list[Path] = []
    for section in ("dependencies", "devDependencies", "optionalDependencies"):
        entries = data.get(section)
        if not isinstance(entries, dict):
            continue
        for spec in entries.values():
            if not isinstance(spec, str):
                continue
            for prefix in ("file:", "link:"):
                if spec.startswith(prefix):
                    target = _inside_folder(folder, Path(spec[len(prefix) :]), root)
                    if target is not None and target != folder and target not in modules:
                        modules.append(target)
    return modules


def _inside_folder(base: Path, path: Path, resolved_root: Path) -> Path | None:
    """``base / path`` resolved, if it is a folder inside the checkout (links not followed out)."""
    candidate = path if path.is_absolute() else base / path
    if not candidate.is_dir():
        return None
    resolved = candidate.resolve()
    if resolved != resolved_root and not resolved.is_relative_to(resolved_root):
        return None
    return resolved


def _relative(folder: Path, root: Path) -> str:
    relative = folder.relative_to(root).as_posix()
    return relative or "."
