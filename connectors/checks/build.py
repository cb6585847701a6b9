"""The Build and Unit test checks: every deployed application built and tested in a sandbox.

The hosted service builds each application of connect.yaml (service, event, job, assets and
the Merchant Center ones) and runs its unit tests before any dependency or code analysis.
These two checks do the same on the worker, so a connector that does not compile, or whose
tests fail, previews "false" here too, with the failing step, its command and the end of its
output in the report and the whole log kept with the run (``StepLog``).

One session per run serves both checks (``build_checks``): it copies the checkout into a
workspace of its own (the other checks read the checkout meanwhile), then works through the
applications, ``CONNECTORS_BUILD_CONCURRENCY`` at a time, each one install → install
scripts → build → test. The Build check reports when every application is built, the Unit
test check when every test run has ended; both report each step's duration.

Node applications:
- install with the lockfile's package manager, exactly from the lockfile (``npm ci``,
  ``yarn install --frozen-lockfile``, ``yarn install --immutable``, ``pnpm install
  --frozen-lockfile``), no lifecycle scripts, in the sandbox with network (registries only);
- then, without network: the application's own install scripts (``preinstall``,
  ``install``, ``postinstall``, ``prepare``) and those of the dependencies the setting
  ``CONNECTORS_BUILD_INSTALL_SCRIPTS`` names; ``build`` if there is one; ``test`` with
  ``CI=true``, unless it is npm's placeholder;
- the install is cached by its inputs (lockfile, package.json files, npm/yarn/pnpm
  configuration), the Node version and the package manager and its version. The cached copy
  is taken before any of the repository's code runs. A root worker hands it back as hard
  links to files it owns, which the sandbox's user can read but not change; otherwise, or
  when install scripts will run, as a copy.
- the build's and tests' temporary folder (``TMPDIR``: Jest's transform cache) is kept by the
  content of the whole checkout, so a preview of the very same files gets it back.

Merchant Center builds get their configuration as stand-ins (see ``configuration_values``),
and the local modules an application depends on or installs into
are installed with it (``companion_folders``), since its build has no network.

Maven applications: dependencies fetched with network (``mvn dependency:go-offline``; the
local repository is cached by the pom files), then ``mvn -DskipTests package`` and ``mvn
test`` without network, with the worker's own Maven repository
(``CONNECTORS_BUILD_MAVEN_REPOSITORY``) as a read-only source. Gradle: ``gradle --offline
assemble`` and ``test`` when the worker has Gradle; otherwise a Warning.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shlex
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import DatabaseError, connection

from connectors.sandbox import (
    Limits,
    SandboxResult,
    SandboxUnavailable,
    backend,
    prepare_writable,
    run_sandboxed,
    sandbox_user,
)
from connectors.spec import rules

from .base import Application, CheckContext, CheckOutcome, CheckStatus, EntryType, Finding
from .toolchains import (
    BERRY,
    INSTALL_INPUTS,
    NPM,
    PNPM,
    YARN,
    MachineNode,
    NodeProject,
    ProjectError,
    ToolCache,
    Toolchain,
    application_kind,
    berry_release,
    companion_folders,
    default_manager_version,
    machine_node,
    node_range,
    npm_for,
    read_node_project,
    satisfies,
    write_shims,
)

logger = logging.getLogger(__name__)

TAIL_LINES = 25
TAIL_LINE_CHARACTERS = 400
MAX_SLOTS = 256  # builds at once on one machine, all workers together
SYSTEM_CERTIFICATES = Path("/etc/ssl/certs/ca-certificates.crt")
CONFIGURATION_KEY = re.compile(r"[A-Za-z0-9_]{2,256}")
OWN_INSTALL_SCRIPTS = ("preinstall", "install", "postinstall", "prepare")
NPM_PLACEHOLDER_TEST = "no test specified"
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def build_checks() -> list[BuildCheck | UnitTestCheck]:
    """The Build and Unit test checks of one run, sharing one build session."""
    session = BuildSession(tests=True)
    return [BuildCheck(session), UnitTestCheck(session)]


class _SessionCheck:
    """A check that reports on the session's applications once they have passed ``phase``."""

    name: str
    phase: str  # "built" or "tested"
    runs_tests: bool

    def __init__(self, session: BuildSession | None = None) -> None:
        self.session = session or BuildSession(tests=self.runs_tests)

    def run(self, context: CheckContext) -> CheckOutcome:
        if not context.applications:
            return CheckOutcome(
                "skipped",
                summary=f"No application to {self.name.lower()}: connect.yaml could not be "
                "read or lists none.",
            )
        self.session.start(context)
        return self.outcome(self.session.wait(self.phase))

    def outcome(self, works: list[Work]) -> CheckOutcome:
        raise NotImplementedError


class BuildCheck(_SessionCheck):
    name = "Build"
    phase = "built"
    runs_tests = False

    def outcome(self, works: list[Work]) -> CheckOutcome:
        findings = [f for work in works for f in work.build_findings]
        failed = [work for work in works if work.build_failed]
        built = [work for work in works if work.built_ok]
        parts = [f"{len(built)} of {len(works)} applications built"]
        if failed:
            parts.append(f"{len(failed)} failed ({', '.join(w.application.name for w in failed)})")
        durations = "; ".join(
            f"{w.application.name}: {w.durations('build')}" for w in works if w.steps
        )
        summary = ", ".join(parts) + (f". {durations}." if durations else ".")
        return CheckOutcome("failed" if failed else "succeeded", findings, summary)


class UnitTestCheck(_SessionCheck):
    name = "Unit test"
    phase = "tested"
    runs_tests = True

    def outcome(self, works: list[Work]) -> CheckOutcome:
        findings = [f for work in works for f in work.test_findings]
        states = [work.test_state for work in works]
        counts = {state: states.count(state) for state in ("passed", "failed", "none", "not run")}
        summary = (
            f"Tests passed in {counts['passed']}, failed in {counts['failed']} of "
            f"{len(works)} applications ({counts['none']} without tests, "
            f"{counts['not run']} not run)."
        )
        timed = "; ".join(
            f"{w.application.name}: {w.durations('test')}"
            for w in works
            if w.test_state in {"passed", "failed"}
        )
        if timed:
            summary += f" {timed}."
        status: CheckStatus = (
            "failed" if counts["failed"] else "succeeded" if counts["passed"] else "skipped"
        )
        return CheckOutcome(status, findings, summary)


# --- one application's work -----------------------------------------------------------------------


@dataclass
class Step:
    name: str  # install, install scripts, build, test, toolchain, dependencies
    command: str
    seconds: float
    result: SandboxResult | None = None  # None: no command ran (e.g. restored from the cache)
    note: str = ""

    @property
    def failed(self) -> bool:
        return self.result is not None and not self.result.succeeded


@dataclass
class Work:
    application: Application
    index: int
    kind: str | None = None
    steps: list[Step] = field(default_factory=list)
    build_findings: list[Finding] = field(default_factory=list)
    build_failed: bool = False
    test_findings: list[Finding] = field(default_factory=list)
    test_state: str = "none"  # passed, failed, none (no tests), not run
    built_ok: bool = False
    built: threading.Event = field(default_factory=threading.Event)
    tested: threading.Event = field(default_factory=threading.Event)

    def finding(
        self, kind: EntryType, message: str, *, test: bool = False, file: str | None = None
    ) -> None:
        found = Finding(kind, f"{self.application.name}: {message}", self.application.name, file)
        (self.test_findings if test else self.build_findings).append(found)

    def mark_built(self, summary: str) -> None:
        self.built_ok = True
        self.finding("Information", f"{summary}: {self.durations('build')}.")
        self.built.set()

    def stopped(self, message: str) -> None:
        """An unexpected end: the phase that was going on fails."""
        if self.built.is_set():
            self.test_state = "failed"
            self.finding("Error", message, test=True)
        else:
            self.build_failed = True
            self.finding("Error", message)

    def durations(self, phase: str) -> str:
        chosen = [s for s in self.steps if (s.name == "test") == (phase == "test")]
        return ", ".join(
            f"{s.name} {s.seconds:.1f} s{f' ({s.note})' if s.note else ''}" for s in chosen
        )


@dataclass(frozen=True)
class BuildConfig:
    cache_dir: Path
    limits: Limits
    concurrency: int
    cache_entries: int
    install_scripts: tuple[str, ...]
    maven_repository: Path | None

    @classmethod
    def from_settings(cls) -> BuildConfig:
        seed = settings.CONNECTORS_BUILD_MAVEN_REPOSITORY
        return cls(
            cache_dir=Path(settings.CONNECTORS_BUILD_CACHE_DIR),
            limits=Limits(
                timeout=float(settings.CONNECTORS_BUILD_STEP_SECONDS),
                memory=settings.CONNECTORS_BUILD_MEMORY_BYTES,
                processes=settings.CONNECTORS_BUILD_PROCESSES,
                output=settings.CONNECTORS_BUILD_OUTPUT_BYTES,
                file_size=settings.CONNECTORS_BUILD_FILE_BYTES,
            ),
            concurrency=max(1, settings.CONNECTORS_BUILD_CONCURRENCY),
            cache_entries=max(1, settings.CONNECTORS_BUILD_CACHE_ENTRIES),
            install_scripts=tuple(settings.CONNECTORS_BUILD_INSTALL_SCRIPTS),
            maven_repository=Path(seed) if seed else None,
        )


class BuildSession:
    """One run's builds: a private copy of the repository, applications side by side."""

    def __init__(self, *, tests: bool) -> None:
        self.tests = tests
        self._lock = threading.Lock()
        self._started = False
        self._works: list[Work] = []
        self._installs: dict[Path, Future[InstallOutcome]] = {}
        self._finished = threading.Event()

    def start(self, context: CheckContext) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
            self._works = [Work(app, i) for i, app in enumerate(context.applications)]
            self.run_id = context.options.get("run_id")
            try:
                self.config = BuildConfig.from_settings()
                backend().ensure_available(network=True)
                self.workspace = Workspace(self.config.cache_dir, context.root)
            except (SandboxUnavailable, OSError) as exc:
                self._refuse(str(exc))
                return
            self.source_root = context.root
            self.spec = context.spec if isinstance(context.spec, dict) else {}
            self.machine = machine_node()
            self.tools = None
            if self.machine is not None:
                self.tools = ToolCache(self.config.cache_dir, self.config.limits, self.machine)
            self.installs = InstallCache(
                self.config.cache_dir / "installs", self.config.cache_entries
            )
            self.scratches = InstallCache(
                self.config.cache_dir / "scratch", self.config.cache_entries
            )
            pool = ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="build")
            futures = [pool.submit(self._work, work) for work in self._works]
            threading.Thread(
                target=self._clean_up, args=(pool, futures), name="build-cleanup"
            ).start()

    @property
    def works(self) -> list[Work]:
        """Each application's steps and findings (for reports and benchmarks)."""
        return list(self._works)

    def wait(self, phase: str) -> list[Work]:
        """The applications once each has passed ``phase`` ("built" or "tested"); after the
        tests, also once the workspace is gone."""
        for work in self._works:
            getattr(work, phase).wait()
        if phase == "tested":
            self._finished.wait()
        return list(self._works)

    def _refuse(self, reason: str) -> None:
        for work in self._works:
            work.build_failed = True
            work.test_state = "not run"
            work.finding("Error", f"not built: the build sandbox is not available. {reason}")
            work.finding("Warning", "tests not run: the build sandbox is not available.", test=True)
            work.built.set()
            work.tested.set()
        self._finished.set()

    def _clean_up(self, pool: ThreadPoolExecutor, futures: list[Future[None]]) -> None:
        try:
            for future in futures:
                future.exception()
            pool.shutdown()
            self.workspace.remove()
        finally:
            self._finished.set()

    def _work(self, work: Work) -> None:
        try:
            folder = self.workspace.repository / work.application.path.relative_to(self.source_root)
            work.kind = application_kind(folder)
            if work.kind == "node":
                self._node(work, folder)
            elif work.kind == "maven":
                self._maven(work, folder)
            elif work.kind == "gradle":
                self._gradle(work, folder)
            else:
                work.finding(
                    "Warning",
                    "nothing to build: the folder has no package.json, pom.xml or build.gradle.",
                )
        except SandboxUnavailable as exc:
            work.stopped(f"stopped: the build sandbox is not available. {exc}")
        except Exception:
            logger.exception("Building %s failed unexpectedly", work.application.name)
            work.stopped("stopped by an internal error of the worker (it is logged).")
        finally:
            if not work.built.is_set() and work.test_state == "none" and work.build_failed:
                work.test_state = "not run"
                work.finding("Warning", "tests not run: the build failed.", test=True)
            work.built.set()
            work.tested.set()

    # --- running steps ---------------------------------------------------------------------

    def _step(
        self,
        work: Work,
        name: str,
        command: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        home: Path,
        readable: Sequence[Path] = (),
        network: bool = False,
        secrets: Mapping[str, str] | None = None,
    ) -> Step:
        result = run_sandboxed(
            command,
            workdir=cwd,
            writable=[self.workspace.repository, home],
            readable=readable,
            network=network,
            env=env,
            limits=self.config.limits,
            secrets=secrets,
        )
        return self._record(work, Step(name, shlex.join(command), result.duration, result))

    def _record(self, work: Work, step: Step) -> Step:
        work.steps.append(step)
        if self.run_id:
            _save_step_log(self.run_id, work.application.name, step)
        return step

    def _failed(self, work: Work, step: Step, *, test: bool = False) -> None:
        assert step.result is not None
        tail = last_lines(step.result.output)
        where = f"`{step.command}`" if step.command else step.name
        message = (
            f"the {step.name} step failed ({step.result.ending()}) after {step.seconds:.1f} s: "
            f"{where}."
            + (f" Last lines of its output:\n{tail}" if tail else " It printed nothing.")
        )
        work.finding("Error", message, test=test)
        if test:
            work.test_state = "failed"
        else:
            work.build_failed = True

    # --- Node ----------------------------------------------------------------------------------

    def _node(self, work: Work, folder: Path) -> None:
        try:
            project = read_node_project(folder, self.workspace.repository)
        except ProjectError as exc:
            work.build_failed = True
            work.finding("Error", f"cannot be built: {exc}")
            return
        home = self.workspace.home(work.index)
        toolchain = self._toolchain(work, project)
        if toolchain is None:
            return
        env = node_environment(home, toolchain, project.manager, self.machine)
        readable = [toolchain.bin_dir, *toolchain.readable]
        for companion in self._companions(project):
            done = self._install_once(work, companion, toolchain, env, home, readable, True)
            if done.failed_step is not None:
                return self._failed(work, done.failed_step)
        installed = self._install_once(work, project, toolchain, env, home, readable)
        if installed.owner != work.index and installed.step is not None:
            owner = self._works[installed.owner].application.name
            self._record(
                work, Step("install", installed.step.command, 0.0, None, f"shared with {owner}")
            )
        for warning in installed.warnings:
            work.finding("Warning", warning)
        if installed.failed_step is not None:
            return self._failed(work, installed.failed_step)
        standard, secured = configuration_values(self.spec, work.application)
        scratch = home / "tmp"  # the build's and tests' TMPDIR: Jest keeps its cache there
        env = {**env, **standard, "TMPDIR": str(scratch)}
        scratch_key = self._restore_scratch(work, scratch)
        script = "build" if "build" in project.scripts else None
        if script is not None:
            step = self._step(
                work,
                "build",
                run_script(toolchain.manager, script),
                cwd=folder,
                env=env,
                home=home,
                readable=readable,
                secrets=secured,
            )
            if step.failed:
                return self._failed(work, step)
        versions = f"Node {toolchain.node_version}, {toolchain.manager} {toolchain.manager_version}"
        what = "built" if script else "installed (no build script)"
        work.mark_built(f"{what} with {versions}")
        if not self.tests:
            return
        test = project.scripts.get("test", "")
        if not test.strip() or NPM_PLACEHOLDER_TEST in test:
            work.finding(
                "Information", "no test script in package.json: no tests to run.", test=True
            )
            return
        step = self._step(
            work,
            "test",
            run_script(toolchain.manager, "test"),
            cwd=folder,
            env=env,
            home=home,
            readable=readable,
            secrets=secured,
        )
        if scratch_key:
            self.scratches.save(scratch_key, home, [scratch.name])
        if step.failed:
            return self._failed(work, step, test=True)
        work.test_state = "passed"
        work.finding(
            "Information", f"tests passed in {step.seconds:.1f} s (`{step.command}`).", test=True
        )

    def _restore_scratch(self, work: Work, scratch: Path) -> str | None:
        """The temporary folder an earlier run of the same checkout left (test runners' caches).

        Kept by the content of the whole checkout, so only a preview of the very same files
        gets it back; returns the key to keep this run's folder under, or None if one is kept.
        """
        where = f"{self.workspace.path}\0{work.application.name}"
        key = hashlib.sha256(f"scratch-v1\0{self.workspace.digest}\0{where}".encode()).hexdigest()
        kept = self.scratches.entry(key)
        if kept is None or not self.scratches.restore(kept, scratch.parent, link=False):
            scratch.mkdir(exist_ok=True)
            prepare_writable(scratch)
            return key
        return None

    def _companions(self, project: NodeProject) -> list[NodeProject]:
        """The local modules to install first: those with a lockfile of the same manager."""
        companions = []
        for folder in companion_folders(project):
            try:
                other = read_node_project(folder, self.workspace.repository)
            except ProjectError:
                continue
            if other.lockfile is not None and other.manager == project.manager:
                companions.append(other)
        return companions

    def _toolchain(self, work: Work, project: NodeProject) -> Toolchain | None:
        machine = self.machine
        if machine is None or self.tools is None:
            work.build_failed = True
            work.finding("Error", "not built: this worker has no Node.js and npm.")
            return None
        warnings: list[str] = []
        node, node_version = machine.binary, machine.version
        wanted = node_range(project.wanted_node) if project.wanted_node else None
        if wanted and not satisfies(machine.version, wanted):
            found = self.tools.find("node", wanted) or self._fetch(work, "node", wanted)
            if found:
                node, node_version = found
            else:
                warnings.append(
                    f"{project.wanted_from} asks for Node {project.wanted_node}, which could not "
                    f"be had from the npm registry; the worker's Node {machine.version} was used."
                )
        npm_cli, npx_cli, npm_version = machine.npm_cli, machine.npx_cli, _npm_version(machine)
        older = npm_for(node_version, machine)
        if older:
            found = self.tools.find(NPM, older) or self._fetch(work, NPM, older)
            if found:
                npm_cli, npm_version = found
                npx_cli = npm_cli.parent / "npx-cli.js"
            else:
                warnings.append(
                    f"npm {older} (the npm of Node {node_version}) could not be had from the "
                    f"npm registry; the worker's npm {npm_version} was used."
                )
        manager_file: Path | None = None
        manager_version = npm_version
        if project.manager != NPM:
            release = berry_release(project) if project.manager == BERRY else None
            spec = project.manager_version or default_manager_version(project.manager, project)
            found = (
                (release, "(the repository's yarnPath)")
                if release
                else (
                    self.tools.find(project.manager, spec)
                    or self._fetch(work, project.manager, spec)
                )
            )
            if not found:
                work.build_failed = True
                work.finding(
                    "Error",
                    f"not built: {project.manager} {spec} (named by the lockfile"
                    f"{' and packageManager' if project.manager_version else ''}) could not be "
                    "had from the npm registry.",
                )
                return None
            manager_file, manager_version = found
        bin_dir = self.workspace.bin(work.index)
        write_shims(
            bin_dir,
            node=node,
            npm_cli=npm_cli,
            npx_cli=npx_cli,
            manager=project.manager,
            manager_file=manager_file,
        )
        roots = [node.parent.parent, npm_cli.parent.parent]
        if manager_file is not None:
            roots.append(manager_file.parent.parent)
        readable = [
            p
            for p in dict.fromkeys(roots)
            if Path("/usr") not in p.parents and self.workspace.path not in p.parents
        ]
        for warning in warnings:
            work.finding("Warning", warning)
        return Toolchain(
            node_version=node_version,
            manager=project.manager,
            manager_version=manager_version,
            bin_dir=bin_dir,
            readable=readable,
        )

    def _fetch(self, work: Work, tool: str, spec: str) -> tuple[Path, str] | None:
        assert self.tools is not None
        path, version, result = self.tools.fetch(tool, spec)
        if result is not None:
            note = f"{tool} {version}" if path else f"{tool} {spec} not found"
            command = shlex.join(["npm", *result.command[2:]])
            self._record(work, Step("toolchain", command, result.duration, result, note))
        return (path, version) if path else None

    def _install_once(
        self,
        work: Work,
        project: NodeProject,
        toolchain: Toolchain,
        env: Mapping[str, str],
        home: Path,
        readable: Sequence[Path],
        companion: bool = False,
    ) -> InstallOutcome:
        """Install the dependencies of ``project.install_dir`` once per run (workspaces)."""
        with self._lock:
            future = self._installs.get(project.install_dir)
            mine = future is None
            if future is None:
                future = Future()
                self._installs[project.install_dir] = future
        if not mine:
            return future.result()
        try:
            outcome = self._install(work, project, toolchain, env, home, readable, companion)
        except BaseException as exc:
            future.set_exception(exc)
            raise
        future.set_result(outcome)
        return outcome

    def _install(
        self,
        work: Work,
        project: NodeProject,
        toolchain: Toolchain,
        env: Mapping[str, str],
        home: Path,
        readable: Sequence[Path],
        companion: bool,
    ) -> InstallOutcome:
        """Install (or restore) ``project``'s dependencies, then its allowed install scripts.

        A companion (a local module of the application) is handed back as a copy: the
        application's scripts may install into it again.
        """
        command = install_command(project)
        outcome = InstallOutcome(owner=work.index)
        if project.lockfile is None:
            outcome.warnings.append(
                "has no lockfile (package-lock.json, yarn.lock or pnpm-lock.yaml): dependencies "
                "were resolved afresh with `npm install` and not cached; the hosted build may "
                "get other versions."
            )
        key = self.installs.key(project, toolchain) if project.lockfile else None
        scripts = self._install_scripts_command(project, toolchain)
        link = not companion and sandbox_user() is not None and not scripts
        where = project.relative(project.install_dir)
        label = "install" if where == work.application.name else f"install {where}"[:32]
        started = time.monotonic()
        entry = self.installs.entry(key) if key else None
        if entry is not None and not self.installs.restore(entry, project.install_dir, link=link):
            entry = None  # it went away meanwhile (pruned by another worker): install afresh
            for output in install_outputs(project):
                _remove_tree(project.install_dir / output)
        if entry is not None:
            outcome.step = self._record(
                work,
                Step(
                    label,
                    shlex.join(command),
                    time.monotonic() - started,
                    None,
                    "from the build cache",
                ),
            )
        else:
            self._fresh_install(
                work, outcome, project, command, key, link, env, home, readable, label
            )
        if outcome.failed_step is None and scripts:
            step = self._step(
                work,
                "install scripts",
                ["sh", "-c", scripts],
                cwd=project.install_dir,
                env=env,
                home=home,
                readable=readable,
            )
            if step.failed:
                outcome.failed_step = step
        return outcome

    def _fresh_install(
        self, work, outcome, project, command, key, link, env, home, readable, label
    ) -> None:
        step = self._step(
            work,
            label,
            command,
            cwd=project.install_dir,
            env={**env, **install_env(project)},
            home=home,
            readable=readable,
            network=True,
        )
        outcome.step = step
        if step.failed:
            outcome.failed_step = step
        elif key:
            saving = time.monotonic()
            saved = self.installs.save(key, project.install_dir, install_outputs(project))
            if saved is not None:
                self.installs.restore(saved, project.install_dir, link=link)
            step.seconds += time.monotonic() - saving

    def _install_scripts_command(self, project: NodeProject, toolchain: Toolchain) -> str:
        """The shell command running the install scripts that are allowed, or ""."""
        manifest = (
            project.manifest
            if project.install_dir == project.folder
            else _manifest(project.install_dir)
        )
        declared = manifest.get("scripts")
        scripts = declared if isinstance(declared, dict) else {}
        commands = [
            shlex.join(run_script(toolchain.manager, name, lifecycle=True))
            for name in OWN_INSTALL_SCRIPTS
            if isinstance(scripts.get(name), str)
        ]
        allowed = [
            name
            for name in self.config.install_scripts
            if (project.install_dir / "node_modules" / name / "package.json").is_file()
        ]
        if allowed:
            rebuild = {NPM: ["npm", "rebuild"], YARN: ["npm", "rebuild"], PNPM: ["pnpm", "rebuild"]}
            commands.append(
                shlex.join([*rebuild.get(toolchain.manager, ["yarn", "rebuild"]), *allowed])
            )
        return " && ".join(commands)

    # --- Java ----------------------------------------------------------------------------------

    def _maven(self, work: Work, folder: Path) -> None:
        if not shutil.which("mvn") or not shutil.which("java"):
            work.finding("Warning", "not built: this worker has no Maven (mvn) or Java.")
            return
        home = self.workspace.home(work.index)
        seed = self.config.maven_repository
        readable = [seed] if seed and seed.is_dir() else []
        fetch_settings, build_settings = write_maven_settings(home, seed if readable else None)
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(home),
            "CI": "true",
            "LANG": "C.UTF-8",
            "MAVEN_OPTS": "-Xmx1g",
        }
        standard, secured = configuration_values(self.spec, work.application)
        configured = {**env, **standard}
        fetch = ["mvn", "-B", "-ntp", "-s", str(fetch_settings), "dependency:go-offline"]
        maven = ["mvn", "-B", "-ntp", "-s", str(build_settings)]
        key = self.installs.maven_key(folder, seed)
        started = time.monotonic()
        entry = self.installs.entry(key)
        if entry is not None:
            self.installs.restore(entry, home / ".m2", link=False)
            waited = time.monotonic() - started
            self._record(
                work, Step("dependencies", shlex.join(fetch), waited, None, "from the build cache")
            )
        else:
            fetched = self._step(
                work,
                "dependencies",
                fetch,
                cwd=folder,
                env=env,
                home=home,
                readable=readable,
                network=True,
            )
            if fetched.failed:
                fetched.note = "not all fetched: the build uses what the worker has"
            else:
                self.installs.save(key, home / ".m2", ["repository"])
                self.installs.restore(self.installs.entry(key), home / ".m2", link=False)
        step = self._step(
            work,
            "build",
            [*maven, "-DskipTests", "package"],
            cwd=folder,
            env=configured,
            home=home,
            readable=readable,
            secrets=secured,
        )
        if step.failed:
            return self._failed(work, step)
        work.mark_built("built with Maven")
        if self.tests:
            self._java_tests(work, [*maven, "test"], folder, configured, home, readable, secured)

    def _gradle(self, work: Work, folder: Path) -> None:
        if not shutil.which("gradle"):
            work.finding(
                "Warning",
                "not built: this worker has no Gradle (a Gradle wrapper would download Gradle "
                "from outside the package registries).",
            )
            return
        home = self.workspace.home(work.index)
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(home),
            "CI": "true",
            "LANG": "C.UTF-8",
            "GRADLE_USER_HOME": str(home / ".gradle"),
        }
        gradle = ["gradle", "--no-daemon", "--offline", "--console=plain"]
        step = self._step(work, "build", [*gradle, "assemble"], cwd=folder, env=env, home=home)
        if step.failed:
            return self._failed(work, step)
        work.mark_built("built with Gradle")
        if self.tests:
            self._java_tests(work, [*gradle, "test"], folder, env, home, [])

    def _java_tests(self, work, command, folder, env, home, readable, secrets=None) -> None:
        step = self._step(
            work,
            "test",
            command,
            cwd=folder,
            env=env,
            home=home,
            readable=readable,
            secrets=secrets,
        )
        if step.failed:
            return self._failed(work, step, test=True)
        work.test_state = "passed"
        work.finding(
            "Information", f"tests passed in {step.seconds:.1f} s (`{step.command}`).", test=True
        )


def _npm_version(machine: MachineNode) -> str:
    try:
        data = json.loads((machine.npm_cli.parent.parent / "package.json").read_text())
        return str(data.get("version", "unknown"))
    except (OSError, ValueError):
        return "unknown"


def _manifest(folder: Path) -> dict:
    try:
        data = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# --- commands and environment ------------------------------------------------------------------


def install_command(project: NodeProject) -> list[str]:
    if project.lockfile is None:
        return ["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund"]
    return {
        NPM: ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
        YARN: [
            "yarn",
            "install",
            "--frozen-lockfile",
            "--ignore-scripts",
            "--non-interactive",
            "--no-progress",
        ],
        BERRY: ["yarn", "install", "--immutable"],
        PNPM: ["pnpm", "install", "--frozen-lockfile", "--ignore-scripts"],
    }[project.manager]


def install_env(project: NodeProject) -> dict[str, str]:
    """Extra environment of the install step: Yarn Berry's scripts off (it has no flag); the
    system's certificate authorities for a Node from the registry, which has its own list."""
    extra = {"YARN_ENABLE_SCRIPTS": "0"} if project.manager == BERRY else {}
    if SYSTEM_CERTIFICATES.is_file():
        extra["NODE_EXTRA_CA_CERTS"] = str(SYSTEM_CERTIFICATES)
    return extra


def run_script(manager: str, name: str, *, lifecycle: bool = False) -> list[str]:
    if manager in {YARN, BERRY}:
        return ["yarn", "run", name]
    if manager == PNPM:
        return ["pnpm", "run", name]
    # npm runs a script's pre- and post- scripts too; lifecycle ones are run one by one.
    return ["npm", "run", "--ignore-scripts", name] if lifecycle else ["npm", "run", name]


def node_environment(
    home: Path, toolchain: Toolchain, manager: str, machine: MachineNode | None
) -> dict[str, str]:
    """The whole environment of a Node step: nothing of the worker's."""
    extra: dict[str, str] = {}
    if manager == PNPM:
        extra["npm_config_store_dir"] = str(home / ".pnpm-store")
    if machine is not None and machine.npm_globalconfig is not None:
        extra["npm_config_globalconfig"] = str(machine.npm_globalconfig)
    return {
        **extra,
        "PATH": f"{toolchain.bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "CI": "true",
        "LANG": "C.UTF-8",
        "TMPDIR": "/tmp",
        "NO_COLOR": "1",
        "FORCE_COLOR": "0",
        "NO_UPDATE_NOTIFIER": "1",
        "npm_config_cache": str(home / ".npm"),
        "npm_config_update_notifier": "false",
        "npm_config_fund": "false",
        "npm_config_audit": "false",
        "YARN_CACHE_FOLDER": str(home / ".yarn-cache"),
        "YARN_ENABLE_GLOBAL_CACHE": "0",
        "YARN_ENABLE_TELEMETRY": "0",
        "YARN_ENABLE_PROGRESS_BARS": "0",
        "COREPACK_ENABLE_STRICT": "0",
        "COREPACK_ENABLE_DOWNLOAD_PROMPT": "0",
    }


def configuration_values(
    spec: Mapping[str, object], application: Application
) -> tuple[dict[str, str], dict[str, str]]:
    """Stand-ins for a Merchant Center application's configuration: (standard, secured).

    Its build reads it (``${env:CLOUD_IDENTIFIER}`` in custom-application-config) and refuses
    to run without it; the hosted build is given the deployment's values, a preview has none.
    Standard keys get their default or a stand-in, secured keys a stand-in that is masked in
    every log, and ``APPLICATION_URL`` (set by the hosted service) an address that cannot
    resolve. Other applications get none: stand-ins fail the validation many services do on
    their configuration, and their tests set what they need.
    """
    if application.type not in rules.MERCHANT_CENTER_TYPES:
        return {}, {}
    sections: list[object] = []
    inherited = spec.get("inheritAs")
    if isinstance(inherited, dict):
        sections.append(inherited.get("configuration"))
    for entry in spec.get("deployAs") or []:  # type: ignore[attr-defined]
        if isinstance(entry, dict) and entry.get("name") == application.name:
            sections.append(entry.get("configuration"))
    standard = {"APPLICATION_URL": f"https://{application.name}.preview.invalid"}
    secured: dict[str, str] = {}
    for section in sections:
        if not isinstance(section, dict):
            continue
        for kind, target in (
            ("standardConfiguration", standard),
            ("securedConfiguration", secured),
        ):
            for item in section.get(kind) or []:
                key = item.get("key") if isinstance(item, dict) else None
                if not isinstance(key, str) or not CONFIGURATION_KEY.fullmatch(key):
                    continue
                default = item.get("default")
                stand_in = f"preview-{key.lower().replace('_', '-')}"
                use_default = (
                    target is standard and isinstance(default, str | int) and default != ""
                )
                target[key] = str(default) if use_default else stand_in
    return standard, secured


def write_maven_settings(home: Path, repository: Path | None) -> tuple[Path, Path]:
    """Two settings.xml files: for fetching dependencies, and for building without network.

    Both keep the local repository in the scratch home. Fetching reads the worker's Maven
    repository before Maven Central; building reads only it (a mirror of everything), so an
    artifact it lacks is "not found", as Maven would say offline, instead of an unknown host.
    """
    m2 = home / ".m2"
    (m2 / "repository").mkdir(parents=True, exist_ok=True)
    local = f"<localRepository>{m2 / 'repository'}</localRepository>"
    fetch = offline = ""
    if repository is not None:
        url = repository.as_uri()
        entry = f"<id>worker</id><url>{url}</url><snapshots><enabled>false</enabled></snapshots>"
        fetch = (
            "<profiles><profile><id>worker</id>"
            f"<repositories><repository>{entry}</repository></repositories>"
            f"<pluginRepositories><pluginRepository>{entry}</pluginRepository>"
            "</pluginRepositories></profile></profiles>"
            "<activeProfiles><activeProfile>worker</activeProfile></activeProfiles>"
        )
        offline = (
            f"<mirrors><mirror><id>worker</id><mirrorOf>*</mirrorOf><url>{url}</url>"
            "</mirror></mirrors>"
        )
    paths = (m2 / "settings-fetch.xml", m2 / "settings-build.xml")
    for path, extra in zip(paths, (fetch, offline), strict=True):
        path.write_text(f"<settings>{local}{extra}</settings>\n")
    prepare_writable(m2)
    return paths


# --- output ----------------------------------------------------------------------------------


def plain_text(output: str) -> str:
    """Output as plain text: colour codes and other controls removed, progress lines settled."""
    text = _ANSI.sub("", output.replace("\r\n", "\n"))
    lines = [line.rsplit("\r", 1)[-1] for line in text.split("\n")]
    return _CONTROL.sub("", "\n".join(lines))


def last_lines(output: str, count: int = TAIL_LINES) -> str:
    lines = [line for line in plain_text(output).rstrip().split("\n") if line.strip()]
    kept = lines[-count:]
    return "\n".join(
        line if len(line) <= TAIL_LINE_CHARACTERS else line[:TAIL_LINE_CHARACTERS] + "…"
        for line in kept
    )


def _save_step_log(run_id: uuid.UUID | str, application: str, step: Step) -> None:
    """Keep the step's whole (capped) log with the run, from a thread of its own."""
    from connectors.models import StepLog

    result = step.result
    text = plain_text(result.output) if result else step.note
    if step.note and result:
        text = f"[{step.note}]\n{text}"

    def write() -> None:
        try:
            StepLog.objects.create(
                run_id=run_id,
                application=application[:256],
                step=step.name[:32],
                command=step.command[:1024],
                exit_code=result.exit_code if result else None,
                succeeded=not step.failed,
                duration=step.seconds,
                text=text,
            )
        except DatabaseError:
            logger.warning("The %s log of %s was not kept", step.name, application, exc_info=True)
        finally:
            connection.close()

    writer = threading.Thread(target=write, name="step-log")
    writer.start()
    writer.join()


# --- the workspace -------------------------------------------------------------------------------


class Workspace:
    """The run's own copy of the repository, scratch homes and tool shims, in the cache folder.

    It lives beside the cache so that moving an install into the cache is a rename. It takes
    the first free numbered slot (a lock held while the run builds), so a run finds its files
    at the paths an earlier run of the same worker used: caches that record paths (Jest's)
    still match.
    """

    def __init__(self, cache_dir: Path, source: Path) -> None:
        work = cache_dir / "work"
        cache_dir.mkdir(mode=0o711, parents=True, exist_ok=True)
        _ensure_reachable(cache_dir)
        work.mkdir(mode=0o711, exist_ok=True)
        os.chmod(work, 0o711)
        self.path, self._lock = _free_slot(work)
        self.repository = self.path / "repository"
        shutil.copytree(
            source, self.repository, symlinks=True, ignore=shutil.ignore_patterns(".git")
        )
        self.digest = _tree_digest(self.repository)
        prepare_writable(self.repository)

    def home(self, index: int) -> Path:
        home = self.path / f"home-{index}"
        if not home.exists():
            home.mkdir()
            prepare_writable(home)
        return home

    def bin(self, index: int) -> Path:
        return self.path / f"bin-{index}"

    def remove(self) -> None:
        _remove_tree(self.path)
        self._lock.close()  # frees the slot


def _free_slot(work: Path) -> tuple[Path, IO[bytes]]:
    """The first slot no other run holds, emptied, and the lock that holds it."""
    for number in range(MAX_SLOTS):
        lock = (work / f"slot-{number}.lock").open("ab")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        slot = work / f"slot-{number}"
        if slot.exists():  # what a stopped worker left behind
            _remove_tree(slot)
        slot.mkdir(mode=0o711)
        os.chmod(slot, 0o711)
        return slot, lock
    raise SandboxUnavailable(f"All {MAX_SLOTS} build slots of this machine are in use.")


def _tree_digest(root: Path) -> str:
    """What the whole checkout holds: every path, link target and file content."""
    digest = hashlib.sha256(b"tree-v1\0")
    for current, folders, files in os.walk(root):
        folders.sort()
        for name in sorted(files):
            path = Path(current) / name
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            if path.is_symlink():
                digest.update(b"link\0" + os.readlink(path).encode())
            else:
                with path.open("rb") as handle:
                    digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()


def _ensure_reachable(folder: Path) -> None:
    """The cache folder is the worker's alone, and a root worker's sandbox user can reach it.

    Someone else's folder (e.g. made in a shared /tmp before the worker started) could hand
    planted installs to every build: it is refused.
    """
    info = os.stat(folder)
    if info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise SandboxUnavailable(
            f"CONNECTORS_BUILD_CACHE_DIR ({folder}) must belong to the worker's user and be "
            "writable by nobody else."
        )
    if sandbox_user() is None:
        return
    for parent in [folder.resolve(), *folder.resolve().parents]:
        if not os.stat(parent).st_mode & 0o001:
            raise SandboxUnavailable(
                f"CONNECTORS_BUILD_CACHE_DIR ({folder}) must be reachable by the sandbox's user: "
                f"{parent} is not searchable by others (chmod o+x)."
            )


def _remove_tree(path: Path) -> None:
    def retry(function: Callable, failed: str, error: BaseException) -> None:
        if isinstance(error, FileNotFoundError):
            return
        os.chmod(os.path.dirname(failed), 0o700)
        function(failed)

    try:
        shutil.rmtree(path, onexc=retry)
    except OSError:
        logger.warning("Could not remove the build workspace %s", path, exc_info=True)


# --- the install cache -------------------------------------------------------------------------


@dataclass
class InstallOutcome:
    owner: int  # the application whose step installed
    step: Step | None = None
    failed_step: Step | None = None
    warnings: list[str] = field(default_factory=list)


class InstallCache:
    """Folders kept by a key (installs; tests' temporary folders): ``<key>/tree/…``."""

    def __init__(self, folder: Path, max_entries: int) -> None:
        self.folder = folder
        self.max_entries = max_entries

    def key(self, project: NodeProject, toolchain: Toolchain) -> str:
        digest = hashlib.sha256()
        for part in (
            "install-v1",
            toolchain.node_version,
            toolchain.manager,
            toolchain.manager_version,
            project.relative(project.install_dir),
        ):
            digest.update(part.encode() + b"\0")
        assert project.lockfile is not None
        inputs = [project.lockfile, *_install_inputs(project.install_dir)]
        for path in inputs:
            digest.update(project.relative(path).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()

    def maven_key(self, folder: Path, repository: Path | None) -> str:
        digest = hashlib.sha256(f"maven-v1\0{repository}\0".encode())
        for pom in sorted(folder.rglob("pom.xml")):
            if pom.is_file() and not pom.is_symlink():
                digest.update(pom.relative_to(folder).as_posix().encode() + b"\0")
                digest.update(hashlib.sha256(pom.read_bytes()).digest())
        return digest.hexdigest()

    def entry(self, key: str | None) -> Path | None:
        if not key:
            return None
        entry = self.folder / key
        if not (entry / "manifest.json").is_file():
            return None
        with contextlib.suppress(OSError):
            os.utime(entry)
        return entry

    def save(self, key: str, base: Path, outputs: Sequence[str]) -> Path | None:
        """Move the install's ``outputs`` (relative to ``base``) into the cache.

        The caller restores them from the returned entry; None when nothing was saved (the
        outputs stay where they are).
        """
        present = [o for o in outputs if (base / o).exists()]
        if not present:
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        staging = self.folder / f".staging-{uuid.uuid4().hex}"
        tree = staging / "tree"
        for relative in present:
            target = tree / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(base / relative, target)
        if sandbox_user() is not None:
            _freeze(tree)
        (staging / "manifest.json").write_text(json.dumps({"outputs": present}))
        entry = self.folder / key
        try:
            os.rename(staging, entry)
        except OSError:  # the same install was kept meanwhile: use that one
            _remove_tree(staging)
        self._prune(keep=key)
        return entry if (entry / "manifest.json").is_file() else None

    def restore(self, entry: Path | None, base: Path, *, link: bool) -> bool:
        """Put a cached install back under ``base``; False when the entry is gone or broken."""
        if entry is None:
            return False
        try:
            outputs = json.loads((entry / "manifest.json").read_text())["outputs"]
            for relative in outputs:
                target = base / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                source = str(entry / "tree" / relative)
                copy = ["cp", "-a", "-l" if link else "--reflink=auto", source, str(target.parent)]
                subprocess.run(copy, check=True, capture_output=True)
                if link:
                    _give_folders(target)
                else:
                    prepare_writable(target)
        except (OSError, ValueError, KeyError, subprocess.CalledProcessError):
            logger.warning("The cached install %s could not be restored", entry, exc_info=True)
            return False
        prepare_writable_parents(base, outputs)
        return True

    def _prune(self, *, keep: str) -> None:
        """Drop the least recently used entries beyond the limit (never ``keep``)."""
        entries = sorted(
            (e for e in self.folder.iterdir() if not e.name.startswith(".") and e.name != keep),
            key=lambda e: e.stat().st_mtime,
        )
        for old in entries[: max(0, len(entries) + 1 - self.max_entries)]:
            trash = self.folder / f".trash-{uuid.uuid4().hex}"
            with contextlib.suppress(OSError):  # another worker took it first
                os.rename(old, trash)
                _remove_tree(trash)


def _install_inputs(install_dir: Path) -> list[Path]:
    """Configuration files and every package.json of the install (workspaces included)."""
    found = [install_dir / name for name in INSTALL_INPUTS if (install_dir / name).is_file()]
    for current, folders, files in os.walk(install_dir):
        folders[:] = sorted(f for f in folders if f not in {"node_modules", ".git"})
        if Path(current) != install_dir and "package.json" in files:
            found.append(Path(current) / "package.json")
        if len(found) > 2000:
            break
    return found


def install_outputs(project: NodeProject) -> list[str]:
    """What the install wrote, relative to the install folder: every top node_modules, PnP."""
    outputs: list[str] = []
    for current, folders, _files in os.walk(project.install_dir):
        if "node_modules" in folders:
            outputs.append(
                (Path(current) / "node_modules").relative_to(project.install_dir).as_posix()
            )
        folders[:] = [f for f in folders if f not in {"node_modules", ".git"}]
    if project.manager == BERRY:
        for name in (
            ".pnp.cjs",
            ".pnp.loader.mjs",
            ".pnp.data.json",
            ".yarn/unplugged",
            ".yarn/install-state.gz",
            ".yarn/cache",
        ):
            if (project.install_dir / name).exists():
                outputs.append(name)
    return outputs


def _freeze(tree: Path) -> None:
    """Cached files belong to the worker and only it may write them: the sandbox's user, an
    "other" to them, reads the hard links it is handed but cannot change what other runs get."""
    subprocess.run(["chown", "-R", "-h", "0:0", str(tree)], check=True)
    subprocess.run(["chmod", "-R", "go-w,a+rX", str(tree)], check=True)


def _give_folders(target: Path) -> None:
    """Linked files stay the cache's; the folders become the sandbox's, so it can add files."""
    user = sandbox_user()
    if user is None:
        return
    owner = f"{user[0]}:{user[1]}"
    subprocess.run(
        ["find", str(target), "-type", "d", "-exec", "chown", owner, "{}", "+"], check=True
    )


def prepare_writable_parents(base: Path, outputs: Sequence[str]) -> None:
    """Folders made on the way to an output (``packages/x``) belong to the sandbox's user."""
    user = sandbox_user()
    if user is None:
        return
    for relative in outputs:
        parent = (base / relative).parent
        while parent != base and base in parent.parents:
            os.lchown(parent, *user)
            parent = parent.parent
