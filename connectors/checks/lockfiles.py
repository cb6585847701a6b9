"""Reading resolved dependencies, with the line that declares each, out of lockfiles.

Supported: npm ``package-lock.json`` (v1, v2, v3), ``yarn.lock`` (classic v1 and berry),
``pnpm-lock.yaml`` (v5 to v9) and Maven ``pom.xml``. The readers are line-based (or use
expat for XML) rather than full YAML/JSON loaders with position tracking, because lockfiles
run to tens of thousands of lines and only a few fields of each entry matter here.
"""

from __future__ import annotations

import json
import os
import re
import xml.parsers.expat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

NPM = "npm"
MAVEN = "Maven"

NPM_LOCKFILES = ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml")
MAVEN_MANIFESTS = ("pom.xml",)
# Folders that hold build output or installed packages, never the project's own manifests.
SKIPPED_FOLDERS = frozenset(
    {".git", "node_modules", "bower_components", "dist", "build", "target", "coverage", ".yarn"}
)
MAX_LOCKFILE_BYTES = 30 * 1024 * 1024


class LockfileError(ValueError):
    """A lockfile that cannot be read; ``line`` points at the problem when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class ResolvedPackage:
    """One package at one version, as a lockfile pins it."""

    ecosystem: str  # OSV ecosystem name: "npm" or "Maven"
    name: str  # npm name, or "groupId:artifactId" for Maven
    version: str
    line: int  # 1-based line of the entry in the lockfile
    dev: bool = False  # known to be a development-only dependency


@dataclass
class ManifestScan:
    """What one application folder holds: lockfiles, and package.json files left without one."""

    lockfiles: list[Path] = field(default_factory=list)
    unlocked_manifests: list[Path] = field(default_factory=list)


def find_manifests(app_dir: Path, repository_root: Path) -> ManifestScan:
    """Lockfiles under ``app_dir`` and ``package.json`` files that no lockfile covers.

    A ``package.json`` is covered by a lockfile in its own folder or in any folder above it up
    to the repository root (npm, yarn and pnpm workspaces keep one lockfile at their top); such
    an ancestor lockfile outside the application is analysed for it too.
    """
    scan = ManifestScan()
    for folder, subfolders, files in os.walk(app_dir):
        subfolders[:] = sorted(d for d in subfolders if d not in SKIPPED_FOLDERS)
        here = Path(folder)
        names = set(files)
        for name in (*NPM_LOCKFILES, *MAVEN_MANIFESTS):
            if name in names and not (here / name).is_symlink():
                scan.lockfiles.append(here / name)
        if "package.json" in names and not _has_npm_lockfile(here):
            ancestor_lockfiles = _ancestor_lockfiles(here, repository_root)
            if ancestor_lockfiles:
                for lockfile in ancestor_lockfiles:
                    if lockfile not in scan.lockfiles:
                        scan.lockfiles.append(lockfile)
            else:
                scan.unlocked_manifests.append(here / "package.json")
    return scan


def _has_npm_lockfile(folder: Path) -> bool:
    return any((folder / name).is_file() for name in NPM_LOCKFILES)


def _ancestor_lockfiles(folder: Path, repository_root: Path) -> list[Path]:
    current = folder
    while current != repository_root and current.is_relative_to(repository_root):
        current = current.parent
        found = [
            current / name
            for name in NPM_LOCKFILES
            if (current / name).is_file() and not (current / name).is_symlink()
        ]
        if found:
            return found
    return []


def manifest_dependency_line(package_json: Path) -> int | None:
    """Line of the first dependency section of a ``package.json``; None when it declares none."""
    try:
        text = package_json.read_text(encoding="utf-8", errors="replace")
        data = json.loads(text)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    sections = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
    if not any(isinstance(data.get(s), dict) and data[s] for s in sections):
        return None
    for number, line in enumerate(text.splitlines(), start=1):
        if re.search(r'"(?:dependencies|devDependencies|optionalDependencies)"\s*:', line):
            return number
    return 1


def read_lockfile(path: Path, *, root: Path | None = None) -> list[ResolvedPackage]:
    """Every resolved package of the lockfile at ``path``, chosen by its file name.

    ``root`` bounds where a pom.xml may look for its parents. Raises ``LockfileError`` when
    the file is too large or malformed.
    """
    size = path.stat().st_size
    if size > MAX_LOCKFILE_BYTES:
        raise LockfileError(f"the file is {size // (1024 * 1024)} MiB, larger than the limit")
    if path.name == "pom.xml":
        return read_pom(path, root=root)
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.name in ("package-lock.json", "npm-shrinkwrap.json"):
        return parse_package_lock(text)
    if path.name == "yarn.lock":
        return parse_yarn_lock(text)
    if path.name == "pnpm-lock.yaml":
        return parse_pnpm_lock(text)
    raise LockfileError(f"unknown lockfile {path.name}")


# --- npm package-lock.json -------------------------------------------------------------------


def parse_package_lock(text: str) -> list[ResolvedPackage]:
    try:
        data = json.loads(text)
    except ValueError as error:
        line = getattr(error, "lineno", None)
        raise LockfileError(f"not valid JSON ({error})", line) from error
    if not isinstance(data, dict):
        raise LockfileError("not a JSON object")
    packages = data.get("packages")
    if isinstance(packages, dict):
        return _package_lock_packages(packages, text)
    dependencies = data.get("dependencies")
    if isinstance(dependencies, dict):
        return _package_lock_v1(dependencies, text)
    return []


def _package_lock_packages(packages: dict, text: str) -> list[ResolvedPackage]:
    """lockfileVersion 2 and 3: a flat map from install path to entry."""
    key_lines = _json_key_lines(text, prefix="node_modules/")
    found = []
    for key, entry in packages.items():
        # "" is the project itself; keys without node_modules/ are workspace folders.
        if "node_modules/" not in key or not isinstance(entry, dict) or entry.get("link"):
            continue
        version = entry.get("version")
        if not isinstance(version, str):
            continue
        name = entry.get("name") or key.rsplit("node_modules/", 1)[1]
        name, version = _unalias(name, version)
        found.append(
            ResolvedPackage(
                ecosystem=NPM,
                name=name,
                version=version,
                line=key_lines.get(key, 1),
                dev=bool(entry.get("dev")),
            )
        )
    return found


def _json_key_lines(text: str, prefix: str) -> dict[str, int]:
    """Line of each object key starting with ``prefix`` (keys of "packages" are unique)."""
    lines: dict[str, int] = {}
    pattern = re.compile(r'^\s*"(' + re.escape(prefix) + r'[^"]*)"\s*:\s*\{')
    for number, line in enumerate(text.splitlines(), start=1):
        match = pattern.match(line)
        if match:
            lines.setdefault(match.group(1), number)
    return lines


def _package_lock_v1(dependencies: dict, text: str) -> list[ResolvedPackage]:
    """lockfileVersion 1: nested ``dependencies`` maps."""
    lines = text.splitlines()
    # npm writes "version" as the first field of every entry, so an entry is found by its
    # name followed by its version on the next line.
    entry_lines: dict[tuple[str, str], int] = {}
    for number, line in enumerate(lines[:-1], start=1):
        name_match = re.match(r'^\s*"([^"]+)"\s*:\s*\{\s*$', line)
        if not name_match:
            continue
        version_match = re.match(r'^\s*"version"\s*:\s*"([^"]*)"', lines[number])
        if version_match:
            entry_lines.setdefault((name_match.group(1), version_match.group(1)), number)

    found: list[ResolvedPackage] = []

    def walk(deps: dict) -> None:
        for name, entry in deps.items():
            if not isinstance(entry, dict):
                continue
            version = entry.get("version")
            if isinstance(version, str):
                real_name, real_version = _unalias(name, version)
                found.append(
                    ResolvedPackage(
                        ecosystem=NPM,
                        name=real_name,
                        version=real_version,
                        line=entry_lines.get((name, version), 1),
                        dev=bool(entry.get("dev")),
                    )
                )
            nested = entry.get("dependencies")
            if isinstance(nested, dict):
                walk(nested)

    walk(dependencies)
    return found


def _unalias(name: str, version: str) -> tuple[str, str]:
    """``"npm:real-name@1.2.3"`` (an npm alias) names the package really installed."""
    if version.startswith("npm:"):
        real_name, _, real_version = version[4:].rpartition("@")
        if real_name:
            return real_name, real_version
    return name, version


# --- yarn.lock -------------------------------------------------------------------------------


def parse_yarn_lock(text: str) -> list[ResolvedPackage]:
    """Classic (v1, its own format) and berry (v2+, YAML) lockfiles share a layout."""
    found = []
    for header_line, header, fields in _yarn_entries(text):
        if header == "__metadata":
            continue
        version = fields.get("version")
        if not version:
            continue
        resolution = fields.get("resolution")
        if resolution is not None:
            # berry: "name@npm:1.2.3"; other protocols (workspace:, patch:, git, file:) are
            # not registry packages.
            name, protocol, _ = resolution.partition("@npm:")
            if not protocol or not name:
                continue
        else:
            name = _yarn_classic_name(header)
            if not name:
                continue
        found.append(ResolvedPackage(ecosystem=NPM, name=name, version=version, line=header_line))
    return found


def _yarn_entries(text: str) -> Iterator[tuple[int, str, dict[str, str]]]:
    header: str | None = None
    header_line = 0
    fields: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if not raw[0].isspace():
            if header is not None:
                yield header_line, header, fields
            header, header_line, fields = raw.rstrip().rstrip(":"), number, {}
            continue
        # Only the entry's own fields (two spaces deep), not its dependency lists.
        if header is not None and raw.startswith("  ") and not raw.startswith("   "):
            key, value = _yarn_field(raw.strip())
            if key:
                fields[key] = value
    if header is not None:
        yield header_line, header, fields


def _yarn_field(line: str) -> tuple[str, str]:
    match = re.match(r'^"?([A-Za-z]+)"?(?::\s*|\s+)(.*)$', line)
    if not match:
        return "", ""
    return match.group(1), match.group(2).strip().strip("\"'")


def _yarn_classic_name(header: str) -> str:
    first = header.split(",")[0].strip().strip('"')
    at = first.find("@", 1)
    if at < 0:
        return ""
    name, spec = first[:at], first[at + 1 :]
    if spec.startswith("npm:"):
        # An alias, "alias@npm:real-name@^1.0.0": the real package is what gets installed.
        aliased = spec[4:]
        real_at = aliased.find("@", 1)
        return aliased[:real_at] if real_at > 0 else aliased
    return name


# --- pnpm-lock.yaml --------------------------------------------------------------------------


def parse_pnpm_lock(text: str) -> list[ResolvedPackage]:
    lines = text.splitlines()
    major_version = 0
    for line in lines[:20]:
        match = re.match(r"""^lockfileVersion:\s*['"]?([0-9]+)""", line)
        if match:
            major_version = int(match.group(1))
            break
    found = []
    in_packages = False
    for number, raw in enumerate(lines, start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if not raw[0].isspace():
            in_packages = raw.rstrip() == "packages:"
            continue
        if not in_packages or raw.startswith("   ") or not raw.startswith("  "):
            continue
        key_match = _PNPM_KEY.match(raw.strip())
        if not key_match:
            continue
        parsed = _pnpm_key(key_match.group(2), slash_format=major_version < 6)
        if parsed:
            name, version = parsed
            found.append(ResolvedPackage(ecosystem=NPM, name=name, version=version, line=number))
    return found


# "  key:" or "  'key':", possibly followed by an inline value such as "{}".
_PNPM_KEY = re.compile(r"""^(['"]?)(.+?)\1:(?:\s.*)?$""")


def _pnpm_key(key: str, *, slash_format: bool) -> tuple[str, str] | None:
    """``/name/1.0.0_peer`` (v5), ``/name@1.0.0(peer)`` (v6) or ``name@1.0.0(peer)`` (v9)."""
    if slash_format:
        if not key.startswith("/"):
            return None  # a tarball or git dependency
        name, _, version = key[1:].rpartition("/")
        version = version.split("_", 1)[0]
    else:
        key = key.removeprefix("/").split("(", 1)[0]
        at = key.find("@", 1)
        if at < 0:
            return None
        name, version = key[:at], key[at + 1 :]
    if not name or not version or ":" in version or "/" in version:
        return None  # file:, link:, git and tarball sources are not registry versions
    return name, version


# --- Maven pom.xml ---------------------------------------------------------------------------


@dataclass
class _XmlElement:
    tag: str
    line: int
    parent: _XmlElement | None
    children: list[_XmlElement] = field(default_factory=list)
    text: str = ""

    def child(self, tag: str) -> _XmlElement | None:
        return next((c for c in self.children if c.tag == tag), None)

    def child_text(self, tag: str) -> str | None:
        element = self.child(tag)
        return element.text.strip() if element is not None else None

    def iter(self) -> Iterator[_XmlElement]:
        yield self
        for child in self.children:
            yield from child.iter()


def _parse_xml(path: Path) -> _XmlElement:
    """A small element tree that remembers start lines (ElementTree forgets them)."""
    parser = xml.parsers.expat.ParserCreate()
    # Never fetch or expand anything outside the document.
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    root = _XmlElement(tag="", line=0, parent=None)
    current = root

    def start(tag: str, _attributes: dict) -> None:
        nonlocal current
        element = _XmlElement(
            tag=tag.rsplit(":", 1)[-1], line=parser.CurrentLineNumber, parent=current
        )
        current.children.append(element)
        current = element

    def end(_tag: str) -> None:
        nonlocal current
        if current.parent is not None:
            current = current.parent

    def characters(data: str) -> None:
        current.text += data

    def no_entities(*_args: object) -> None:
        raise LockfileError("entity declarations are not allowed", parser.CurrentLineNumber)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.EntityDeclHandler = no_entities
    try:
        with path.open("rb") as stream:
            parser.ParseFile(stream)
    except xml.parsers.expat.ExpatError as error:
        raise LockfileError(f"not well-formed XML ({error})", error.lineno) from error
    if not root.children:
        raise LockfileError("empty XML document")
    return root.children[0]


_PROPERTY = re.compile(r"\$\{([^}]+)\}")
MAX_PARENT_DEPTH = 5


def read_pom(path: Path, *, root: Path | None = None) -> list[ResolvedPackage]:
    """Dependencies of a ``pom.xml`` with a literal version or one set by a property.

    Properties come from the pom itself and then from its parents on disk (``relativePath``,
    by default ``../pom.xml``), never outside ``root``. Versionless dependencies, managed by a
    parent or a BOM, and version ranges are left out: they pin nothing that could be matched.
    """
    project = _parse_xml(path)
    boundary = (root or path.parent).resolve()
    properties = _pom_properties(project, path, boundary, depth=0)
    found = []
    for element in project.iter():
        if element.tag != "dependency" or element.parent is None:
            continue
        if element.parent.tag != "dependencies":
            continue
        group = _resolve(element.child_text("groupId") or "", properties)
        artifact = _resolve(element.child_text("artifactId") or "", properties)
        raw_version = element.child_text("version")
        if not group or not artifact or not raw_version:
            continue
        version = _resolve(raw_version, properties)
        if not version or "${" in version or version[0] in "[(":
            continue
        found.append(
            ResolvedPackage(
                ecosystem=MAVEN,
                name=f"{group}:{artifact}",
                version=version,
                line=element.line,
                dev=element.child_text("scope") == "test",
            )
        )
    return found


def _pom_properties(project: _XmlElement, path: Path, boundary: Path, depth: int) -> dict[str, str]:
    properties: dict[str, str] = {}
    parent = project.child("parent")
    if parent is not None and depth < MAX_PARENT_DEPTH:
        relative = parent.child_text("relativePath")
        parent_path = (path.parent / (relative or "../pom.xml")).resolve()
        if parent_path.is_dir():
            parent_path = parent_path / "pom.xml"
        if (
            parent_path.is_file()
            and parent_path != path.resolve()
            and parent_path.is_relative_to(boundary)
        ):
            try:
                parent_project = _parse_xml(parent_path)
                properties.update(_pom_properties(parent_project, parent_path, boundary, depth + 1))
            except (LockfileError, OSError):
                pass
        if parent.child_text("version"):
            properties["project.parent.version"] = parent.child_text("version") or ""
            properties.setdefault("project.version", properties["project.parent.version"])
    own_version = project.child_text("version")
    if own_version:
        properties["project.version"] = own_version
    properties.setdefault("version", properties.get("project.version", ""))
    own = project.child("properties")
    if own is not None:
        for element in own.children:
            properties[element.tag] = element.text.strip()
    return properties


def _resolve(value: str, properties: dict[str, str]) -> str:
    # A few rounds resolve properties defined through other properties; cycles stop here.
    for _ in range(5):
        if "${" not in value:
            break
        value = _PROPERTY.sub(lambda m: properties.get(m.group(1), m.group(0)), value)
    return value.strip()
